"""Threshold evaluation, level changes, proposals (raise, accept, dismiss) and staleness checks."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from beffroi.core import audit
from beffroi.core.actors import Actor, user_or_none
from beffroi.core.errors import Problem, UserError
from beffroi.core.events import publish_event
from beffroi.core.permissions import require
from beffroi.core.signals import public_content_changed
from beffroi.monitoring import levels, plan
from beffroi.monitoring.anticipation import daily_forecast_day
from beffroi.monitoring.models import (
    Indicator,
    IndicatorState,
    LevelChange,
    Observation,
    Proposal,
    Threshold,
)
from beffroi.monitoring.on_call import MONITOR, _notify_on_call
from beffroi.monitoring.responses import carry_out

# The logger keeps the name it had when this code was in actions.py.
log = logging.getLogger("beffroi.monitoring.actions")


def _thresholds(indicator: Indicator) -> list[Threshold]:
    return list(indicator.thresholds.all())


def _evaluate(
    indicator: Indicator, new: list[tuple[datetime, float]], forecasts: int, *, source: str, actor
) -> None:
    state, _created = IndicatorState.objects.select_for_update().get_or_create(indicator=indicator)
    state.indicator = indicator
    thresholds = _thresholds(indicator)
    spec = [levels.Level(t.level, t.value, t.hysteresis, t.min_duration) for t in thresholds]
    tracker = levels.Tracker(state.level, state.since, state.candidate_level, state.candidate_since)
    changes: list[levels.Change] = []
    fresh = [(at, v) for at, v in new if state.last_at is None or at > state.last_at]
    for at, value in fresh:
        change = levels.step(tracker, at, value, spec, indicator.sign)
        if change is not None:
            changes.append(change)
    was_stale = state.stale
    if fresh:
        state.last_at, state.last_value = fresh[-1]
        state.stale = state.is_stale()
    state.level, state.since = tracker.level, tracker.since or state.since
    state.candidate_level, state.candidate_since = tracker.candidate, tracker.candidate_since
    state.save()
    by_level = {t.level: t for t in thresholds}
    for change in changes:
        LevelChange.objects.create(
            indicator=indicator,
            at=change.at,
            from_level=change.from_level,
            to_level=change.to_level,
            value=change.value,
        )
        audit.record(
            actor,
            "monitoring.level_changed",
            indicator,
            commune=indicator.commune,
            detail={
                "from": change.from_level,
                "to": change.to_level,
                "value": change.value,
                "at": change.at.isoformat(),
                "source": source,
            },
        )
    if changes:
        first, last = changes[0], changes[-1]
        _raise_proposals(indicator, first.from_level, last.to_level, last.value, by_level)
        publish_event(
            "level",
            communes=[indicator.commune],
            indicator=indicator.key,
            label=level_label(by_level, last.to_level),
            colour=level_colour(by_level, last.to_level),
            at=last.at,
            value=last.value,
            **{"from": first.from_level, "to": last.to_level},
        )
    if forecasts:
        _anticipate(indicator, state, thresholds)
    if fresh or forecasts:
        publish_event(
            "observation",
            communes=[indicator.commune],
            indicator=indicator.key,
            points=[[at.isoformat(), v] for at, v in fresh[-50:]],
            forecasts=forecasts,
            value=state.last_value,
            at=state.last_at,
            level=state.level,
            label=level_label(by_level, state.level),
            colour=level_colour(by_level, state.level),
            stale=state.stale,
        )
    if was_stale and not state.stale:
        audit.record(actor, "monitoring.fresh_again", indicator, commune=indicator.commune)
    if indicator.public and (fresh or forecasts):
        transaction.on_commit(lambda: _schedule_public_page(indicator.pk))
    if indicator.public and changes:
        # A public level changed: the public site (a higher app) rebuilds on this generic signal.
        transaction.on_commit(
            lambda: public_content_changed.send_robust(sender=Indicator, reason=f"level {indicator.key}")
        )


ANTICIPATION_HORIZON = timedelta(hours=72)


def _anticipate(indicator: Indicator, state: IndicatorState, thresholds: list[Threshold]) -> Proposal | None:
    """When the source's forecast reaches a level above the current one, propose to note it in the
    main courante before it happens (once per level while the proposal waits for a decision)."""
    now = timezone.now()
    rows = list(
        Observation.objects.filter(
            indicator=indicator,
            kind=Observation.Kind.FORECAST,
            at__gte=now,
            at__lte=now + ANTICIPATION_HORIZON,
        )
        .order_by("at")
        .values_list("at", "value", "low", "high", "issued_at")
    )
    sign = indicator.sign
    reached = [
        (t, next(r for r in rows if r[1] * sign >= t.value * sign))
        for t in thresholds
        if t.level > state.level and any(r[1] * sign >= t.value * sign for r in rows)
    ]
    if not reached:
        return None
    threshold, (at, value, low, high, issued) = max(reached, key=lambda tr: tr[0].level)
    if Proposal.objects.filter(
        indicator=indicator, status=Proposal.Status.PENDING, payload__anticipated_level=threshold.level
    ).exists():
        return None
    peak_at, peak, peak_low, peak_high, _issued = max(rows, key=lambda r: r[1] * sign)
    title, text = plan.anticipation_texts(
        indicator=indicator,
        level_label=threshold.label,
        at=at,
        peak=peak,
        peak_at=peak_at,
        band=(peak_low, peak_high),
        issued=issued,
        daily=daily_forecast_day([(r[0], r[1]) for r in rows], at) is not None,
    )
    proposal = Proposal.objects.create(
        indicator=indicator,
        commune=indicator.commune,
        hazard=indicator.hazard,
        level=threshold.level,
        level_label=threshold.label,
        action=Proposal.Action.LOG_ENTRY,
        title=title,
        text=text,
        payload={
            "anticipated_level": threshold.level,
            "forecast_at": at.isoformat(),
            "value": value,
            "peak": peak,
            "peak_at": peak_at.isoformat(),
            "low": peak_low,
            "high": peak_high,
            "issued_at": issued.isoformat() if issued else None,
            "unit": indicator.unit,
        },
    )
    audit.record(
        MONITOR,
        "monitoring.proposal_created",
        proposal,
        commune=indicator.commune,
        detail={
            "action": proposal.action,
            "level": threshold.level,
            "indicator": indicator.key,
            "basis": "forecast",
        },
    )
    publish_event("proposal", communes=[proposal.commune], **proposal_event(proposal))
    return proposal


def _schedule_public_page(indicator_pk: int) -> None:
    try:
        from beffroi.monitoring.tasks import write_public_indicator

        write_public_indicator(indicator_pk)
    except Exception:  # the public page must never break an ingestion
        log.exception("monitoring: could not write the public page of indicator %s", indicator_pk)


def level_label(by_level: dict[int, Threshold], level: int) -> str:
    return by_level[level].label if level in by_level else "normal"


def level_colour(by_level: dict[int, Threshold], level: int) -> str:
    return by_level[level].colour if level in by_level else "#2e7d32"


def _raise_proposals(
    indicator: Indicator, from_level: int, to_level: int, value: float, by_level: dict[int, Threshold]
) -> list[Proposal]:
    rising = to_level > from_level
    label = level_label(by_level, to_level)
    # Proposals made for a higher level than where the indicator now stands are out of date; while
    # it rises, those anticipating a forecast level still stand.
    stale = Proposal.objects.filter(indicator=indicator, status=Proposal.Status.PENDING, level__gt=to_level)
    if rising:
        stale = stale.exclude(payload__has_key="anticipated_level")
    for proposal in stale:
        proposal.status = Proposal.Status.SUPERSEDED
        proposal.decided_at = timezone.now()
        proposal.save(update_fields=["status", "decided_at"])
        audit.record(MONITOR, "monitoring.proposal_superseded", proposal, commune=proposal.commune)
    actions = plan.actions_for(indicator.hazard, to_level) if rising and to_level > 0 else [(plan.LOG, "")]
    created = []
    for action, arg in actions:
        title, text = plan.proposal_texts(
            action, arg, indicator=indicator, level_label=label, value=value, rising=rising
        )
        proposal = Proposal.objects.create(
            indicator=indicator,
            commune=indicator.commune,
            hazard=indicator.hazard,
            level=to_level,
            level_label=label,
            action=action,
            title=title,
            text=text,
            payload={"arg": arg, "value": value, "from_level": from_level, "unit": indicator.unit},
        )
        audit.record(
            MONITOR,
            "monitoring.proposal_created",
            proposal,
            commune=indicator.commune,
            detail={"action": action, "level": to_level, "indicator": indicator.key},
        )
        created.append(proposal)
    for proposal in created:
        publish_event("proposal", communes=[proposal.commune], **proposal_event(proposal))
    if rising:
        transaction.on_commit(lambda: _notify_on_call(indicator, label, value, created))
    return created


def proposal_event(proposal: Proposal) -> dict:
    return {
        "id": proposal.pk,
        "indicator": proposal.indicator.key,
        "commune": proposal.commune,
        "action": proposal.action,
        "title": proposal.title,
        "text": proposal.text,
        "level": proposal.level,
        "level_label": proposal.level_label,
        "status": proposal.status,
        "created_at": proposal.created_at,
        "decided_by": proposal.decided_by.username if proposal.decided_by else None,
        "result": proposal.result,
    }


def do_dismiss_proposal(proposal: Proposal, *, note: str = "", actor: Actor) -> Proposal:
    require(actor, "monitoring.decide_proposal", proposal.commune)
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        _check_pending(proposal)
        proposal.status = Proposal.Status.DISMISSED
        proposal.decided_by, proposal.decided_at, proposal.note = user_or_none(actor), timezone.now(), note
        proposal.save()
        audit.record(
            actor, "monitoring.proposal_dismissed", proposal, commune=proposal.commune, detail={"note": note}
        )
        publish_event("proposal", communes=[proposal.commune], **proposal_event(proposal))
    return proposal


def _check_pending(proposal: Proposal) -> None:
    if proposal.status != Proposal.Status.PENDING:
        raise UserError(
            f"this proposal was already decided ({proposal.get_status_display()})",
            [Problem("already decided", field="status")],
        )


def do_accept_proposal(
    proposal: Proposal, *, note: str = "", exercise: bool = False, actor: Actor
) -> Proposal:
    """Carry out a proposal through the crisis and alerts apps. A citizen message is only *drafted*:
    it still goes through the alerts app's approval before anything is sent."""
    require(actor, "monitoring.decide_proposal", proposal.commune)
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().select_related("indicator").get(pk=proposal.pk)
        _check_pending(proposal)
        proposal.result = carry_out(proposal, actor=actor, exercise=exercise)
        proposal.status = Proposal.Status.ACCEPTED
        proposal.decided_by, proposal.decided_at, proposal.note = user_or_none(actor), timezone.now(), note
        proposal.save()
        audit.record(
            actor,
            "monitoring.proposal_accepted",
            proposal,
            commune=proposal.commune,
            detail={"action": proposal.action, "result": proposal.result, "note": note},
        )
        publish_event("proposal", communes=[proposal.commune], **proposal_event(proposal))
    return proposal


def do_check_staleness(*, now: datetime | None = None, actor: Actor) -> list[str]:
    """Mark indicators whose source is late as stale (a state of its own); returns their keys."""
    require(actor, "monitoring.manage_indicator", system=("monitoring", "cli"))
    now = now or timezone.now()
    changed = []
    with transaction.atomic():
        for indicator in Indicator.objects.select_related("state").all():
            state, _ = IndicatorState.objects.get_or_create(indicator=indicator)
            state.indicator = indicator
            stale = state.is_stale(now)
            if stale != state.stale:
                state.stale = stale
                state.save(update_fields=["stale", "updated_at"])
                changed.append(indicator.key)
                audit.record(
                    actor,
                    "monitoring.stale" if stale else "monitoring.fresh_again",
                    indicator,
                    commune=indicator.commune,
                    detail={"last_at": state.last_at.isoformat() if state.last_at else None},
                )
                if indicator.public:  # citizens must see that the value is old, too
                    transaction.on_commit(partial(_schedule_public_page, indicator.pk))
                publish_event(
                    "stale",
                    communes=[indicator.commune],
                    indicator=indicator.key,
                    stale=stale,
                    last_at=state.last_at,
                )
    return changed
