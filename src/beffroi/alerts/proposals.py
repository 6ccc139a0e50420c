"""Monitoring's « message aux habitants » proposal, drafted by the alerts app.

Only a *draft*: the alerts app's four-eyes approval (with a verified session) is still needed
before anything reaches a citizen. Registered in ``AlertsConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from beffroi.crisis.proposals import active_crisis_for
from beffroi.monitoring.models import Proposal
from beffroi.monitoring.responses import register_response


def draft_message(proposal: Proposal, *, actor: Any, exercise: bool = False) -> dict:
    # Imported here: this module is imported by every process at start-up (AlertsConfig.ready),
    # and the alert actions (CAP, areas, targeting) were four tenths of a second of each outbox
    # worker's start, which a restarted worker makes citizens wait.
    from beffroi.alerts.actions import do_draft_alert

    crisis = active_crisis_for(proposal)
    hazard_label = proposal.indicator.get_hazard_display()
    alert = do_draft_alert(
        hazard=proposal.hazard,
        communes=[proposal.commune],
        headline=f"{hazard_label} : {proposal.level_label}",
        description=proposal.text,
        crisis_id=crisis.pk if crisis is not None else None,
        exercise=exercise or bool(crisis is not None and crisis.exercise),
        source="monitoring",
        actor=actor,
    )
    return {"alert": alert.pk, "drafted": True, "crisis": crisis.pk if crisis is not None else None}


def register() -> None:
    register_response(Proposal.Action.CITIZEN_MESSAGE, draft_message)
