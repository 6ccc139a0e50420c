"""Every write of the monitoring app: ingestion and threshold evaluation, indicators, proposals."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from beffroi.core import audit
from beffroi.core.actors import Actor, SystemActor, user_or_none
from beffroi.core.errors import Problem, UserError
from beffroi.core.events import publish_event
from beffroi.core.permissions import allowed_system, require
from beffroi.core.signals import public_content_changed
from beffroi.monitoring import levels, paging, plan
from beffroi.monitoring.models import (
    Indicator,
    IndicatorState,
    LevelChange,
    Observation,
    Proposal,
    Threshold,
)
from beffroi.monitoring.responses import carry_out

log = logging.getLogger(__name__)

# Monitoring's own work (threshold evaluation, staleness, on-call notices) is done by this actor.
MONITOR = SystemActor("monitoring")
# Who may push observations without a user: connectors, derived indicators, the demo, the CLI.
INGESTERS = ("poll_sources", "monitoring", "exercise", "demo", "cli")

FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_FORECAST_AHEAD = timedelta(days=15)


# Units a point may come in for an indicator kept in another unit of the same quantity (factor to it).
CONVERSIONS = {
    ("mm", "m"): 0.001,
    ("cm", "m"): 0.01,
    ("m", "cm"): 100.0,
    ("mm", "cm"): 0.1,
    ("m", "mm"): 1000.0,
    ("cm", "mm"): 10.0,
    ("l/s", "m3/s"): 0.001,
    ("m3/s", "l/s"): 1000.0,
}


def max_age() -> timedelta:
    return timedelta(days=int(getattr(settings, "MONITORING_MAX_AGE_DAYS", 35)))


# --- Validation ------------------------------------------------------------------------------------


def _parse_at(raw) -> datetime | None:
    if isinstance(raw, datetime):
        return raw if raw.tzinfo is not None else None
    if isinstance(raw, str):
        try:
            value = parse_datetime(raw.strip())
        except ValueError:
            return None
        return value if value is not None and value.tzinfo is not None else None
    return None


def validate_points(points, *, strict: bool, now: datetime | None = None):
    """Check a batch; return ``(rows, skipped)`` with rows = (indicator, at, value, kind).

    Raises ``UserError`` listing every problem (field ``points[i].x``) when any point is bad: a batch
    is stored entirely or not at all. Unknown series are a problem when ``strict``, else skipped.
    """
    now = now or timezone.now()
    oldest = now - max_age()
    if not isinstance(points, list | tuple):
        raise UserError("points must be a list", [Problem("expected a list of points", field="points")])
    series = {p.get("series") for p in points if isinstance(p, dict) and isinstance(p.get("series"), str)}
    indicators = {i.series: i for i in Indicator.objects.filter(series__in=series)}
    rows, problems, skipped = [], [], 0
    for n, point in enumerate(points):
        where = f"points[{n}]"
        if not isinstance(point, dict):
            problems.append(Problem("a point must be an object", field=where))
            continue
        indicator = indicators.get(str(point.get("series")))
        if indicator is None:
            if strict:
                problems.append(
                    Problem(f"unknown indicator series {point.get('series')!r}", field=f"{where}.series")
                )
            else:
                skipped += 1
            continue
        value = point.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems.append(Problem(f"value must be a finite number, got {value!r}", field=f"{where}.value"))
            continue
        unit = str(point.get("unit") or "").strip()
        if unit.lower() != indicator.unit.lower():
            factor = CONVERSIONS.get(
                (unit.lower().replace("³", "3"), indicator.unit.lower().replace("³", "3"))
            )
            if factor is None:
                problems.append(
                    Problem(
                        f"unit {unit!r} does not match the indicator's unit {indicator.unit!r}",
                        field=f"{where}.unit",
                    )
                )
                continue
            value = value * factor
        kind = point.get("kind") or Observation.Kind.OBSERVATION
        if kind not in Observation.Kind.values:
            problems.append(
                Problem(f"kind must be 'observation' or 'forecast', got {kind!r}", field=f"{where}.kind")
            )
            continue
        at = _parse_at(point.get("at"))
        if at is None:
            problems.append(Problem("at must be an ISO 8601 date-time with a time zone", field=f"{where}.at"))
            continue
        limit = now + (MAX_FORECAST_AHEAD if kind == Observation.Kind.FORECAST else FUTURE_TOLERANCE)
        if at > limit:
            problems.append(Problem(f"timestamp {at.isoformat()} is in the future", field=f"{where}.at"))
            continue
        if at < oldest:
            problems.append(
                Problem(
                    f"timestamp {at.isoformat()} is older than {max_age().days} days", field=f"{where}.at"
                )
            )
            continue
        rows.append((indicator, at, float(value), kind))
    if problems:
        raise UserError(
            f"{len(problems)} invalid point(s); nothing was stored",
            problems[: UserError.MAX_SHOWN],
            total=len(problems),
        )
    return rows, skipped


# --- Ingestion -------------------------------------------------------------------------------------


def do_ingest_points(points, *, source: str, actor: Actor, strict: bool = False) -> int:
    """Store observations/forecasts and evaluate thresholds; returns the number of points stored.

    The contract used by the sources' live connectors (``SystemActor("poll_sources")``), derived
    indicators, the demo, the CLI and the API (actor = the token's user, ``strict=True``: an
    unknown series is an error rather than skipped).
    """
    rows, skipped = validate_points(points, strict=strict)
    if not allowed_system(actor, INGESTERS):
        for commune in sorted({ind.commune for ind, *_ in rows}):
            require(actor, "monitoring.add_observation", commune)
    if not rows:
        return 0
    now = timezone.now()
    unique: dict[tuple[int, str, datetime], tuple] = {}
    for indicator, at, value, kind in rows:
        unique[(indicator.pk, kind, at)] = (indicator, at, value, kind)
    by_indicator: dict[int, Indicator] = {}
    with transaction.atomic():
        Observation.objects.bulk_create(
            [
                Observation(
                    indicator=ind, at=at, value=value, kind=kind, source=source[:120], received_at=now
                )
                for ind, at, value, kind in unique.values()
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["indicator", "kind", "at"],
            update_fields=["value", "source", "received_at"],
        )
        observed: dict[int, list[tuple[datetime, float]]] = {}
        forecast_counts: dict[int, int] = {}
        for (pk, kind, at), (ind, _a, value, _k) in unique.items():
            by_indicator[pk] = ind
            if kind == Observation.Kind.OBSERVATION:
                observed.setdefault(pk, []).append((at, value))
            else:
                forecast_counts[pk] = forecast_counts.get(pk, 0) + 1
        for pk, indicator in by_indicator.items():
            new = sorted(observed.get(pk, []))
            forecasts = forecast_counts.get(pk, 0)
            _evaluate(indicator, new, forecasts, source=source, actor=actor)
        audit.record(
            actor,
            "monitoring.ingest",
            object_type="monitoring.observation",
            detail={
                "source": source,
                "stored": len(unique),
                "skipped": skipped,
                "indicators": sorted(i.key for i in by_indicator.values()),
            },
        )
    return len(unique)


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


# --- Proposals -------------------------------------------------------------------------------------


def _raise_proposals(
    indicator: Indicator, from_level: int, to_level: int, value: float, by_level: dict[int, Threshold]
) -> list[Proposal]:
    rising = to_level > from_level
    label = level_label(by_level, to_level)
    # Proposals made for a higher level than where the indicator now stands are out of date.
    stale = Proposal.objects.filter(indicator=indicator, status=Proposal.Status.PENDING, level__gt=to_level)
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


def on_call_users(commune: str):
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name__in=["maire", "cellule_crise"],
            commune_memberships__commune_code=commune,
        )
        .distinct()
    )


def _notify_on_call(indicator: Indicator, label: str, value: float, proposals: list[Proposal]) -> None:
    """E-mail/SMS the on-call people through the alerts app's staff channel (never citizens)."""
    users = on_call_users(indicator.commune)
    if not users:
        return
    subject = f"[Beffroi] {indicator.label} : {label}"
    text = "\n".join(
        [
            f"{indicator.label} : {value:g} {indicator.unit} ({label}), source {indicator.source}.",
            "Propositions à décider dans Beffroi (Veille) :",
            *[f"- {p.title}" for p in proposals],
        ]
    )
    try:
        paging.page_staff(users, subject, text, actor=MONITOR)
    except Exception:  # a failed notification must not undo the level change
        log.exception("monitoring: notifying on-call staff of %s failed", indicator.key)


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


