"""Monitoring's proposals carried out by the crisis app (registered in ``CrisisConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from beffroi.core.errors import Problem, UserError
from beffroi.crisis.models import Crisis
from beffroi.monitoring.models import Proposal
from beffroi.monitoring.responses import register_response

CRISIS_LEVELS = {"veille": 1, "vigilance": 2, "alerte": 3, "crise": 4}


# The crisis actions and selectors are imported where they are called: this module is imported at
# start-up by every process (CrisisConfig.ready), the outbox's dispatch workers included, which never
# use them; importing them there cost a tenth of a second of each worker's start.


def active_crisis_for(proposal: Proposal) -> Crisis | None:
    """The open crisis covering the proposal's commune, same hazard first (exercises last)."""
    from beffroi.crisis import selectors

    crises = [c for c in selectors.active_crises() if proposal.commune in (c.communes or [])]
    crises.sort(key=lambda c: (c.hazard != proposal.hazard, bool(c.exercise)))
    return crises[0] if crises else None


def _entry(crisis: Crisis, text: str, actor: Any, category: str = "info") -> dict:
    from beffroi.crisis import actions

    entry = actions.do_append_entry(crisis, text=text, category=category, source="systeme", actor=actor)
    return {"crisis": crisis.pk, "entry": entry.seq}


def open_or_escalate(proposal: Proposal, *, actor: Any, exercise: bool = False) -> dict:
    from beffroi.crisis import actions

    level = CRISIS_LEVELS.get((proposal.payload or {}).get("arg", ""), proposal.level)
    crisis = active_crisis_for(proposal)
    if crisis is None:
        indicator = proposal.indicator
        crisis = actions.do_open_crisis(
            hazard=proposal.hazard,
            communes=[proposal.commune],
            level=level,
            exercise=exercise,
            title=f"{indicator.get_hazard_display()} — {indicator.label}",
            actor=actor,
        )
        result: dict = {"crisis": crisis.pk, "opened": True}
    else:
        result = {"crisis": crisis.pk, "opened": False}
        if crisis.level < level:
            actions.do_escalate(crisis, level=level, reason=proposal.text, actor=actor)
            result["escalated_to"] = level
    result.update(_entry(crisis, f"Veille : {proposal.text}", actor, "decision"))
    return result


def log_entry(proposal: Proposal, *, actor: Any, exercise: bool = False) -> dict:
    crisis = active_crisis_for(proposal)
    if crisis is None:
        # Without an open crisis the fact stays in the monitoring log (audit trail) only.
        return {"crisis": None, "logged": "audit"}
    return _entry(crisis, proposal.text, actor)


def start_reflex_sheet(proposal: Proposal, *, actor: Any, exercise: bool = False) -> dict:
    from beffroi.crisis import actions_means, selectors

    crisis = active_crisis_for(proposal)
    if crisis is None:
        raise UserError(
            _("Ouvrez une crise avant de déclencher une fiche réflexe."),
            [Problem(_("aucune crise ouverte dans cette commune"), field="action")],
        )
    arg = (proposal.payload or {}).get("arg", "")
    sheets = list(selectors.reflex_sheets([proposal.commune], proposal.hazard))
    sheet = next((s for s in sheets if s.level == proposal.level), None) or (sheets[0] if sheets else None)
    result: dict = {"crisis": crisis.pk, "sheet": arg}
    if sheet is not None:
        run = actions_means.do_start_reflex_sheet(crisis, sheet, actor=actor)
        result.update({"sheet_id": sheet.pk, "run": run.pk})
    title = sheet.title if sheet is not None else arg
    result.update(
        _entry(crisis, f"Fiche réflexe déclenchée : {title} ({proposal.level_label}).", actor, "action")
    )
    return result


def register() -> None:
    register_response(Proposal.Action.OPEN_CRISIS, open_or_escalate)
    register_response(Proposal.Action.ESCALATE_CRISIS, open_or_escalate)
    register_response(Proposal.Action.LOG_ENTRY, log_entry)
    register_response(Proposal.Action.REFLEX_SHEET, start_reflex_sheet)
