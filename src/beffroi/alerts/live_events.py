"""The alerts app's live events (found by ``beffroi.core.events.discover``).

Their communes are the alert's commune and the communes of the version's area, so a user of another
commune never sees that an alert is being prepared."""

from __future__ import annotations

from beffroi.core.events import register_event

for _name, _what in (
    ("alert.submitted", "An alert version was submitted for approval."),
    ("alert.approved", "An alert version was approved."),
    ("alert.published", "An alert version was published to citizens."),
):
    register_event(
        _name,
        topic="alerts",
        permission="alerts.view_alert",
        fields={"alert": int, "version": int, "msgType": str, "status": str},
        description=_what,
    )
