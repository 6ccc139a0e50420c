"""Publish crisis events on the live stream when the monitoring app provides it."""

from __future__ import annotations

from django.db import transaction


def publish(event: str, data: dict) -> None:
    """Publish after commit, so a listener never sees an event whose data was rolled back."""
    try:
        from beffroi.core.live import publish as _publish
    except ImportError:
        return

    def send() -> None:
        try:
            _publish("crisis", event, data)
        except Exception:  # the live stream is best effort; the log is the record
            import logging

            logging.getLogger(__name__).warning("live publish failed for %s", event, exc_info=True)

    transaction.on_commit(send)
