"""Carrying out an accepted proposal through the crisis and alerts apps (their contract functions).

Called inside ``do_accept_proposal``'s transaction with the deciding user as actor, so the other
apps check that user's permissions and audit the write under their name. Apps not installed yet
(or lacking the function) give a clear ``UserError`` instead of a silent no-op.
"""

from __future__ import annotations

import contextlib

from beffroi.core.errors import Problem, UserError
from beffroi.monitoring.models import Proposal

CRISIS_LEVELS = {"veille": 1, "vigilance": 2, "alerte": 3, "crise": 4}


def _crisis_api():
    try:
        from beffroi.crisis import actions, selectors
    except ImportError as exc:
        raise UserError("the crisis module is not available", [Problem(str(exc), field="action")]) from None
    return actions, selectors


def active_crisis_for(proposal: Proposal):
    """The open crisis covering the proposal's commune, same hazard first (exercises last)."""
    _actions, selectors = _crisis_api()
    crises = [c for c in selectors.active_crises() if proposal.commune in (c.communes or [])]
    crises.sort(key=lambda c: (c.hazard != proposal.hazard, bool(c.exercise)))
    return crises[0] if crises else None


def _entry(crisis, text: str, actor, category: str = "info") -> dict:
    actions, _selectors = _crisis_api()
    entry = actions.do_append_entry(crisis, text=text, category=category, source="systeme", actor=actor)
    return {"crisis": crisis.pk, "entry": getattr(entry, "seq", entry.pk)}


def carry_out(proposal: Proposal, *, actor, exercise: bool = False) -> dict:
    action = proposal.action
    arg = (proposal.payload or {}).get("arg", "")
    indicator = proposal.indicator
    if action in (Proposal.Action.OPEN_CRISIS, Proposal.Action.ESCALATE_CRISIS):
        actions, _selectors = _crisis_api()
        level = CRISIS_LEVELS.get(arg, proposal.level)
        crisis = active_crisis_for(proposal)
        if crisis is None:
            title = f"{indicator.get_hazard_display()} — {indicator.label}"
            crisis = actions.do_open_crisis(
                hazard=proposal.hazard,
                communes=[proposal.commune],
                level=level,
                exercise=exercise,
                title=title,
                actor=actor,
            )
            result = {"crisis": crisis.pk, "opened": True}
        else:
            result = {"crisis": crisis.pk, "opened": False}
            if crisis.level < level and hasattr(actions, "do_escalate"):
                actions.do_escalate(crisis, level=level, reason=proposal.text, actor=actor)
                result["escalated_to"] = level
        result.update(_entry(crisis, f"Veille : {proposal.text}", actor, "decision"))
        return result
    if action == Proposal.Action.LOG_ENTRY:
        crisis = active_crisis_for(proposal)
        if crisis is None:
            # Without an open crisis the fact stays in the monitoring log (audit trail) only.
            return {"crisis": None, "logged": "audit"}
        return _entry(crisis, proposal.text, actor)
    if action == Proposal.Action.REFLEX_SHEET:
        crisis = active_crisis_for(proposal)
        if crisis is None:
            raise UserError(
                "open a crisis before starting a reflex sheet",
                [Problem("no open crisis for this commune", field="action")],
            )
        actions, selectors = _crisis_api()
        sheet = None
        if hasattr(selectors, "reflex_sheets"):
            sheets = list(selectors.reflex_sheets([proposal.commune], proposal.hazard))
            sheet = next((s for s in sheets if getattr(s, "level", None) == proposal.level), None) or (
                sheets[0] if sheets else None
            )
        runner = next(
            (
                getattr(actions, n)
                for n in ("do_start_reflex_sheet", "do_run_reflex_sheet")
                if hasattr(actions, n)
            ),
            None,
        )
        result = {"crisis": crisis.pk, "sheet": arg}
        if sheet is not None and runner is not None:
            run = runner(crisis, sheet, actor=actor)
            result.update({"sheet_id": sheet.pk, "run": getattr(run, "pk", None)})
        result.update(
            _entry(
                crisis,
                f"Fiche réflexe déclenchée : {getattr(sheet, 'title', arg)} ({proposal.level_label}).",
                actor,
                "action",
            )
        )
        return result
    if action == Proposal.Action.CITIZEN_MESSAGE:
        return _draft_message(proposal, actor=actor, exercise=exercise)
    raise UserError(f"unknown action {action!r}", [Problem("unknown action", field="action")])


def _draft_message(proposal: Proposal, *, actor, exercise: bool) -> dict:
    """Only a *draft*: the alerts app's approval (with a verified session) is still needed to send it."""
    try:
        from beffroi.alerts.actions import do_draft_alert as draft
    except ImportError:  # the alerts app is optional
        raise UserError(
            "the alerts module cannot draft messages", [Problem("alerts unavailable", field="action")]
        ) from None
    crisis = None
    with contextlib.suppress(UserError):
        crisis = active_crisis_for(proposal)
    import inspect

    params = inspect.signature(draft).parameters
    kwargs = {"actor": actor}
    candidates = {
        "title": proposal.title.replace(
            "Préparer un message aux habitants", proposal.indicator.get_hazard_display()
        ),
        "headline": f"{proposal.indicator.get_hazard_display()} : {proposal.level_label}",
        "text": proposal.text,
        "body": proposal.text,
        "description": proposal.text,
        "communes": [proposal.commune],
        "hazard": proposal.hazard,
        "level": proposal.level,
        "crisis": crisis,
        "crisis_id": getattr(crisis, "pk", None),
        "exercise": exercise or bool(getattr(crisis, "exercise", False)),
        "source": "monitoring",
    }
    for name, value in candidates.items():
        if name in params:
            kwargs[name] = value
    alert = draft(**kwargs)
    return {"alert": getattr(alert, "pk", None), "drafted": True, "crisis": getattr(crisis, "pk", None)}
