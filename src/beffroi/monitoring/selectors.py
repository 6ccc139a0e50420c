"""Reads of the monitoring app (dashboard, API, public pages, other apps)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from beffroi.core.permissions import ALL_COMMUNES, has_perm, user_communes
from beffroi.crossing import selectors as crossing
from beffroi.monitoring import contributed_layers
from beffroi.monitoring.anticipation import TREND_METHOD, daily_forecast_day, projection, time_to_threshold
from beffroi.monitoring.models import Indicator, IndicatorState, Observation, Proposal
from beffroi.sources import selectors as sources

log = logging.getLogger(__name__)

HISTORY = timedelta(hours=72)


def indicators_for_user(user: Any) -> QuerySet:
    if not has_perm(user, "monitoring.view_indicator"):
        return Indicator.objects.none()
    qs = Indicator.objects.select_related("state").prefetch_related("thresholds")
    communes = user_communes(user)
    return qs if ALL_COMMUNES in communes else qs.filter(commune__in=communes)


def get_indicator_for_user(user: Any, key: str) -> Indicator | None:
    return indicators_for_user(user).filter(key=key).first()


def proposals_for_user(user: Any, *, pending_only: bool = False, limit: int = 50) -> list[Proposal]:
    if not has_perm(user, "monitoring.view_indicator"):
        return []
    qs = Proposal.objects.select_related("indicator", "decided_by")
    communes = user_communes(user)
    if ALL_COMMUNES not in communes:
        qs = qs.filter(commune__in=communes)
    if pending_only:
        qs = qs.filter(status=Proposal.Status.PENDING)
    return list(qs[:limit])


def get_proposal_for_user(user: Any, proposal_id: int) -> Proposal | None:
    """The proposal if the user may see it (its commune is one of theirs), else None."""
    if not has_perm(user, "monitoring.view_indicator"):
        return None
    proposal = Proposal.objects.select_related("indicator").filter(pk=proposal_id).first()
    communes = user_communes(user)
    if proposal is None or not (ALL_COMMUNES in communes or proposal.commune in communes):
        return None
    return proposal


def series(
    indicator: Indicator,
    *,
    since: datetime | None = None,
    kind: str = Observation.Kind.OBSERVATION,
    until: datetime | None = None,
) -> list[tuple[datetime, float]]:
    qs = Observation.objects.filter(indicator=indicator, kind=kind)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lte=until)
    return list(qs.order_by("at").values_list("at", "value"))


def forecast_rows(
    indicator: Indicator, *, since: datetime | None = None, until: datetime | None = None
) -> list[tuple[datetime, float, float | None, float | None, datetime | None]]:
    """The indicator's forecast as ``(at, median, low, high, issued_at)``, oldest first."""
    qs = Observation.objects.filter(indicator=indicator, kind=Observation.Kind.FORECAST)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lte=until)
    return list(qs.order_by("at").values_list("at", "value", "low", "high", "issued_at"))


def _state(indicator: Indicator) -> IndicatorState:
    try:
        return indicator.state
    except IndicatorState.DoesNotExist:
        return IndicatorState(indicator=indicator)


