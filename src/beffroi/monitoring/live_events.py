"""The monitoring app's live events (found by ``beffroi.core.events.discover``)."""

from __future__ import annotations

from datetime import datetime

from beffroi.core.events import register_event

register_event(
    "observation",
    topic="monitoring",
    permission="monitoring.view_indicator",
    fields={
        "indicator": str,
        "points": list,  # the new [iso time, value] pairs (at most 50)
        "forecasts": int,  # how many forecast points came with them
        "value": float | None,
        "at": datetime | None,
        "level": int,
        "label": str,
        "colour": str,
        "stale": bool,
    },
    description="New observations or forecasts of an indicator, with its state after them.",
)
register_event(
    "level",
    topic="monitoring",
    permission="monitoring.view_indicator",
    fields={
        "indicator": str,
        "from": int,
        "to": int,
        "label": str,
        "colour": str,
        "at": datetime,
        "value": float | None,
    },
    description="An indicator changed level.",
)
register_event(
    "stale",
    topic="monitoring",
    permission="monitoring.view_indicator",
    fields={"indicator": str, "stale": bool, "last_at": datetime | None},
    description="An indicator's source became late, or fresh again.",
)
register_event(
    "proposal",
    topic="monitoring",
    permission="monitoring.view_proposal",
    fields={
        "id": int,
        "indicator": str,
        "commune": str,  # the same shape as the API's proposals
        "action": str,
        "title": str,
        "text": str,
        "level": int,
        "level_label": str,
        "status": str,
        "created_at": datetime,
        "decided_by": str | None,
        "result": dict,
    },
    description="A proposal was raised, accepted or dismissed.",
)
