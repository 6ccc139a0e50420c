"""Ingestion of observation points: validation, unit conversion, storage, then threshold evaluation."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from beffroi.core import audit
from beffroi.core.actors import Actor
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import allowed_system, require
from beffroi.monitoring.evaluation import _evaluate
from beffroi.monitoring.models import (
    Indicator,
    Observation,
)

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


def _factor(unit: str, target: str) -> float | None:
    a, b = unit.lower().replace("³", "3"), target.lower().replace("³", "3")
    return 1.0 if a == b else CONVERSIONS.get((a, b))


def max_age() -> timedelta:
    return timedelta(days=int(getattr(settings, "MONITORING_MAX_AGE_DAYS", 35)))


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


class Row(NamedTuple):
    indicator: Indicator
    at: datetime
    value: float
    kind: str
    low: float | None = None
    high: float | None = None
    issued_at: datetime | None = None


def validate_points(points, *, strict: bool, now: datetime | None = None):
    """Check a batch; return ``(rows, skipped)`` with rows = ``Row(indicator, at, value, kind, low,
    high, issued_at)``; a forecast point goes to every indicator following its series or naming it
    as forecast series.

    Raises ``UserError`` listing every problem (field ``points[i].x``) when any point is bad: a batch
    is stored entirely or not at all. Unknown series are a problem when ``strict``, else skipped.
    """
    now = now or timezone.now()
    oldest = now - max_age()
    if not isinstance(points, list | tuple):
        raise UserError(
            _("points doit être une liste"), [Problem(_("une liste de points est attendue"), field="points")]
        )
    series = {p.get("series") for p in points if isinstance(p, dict) and isinstance(p.get("series"), str)}
    indicators = {i.series: i for i in Indicator.objects.filter(series__in=series)}
    # Forecasts published under another series (Vigicrues for a station Hub'Eau observes) go to the
    # indicators that name that series as their forecast series, as well.
    forecast_for: dict[str, list[Indicator]] = {}
    for ind in Indicator.objects.filter(forecast_series__in=series):
        forecast_for.setdefault(ind.forecast_series, []).append(ind)
    rows, problems, skipped = [], [], 0
    for n, point in enumerate(points):
        where = f"points[{n}]"
        if not isinstance(point, dict):
            problems.append(Problem(_("un point doit être un objet"), field=where))
            continue
        kind = point.get("kind") or Observation.Kind.OBSERVATION
        targets = [indicators[k] for k in [str(point.get("series"))] if k in indicators]
        if kind == Observation.Kind.FORECAST:
            targets += [i for i in forecast_for.get(str(point.get("series")), []) if i not in targets]
        indicator = targets[0] if targets else None
        if indicator is None:
            if strict:
                problems.append(
                    Problem(
                        _("série d'indicateur inconnue %(series)s") % {"series": repr(point.get("series"))},
                        field=f"{where}.series",
                    )
                )
            else:
                skipped += 1
            continue
        value = point.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems.append(
                Problem(
                    _("value doit être un nombre fini (reçu : %(value)s)") % {"value": repr(value)},
                    field=f"{where}.value",
                )
            )
            continue
        band, bad_band = {}, False
        for name in ("low", "high"):
            bound = point.get(name)
            if bound is None:
                continue
            if isinstance(bound, bool) or not isinstance(bound, int | float) or not math.isfinite(bound):
                problems.append(
                    Problem(
                        _("%(name)s doit être un nombre fini (reçu : %(bound)s)")
                        % {"name": name, "bound": repr(bound)},
                        field=f"{where}.{name}",
                    )
                )
                bad_band = True
            else:
                band[name] = float(bound)
        if bad_band:
            continue
        if band.get("low", value) > value or band.get("high", value) < value:
            problems.append(Problem(_("low <= value <= high est obligatoire"), field=f"{where}.low"))
            continue
        issued = None
        if point.get("issued_at") is not None:
            issued = _parse_at(point.get("issued_at"))
            if issued is None:
                problems.append(
                    Problem(
                        _("issued_at doit être une date-heure ISO 8601 avec fuseau horaire"),
                        field=f"{where}.issued_at",
                    )
                )
                continue
        unit = str(point.get("unit") or "").strip()
        factor = 1.0
        if unit.lower() != indicator.unit.lower():
            found = CONVERSIONS.get(
                (unit.lower().replace("³", "3"), indicator.unit.lower().replace("³", "3"))
            )
            if found is None:
                problems.append(
                    Problem(
                        _("l'unité %(unit)s ne correspond pas à celle de l'indicateur (%(unit2)s)")
                        % {"unit": repr(unit), "unit2": repr(indicator.unit)},
                        field=f"{where}.unit",
                    )
                )
                continue
            factor = found
        if kind not in Observation.Kind.values:
            problems.append(
                Problem(
                    _("kind doit valoir « observation » ou « forecast » (reçu : %(kind)s)")
                    % {"kind": repr(kind)},
                    field=f"{where}.kind",
                )
            )
            continue
        at = _parse_at(point.get("at"))
        if at is None:
            problems.append(
                Problem(_("at doit être une date-heure ISO 8601 avec fuseau horaire"), field=f"{where}.at")
            )
            continue
        limit = now + (MAX_FORECAST_AHEAD if kind == Observation.Kind.FORECAST else FUTURE_TOLERANCE)
        if at > limit:
            problems.append(
                Problem(
                    _("l'horodatage %(isoformat)s est dans le futur") % {"isoformat": at.isoformat()},
                    field=f"{where}.at",
                )
            )
            continue
        if at < oldest:
            problems.append(
                Problem(
                    _("l'horodatage %(isoformat)s a plus de %(days)s jours")
                    % {"isoformat": at.isoformat(), "days": max_age().days},
                    field=f"{where}.at",
                )
            )
            continue
        low, high = band.get("low"), band.get("high")
        for target in targets:
            # each indicator following the series may keep it in its own unit
            f = factor if target is indicator else _factor(unit, target.unit)
            if f is None:
                continue
            rows.append(
                Row(
                    target,
                    at,
                    float(value) * f,
                    kind,
                    low * f if low is not None else None,
                    high * f if high is not None else None,
                    issued,
                )
            )
    if problems:
        raise UserError(
            _("%(problems)s point(s) invalide(s) ; rien n'a été enregistré") % {"problems": len(problems)},
            problems[: UserError.MAX_SHOWN],
            total=len(problems),
        )
    return rows, skipped


def do_ingest_points(points, *, source: str, actor: Actor, strict: bool = False) -> int:
    """Store observations/forecasts and evaluate thresholds; returns the number of points stored.

    The contract used by the sources' live connectors (``SystemActor("poll_sources")``), derived
    indicators, the demo, the CLI and the API (actor = the token's user, ``strict=True``: an
    unknown series is an error rather than skipped).
    """
    rows, skipped = validate_points(points, strict=strict)
    if not allowed_system(actor, INGESTERS):
        for commune in sorted({row.indicator.commune for row in rows}):
            require(actor, "monitoring.add_observation", commune)
    if not rows:
        return 0
    now = timezone.now()
    unique: dict[tuple[int, str, datetime], Row] = {}
    for row in rows:
        unique[(row.indicator.pk, row.kind, row.at)] = row
    by_indicator: dict[int, Indicator] = {}
    with transaction.atomic():
        # A new issue of a forecast replaces the previous one from its first time on: a later
        # forecast that the new issue no longer contains must not linger on the chart.
        first_new: dict[int, datetime] = {}
        for (pk, kind, at), row in unique.items():
            if kind == Observation.Kind.FORECAST and row.issued_at is not None:
                first_new[pk] = min(at, first_new.get(pk, at))
        for pk, since in first_new.items():
            keep = [at for (p, k, at) in unique if p == pk and k == Observation.Kind.FORECAST]
            Observation.objects.filter(
                indicator_id=pk, kind=Observation.Kind.FORECAST, at__gte=since
            ).exclude(at__in=keep).delete()
        Observation.objects.bulk_create(
            [
                Observation(
                    indicator=r.indicator,
                    at=r.at,
                    value=r.value,
                    kind=r.kind,
                    source=source[:120],
                    received_at=now,
                    low=r.low,
                    high=r.high,
                    issued_at=r.issued_at,
                )
                for r in unique.values()
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["indicator", "kind", "at"],
            update_fields=["value", "source", "received_at", "low", "high", "issued_at"],
        )
        observed: dict[int, list[tuple[datetime, float]]] = {}
        forecast_counts: dict[int, int] = {}
        for (pk, kind, at), row in unique.items():
            by_indicator[pk] = row.indicator
            if kind == Observation.Kind.OBSERVATION:
                observed.setdefault(pk, []).append((at, row.value))
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