def snapshot(indicator: Indicator, *, now: datetime | None = None, history: timedelta = HISTORY) -> dict:
    """Everything a dashboard or public page shows for one indicator (JSON-ready)."""
    now = now or timezone.now()
    state = _state(indicator)
    thresholds = list(indicator.thresholds.all())
    by_level = {t.level: t for t in thresholds}
    last = state.last_at or now
    observed = series(indicator, since=last - history)
    rows = forecast_rows(indicator, since=last - timedelta(hours=1))
    forecast = [(at, v) for at, v, _lo, _hi, _iss in rows]
    band = [(at, lo, hi) for at, _v, lo, hi, _iss in rows if lo is not None and hi is not None]
    issued = max((iss for *_x, iss in rows if iss is not None), default=None)
    trend = projection(observed) if not forecast else None
    next_t = next((t for t in thresholds if t.level > state.level), None)
    eta = None
    if next_t is not None:
        found = time_to_threshold(
            now, state.last_value, next_t.value, indicator.sign, forecast=forecast, trend=trend
        )
        if found is not None:
            eta = {
                "at": found[0].isoformat(),
                "basis": found[1],
                "level": next_t.level,
                "label": next_t.label,
                "hours": round((found[0] - now).total_seconds() / 3600, 1),
            }
            day = daily_forecast_day(forecast, found[0]) if found[1] == "forecast" else None
            if day is not None:
                # « seuil prévu demain » rather than an hour that is only the start of the day
                eta["day"] = day
                eta["days_ahead"] = (datetime.fromisoformat(day).date() - timezone.localtime(now).date()).days
            # The pessimistic side of the band says how soon the threshold could come at the earliest.
            bound = [(at, hi if indicator.sign > 0 else lo) for at, lo, hi in band]
            earliest = time_to_threshold(now, state.last_value, next_t.value, indicator.sign, forecast=bound)
            if earliest is not None and earliest[0] < found[0]:
                eta["earliest_at"] = earliest[0].isoformat()
                eta["earliest_hours"] = round((earliest[0] - now).total_seconds() / 3600, 1)
    level = by_level.get(state.level)
    stale = state.stale or state.is_stale(now)  # the stored flag: set by the staleness check
    return {
        "key": indicator.key,
        "label": indicator.label,
        "unit": indicator.unit,
        "source": indicator.source,
        "source_url": indicator.source_url,
        "series": indicator.series,
        "commune": indicator.commune,
        "hazard": indicator.hazard,
        "public": indicator.public,
        "demo": indicator.demo,
        "zones_dataset": indicator.zones_dataset,
        "lat": indicator.latitude,
        "lon": indicator.longitude,
        "direction": indicator.direction,
        "value": state.last_value,
        "at": state.last_at.isoformat() if state.last_at else None,
        "age_minutes": round((now - state.last_at).total_seconds() / 60) if state.last_at else None,
        "stale": stale,
        "stale_after_minutes": int(indicator.stale_after.total_seconds() // 60),
        "level": state.level,
        "level_label": level.label if level else "normal",
        "colour": level.colour if level else "#2e7d32",
        "since": state.since.isoformat() if state.since else None,
        "pending_level": state.candidate_level,
        "thresholds": [t.as_dict() for t in thresholds],
        "observations": [[at.isoformat(), v] for at, v in observed],
        "forecast": [[at.isoformat(), v] for at, v in forecast],
        "forecast_band": [[at.isoformat(), lo, hi] for at, lo, hi in band],
        "forecast_issued_at": issued.isoformat() if issued else None,
        "trend": (
            [[at.isoformat(), round(y, 4), round(lo, 4), round(hi, 4)] for at, y, lo, hi in trend.points]
            if trend
            else []
        ),
        "trend_slope_per_hour": round(trend.slope_per_hour, 5) if trend else None,
        "trend_method": TREND_METHOD if trend else None,
        "next_threshold": eta,
    }


def dashboard(user: Any) -> dict:
    now = timezone.now()
    indicators = [snapshot(i, now=now) for i in indicators_for_user(user)]
    return {"indicators": indicators, "now": now.isoformat()}


def freshness(user: Any) -> list[dict]:
    """Per source: the newest value and whether any of its indicators is late."""
    out: dict[str, dict] = {}
    now = timezone.now()
    for indicator in indicators_for_user(user):
        state = _state(indicator)
        entry = out.setdefault(
            indicator.source, {"source": indicator.source, "last_at": None, "stale": False, "count": 0}
        )
        entry["count"] += 1
        if state.last_at and (entry["last_at"] is None or state.last_at > entry["last_at"]):
            entry["last_at"] = state.last_at
        entry["stale"] = entry["stale"] or state.is_stale(now)
    return sorted(out.values(), key=lambda e: e["source"])


def public_indicators() -> QuerySet:
    return Indicator.objects.filter(public=True).select_related("state").prefetch_related("thresholds")


def forecast_peak(indicator: Indicator, *, now: datetime | None = None) -> tuple[datetime, float, str] | None:
    """The highest value expected in the next 72 hours, as ``(at, value, basis)``: the highest source
    forecast (basis ``forecast``), else the top of the trend projection (``trend``); the last
    observation instead (``observation``) when it is higher still. ``None`` without either."""
    now = now or timezone.now()
    forecast = series(indicator, since=now, until=now + timedelta(hours=72), kind=Observation.Kind.FORECAST)
    if forecast:
        peak_at, peak = max(forecast, key=lambda p: p[1])
        basis = "forecast"
    else:
        trend = projection(series(indicator, since=now - HISTORY))
        if trend is None:
            return None
        peak_at, peak = max(((at, y) for at, y, _lo, _hi in trend.points), key=lambda p: p[1])
        basis = "trend"
    state = _state(indicator)
    if state.last_value is not None and state.last_at is not None and state.last_value > peak:
        peak_at, peak, basis = state.last_at, state.last_value, "observation"
    return peak_at, peak, basis


def forecast_exposure(indicator: Indicator, user: Any, *, now: datetime | None = None) -> dict | None:
    """What will be in the water at the forecast peak, for a station linked to a zones-per-level
    dataset (through the crossing app): the highest zone whose level the peak reaches.

    The peak is the highest source forecast in the next 72 hours, else the top of the trend
    projection (``forecast_peak``); ``None`` when the indicator has no linked zones.
    """
    if not indicator.zones_dataset:
        return None

    found = forecast_peak(indicator, now=now)
    if found is None:
        return {"peak": None, "zone": None}
    peak_at, peak, basis = found
    result = crossing.scenario(indicator.zones_dataset, user=user)
    levels = sorted(result["levels"], key=lambda lv: lv["level"])
    reached = [lv for lv in levels if lv["level"] <= peak]
    zone = reached[-1] if reached else None
    return {
        "peak": peak,
        "peak_at": peak_at.isoformat() if peak_at else None,
        "basis": basis,
        "unit": indicator.unit,
        "dataset": result.get("dataset"),
        "title": result.get("title"),
        "source": result.get("source"),
        "zone": (
            {"level": zone["level"], "label": zone["label"], "summary": zone["summary"]} if zone else None
        ),
        "first_level": levels[0]["level"] if levels else None,
    }


NORMAL_COLOUR = "#2e7d32"


def _colour_at(indicator: Indicator, value: float) -> str:
    """Colour of the level a value enters (thresholds themselves, no hysteresis)."""
    reached = [t for t in indicator.thresholds.all() if value * indicator.sign >= t.value * indicator.sign]
    return max(reached, key=lambda t: t.level).colour if reached else NORMAL_COLOUR


def _empty_layers() -> dict:
    return {
        "zones": {"type": "FeatureCollection", "features": []},
        "facilities": {"type": "FeatureCollection", "features": [], "truncated": False},
    }


def map_layers(user: Any, *, now: datetime | None = None) -> dict:
    """Hazard zones and facilities for the monitoring map, read through the crossing app's contract.

    ``zones``: for each indicator the user may see that is linked to a zones-per-level dataset, the
    zone reached at its current value (``kind: current``) and, when the forecast peak reaches a
    higher level, the zone at the peak (``kind: forecast``), coloured like the level each value
    enters. ``facilities``: facility points of the user's communes. Both are empty for a user who may
    not see exposure; a dataset that is missing or cannot be read is left out and logged, so one bad
    file never breaks the dashboard.
    """
    layers = _empty_layers()
    if not has_perm(user, "monitoring.view_indicator") or not has_perm(user, "crossing.view_exposure"):
        return layers
    now = now or timezone.now()
    linked = [i for i in indicators_for_user(user) if i.zones_dataset]
    known = {d.name for d in crossing.hazard_datasets()} if linked else set()
    for indicator in linked:
        if indicator.zones_dataset not in known:
            log.warning(
                "monitoring: indicator %s is linked to zones %r, which are not in the catalogue",
                indicator.key,
                indicator.zones_dataset,
            )
            continue
        try:
            layers["zones"]["features"].extend(_indicator_zones(crossing, indicator, user, now))
        except Exception:  # noqa: BLE001 - a broken file (or a bug reading it) must not take the page down
            log.exception(
                "monitoring: could not draw the zones %s of %s", indicator.zones_dataset, indicator.key
            )
    try:
        layers["facilities"] = crossing.facilities_geojson(user=user)
    except Exception:  # noqa: BLE001 - same: the map stays usable without its facilities
        log.exception("monitoring: could not read the facilities for the map")
    return layers


def _indicator_zones(crossing: Any, indicator: Indicator, user: Any, now: datetime) -> list[dict]:
    state = _state(indicator)
    common = {"indicator": indicator.key, "indicator_label": indicator.label, "unit": indicator.unit}
    out = []
    current = None
    if state.last_value is not None:
        current = crossing.zone_at_level(indicator.zones_dataset, state.last_value, user=user)
        if current is not None:
            current["properties"].update(
                common,
                kind="current",
                value=state.last_value,
                at=state.last_at.isoformat() if state.last_at else None,
                colour=_colour_at(indicator, state.last_value),
            )
            out.append(current)
    peak = forecast_peak(indicator, now=now)
    if peak is not None and peak[2] != "observation":
        peak_at, value, basis = peak
        ahead = crossing.zone_at_level(indicator.zones_dataset, value, user=user)
        # The same zone as now adds nothing to the map: only a zone reaching further is drawn.
        if ahead is not None and (
            current is None or ahead["properties"]["level"] > current["properties"]["level"]
        ):
            ahead["properties"].update(
                common,
                kind="forecast",
                basis=basis,
                value=value,
                at=peak_at.isoformat(),
                colour=_colour_at(indicator, value),
            )
            out.append(ahead)
    return out


EMPTY_CRISIS_LAYER: dict = {"crises": [], "entries": [], "shelters": []}


def crisis_layer(user: Any) -> dict:
    """Located facts of the crisis cell for the monitoring map (main-courante entries with a
    position, shelters), as the crisis app releases them through ``contributed_layers``; empty when no
    app registered that layer."""
    layer = contributed_layers.MAP_LAYERS.get("crisis")
    return layer(user) if layer is not None else dict(EMPTY_CRISIS_LAYER)


# --- Creating an indicator -------------------------------------------------------------------------

# The columns of the point tables the sources app keeps for each live source (one run's points).
POINT_COLUMNS = {"series", "at", "value", "unit"}


def key_in_use(key: str) -> bool:
    return Indicator.objects.filter(key=key).exists()


def series_in_use(series: str) -> bool:
    return Indicator.objects.filter(series=series).exists()


def free_indicator_key(label: str) -> str:
    """A key derived from the label, suffixed ``-2``, ``-3``… until no indicator has it."""
    base = slugify(label)[:70].strip("-") or "indicateur"
    taken = set(Indicator.objects.filter(key__startswith=base).values_list("key", flat=True))
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def unfollowed_series(*, limit: int = 500) -> list[str]:
    """Series identifiers the configured sources produce that no indicator follows yet.

    Observations are stored only for series an indicator follows (``do_ingest_points`` skips the
    others), so the candidates come from the point tables the sources app keeps per live source,
    read through its catalogue contract. A table that cannot be read is left out, never an error:
    this only feeds suggestions.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    found: set[str] = set()
    for info in sources.list_datasets():
        if not POINT_COLUMNS.issubset(name for name, _type in info.columns):
            continue
        try:
            column = pq.read_table(info.parquet_path, columns=["series"]).column("series")
        except (OSError, pa.ArrowException):
            log.warning("monitoring: could not read the series of dataset %s", info.name)
            continue
        found.update(s for s in pc.unique(column).to_pylist() if isinstance(s, str) and s)
    return sorted(found - set(Indicator.objects.values_list("series", flat=True)))[:limit]
