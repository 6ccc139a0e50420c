"""Signals a lower app sends without knowing who listens (the public site sits above them all)."""

from __future__ import annotations

from django.dispatch import Signal

# Something citizens see changed (a shelter opened, closed or filled up, a public level…).
# Keyword ``reason``: a short label for the logs. Sent after the commit, never inside a transaction.
public_content_changed = Signal()
