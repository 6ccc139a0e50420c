"""Publish crisis events on the live stream (topic "crisis") when the core broker provides it.

``beffroi.core.live.publish`` sends after the commit, so a listener never sees an event whose data
was rolled back; a failure there never breaks the write.
"""

from __future__ import annotations


def publish(event: str, data: dict) -> None:
    try:
        from beffroi.core.live import publish as _publish
    except ImportError:
        return
    _publish("crisis", event, data)