# --- Staleness ------------------------------------------------------------------------------------


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


# --- Indicators -----------------------------------------------------------------------------------


def do_save_indicator(
    *,
    key: str,
    label: str,
    unit: str,
    source: str,
    series: str,
    commune: str,
    actor: Actor,
    thresholds: list[dict] | None = None,
    create_only: bool = False,
    **fields,
) -> Indicator:
    """Create or update an indicator and (if given) replace its thresholds.

    ``thresholds``: [{"level": 1, "name": "vigilance", "label": "Vigilance", "value": 3.2,
    "colour": "#f2c200", "hysteresis": 0.1, "min_duration": timedelta(minutes=30)}, ...]

    ``create_only``: refuse (``UserError`` on field ``key``) when an indicator already has this key,
    so a creation form can never overwrite an existing indicator and its levels. A series followed by
    another indicator is refused either way (field ``series``) rather than left to the database.
    """
    require(actor, "monitoring.manage_indicator", commune, system=("demo", "cli"))
    problems = _taken(key=key, series=series, create_only=create_only)
    if problems:
        raise UserError("indicator key or series already in use", problems)
    if thresholds:
        ordered = sorted(thresholds, key=lambda t: t["level"])
        sign = -1 if fields.get("direction") == Indicator.Direction.BELOW else 1
        for a, b in zip(ordered, ordered[1:], strict=False):
            if b["value"] * sign <= a["value"] * sign:
                problems.append(
                    Problem(
                        f"level {b['level']} threshold must be beyond level {a['level']}'s",
                        field="thresholds",
                    )
                )
        for t in ordered:
            if t.get("hysteresis", 0) < 0:
                problems.append(
                    Problem("hysteresis must be >= 0", field=f"thresholds[{t['level']}].hysteresis")
                )
    if problems:
        raise UserError("invalid thresholds", problems)
    values = {"label": label, "unit": unit, "source": source, "series": series, "commune": commune}
    try:
        with transaction.atomic():
            if create_only:
                indicator, created = Indicator.objects.create(key=key, **values, **fields), True
            else:
                indicator, created = Indicator.objects.update_or_create(
                    key=key, defaults={**values, **fields}
                )
            if thresholds is not None:
                indicator.thresholds.all().delete()
                Threshold.objects.bulk_create(
                    [
                        Threshold(
                            indicator=indicator,
                            level=t["level"],
                            name=t.get("name", f"n{t['level']}"),
                            label=t.get("label", t.get("name", "")),
                            colour=t.get("colour", "#f2c200"),
                            value=t["value"],
                            hysteresis=t.get("hysteresis", 0),
                            min_duration=t.get("min_duration") or timedelta(0),
                        )
                        for t in thresholds
                    ]
                )
            IndicatorState.objects.get_or_create(indicator=indicator)
            audit.record(
                actor,
                "monitoring.indicator_created" if created else "monitoring.indicator_updated",
                indicator,
                commune=commune,
                detail={"series": series, "thresholds": len(thresholds or [])},
            )
    except IntegrityError:
        # Another request took the key or the series between the check above and the write.
        taken = _taken(key=key, series=series, create_only=create_only)
        if not taken:
            raise
        raise UserError("indicator key or series already in use", taken) from None
    return indicator


def _taken(*, key: str, series: str, create_only: bool) -> list[Problem]:
    """The key (when creating) and the series are each one indicator's: say which one is in use."""
    problems = []
    if create_only and Indicator.objects.filter(key=key).exists():
        problems.append(Problem(f"an indicator with key {key!r} already exists", field="key"))
    if Indicator.objects.filter(series=series).exclude(key=key).exists():
        problems.append(
            Problem(f"series {series!r} is already followed by another indicator", field="series")
        )
    return problems
