"""The registry app's live events (found by ``beffroi.core.events.discover``): counts only, never names."""

from __future__ import annotations

from beffroi.core.events import register_event

register_event(
    "campaign.progress",
    topic="registry",
    permission="registry.view_campaign",
    fields={
        "campaign": int,
        "crisis": str,  # the crisis id as the campaign stores it ("" if none)
        "total": int,
        "to_call": int,
        "reached": int,
        "escalated": int,
        "needs_help": int,
        "visits_to_do": int,
        "visits_done": int,
        "visits_absent": int,
        "visits_refused": int,
    },
    description="Progress of a call campaign (counts of people by status).",
)
