"""Signals other apps listen to without the alerts app knowing them (the public site sits above)."""

from django.dispatch import Signal

# Sent after the transaction that published a message (first version, update or cancel) has
# committed; ``version`` is the published AlertVersion.
version_published = Signal()
