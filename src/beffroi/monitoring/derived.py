"""Indicators computed from Beffroi's own data rather than pushed by a source.

An indicator is derived when its series names where its values come from:

- ``crossing:<saved crossing id>:<layer>:<figure>``, e.g. ``crossing:3:residents:pop_75_plus``: the
  figure of a saved crossing, one point each time the crossing is recomputed (its datasets changed);
- ``dataset:<name>:<value column>:<date column>[?column=value&…]``, e.g.
  ``dataset:sp-pos-quot-92:P:jour?cl_age90=0``: one point per row of a catalogue dataset (a
  data.gouv.fr resource polled by the sources app, an imported file), dated by the date column.

``sync_derived`` runs every 15 minutes in the worker (and with ``beffroi monitoring sync-derived``);
the points go through ``do_ingest_points`` like any source's, so levels, proposals and the live
dashboard behave the same. Only points newer than the indicator's last value are sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.core.errors import Problem, UserError
from beffroi.crossing.selectors import saved_figures
from beffroi.monitoring.models import Indicator
from beffroi.sources.selectors import get_dataset

log = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")
SOURCE = "beffroi (indicateur calculé)"


@dataclass
class SyncReport:
    points: int = 0
    indicators: int = 0
    problems: list[str] = field(default_factory=list)


def is_derived(series: str) -> bool:
    return series.startswith(("crossing:", "dataset:"))


def _bad(series: str, reason: str) -> UserError:
    return UserError(f"series {series!r}: {reason}", [Problem(reason, field="series")])


Point = tuple[datetime, float]


def crossing_points(series: str, since: datetime | None) -> list[Point]:
    _prefix, pk, *rest = series.split(":")
    key = ":".join(rest)
    if not pk.isdigit() or not key:
        raise _bad(series, "expected crossing:<saved crossing id>:<layer>:<figure>")
    found = saved_figures(int(pk))
    if found is None:
        raise _bad(series, f"no saved crossing number {pk}")
    computed_at, figures = found
    if key not in figures:
        raise _bad(series, f"no figure {key!r} (known: {', '.join(sorted(figures)) or 'none'})")
    if since is not None and computed_at <= since:
        return []
    return [(computed_at, figures[key])]


def _as_moment(value) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=PARIS)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=PARIS)
    if isinstance(value, str):
        try:
            return _as_moment(datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


def dataset_points(series: str, since: datetime | None, oldest: datetime) -> list[Point]:
    import duckdb

    spec, _q, query = series.partition("?")
    parts = spec.split(":")
    if len(parts) != 4:
        raise _bad(series, "expected dataset:<name>:<value column>:<date column>[?column=value]")
    _prefix, name, value_col, date_col = parts
    info = get_dataset(name)
    if info is None:
        raise _bad(series, f"no dataset named {name!r} in the catalogue")
    columns = {c for c, _type in info.columns}
    filters = parse_qsl(query, keep_blank_values=True)
    for column in (value_col, date_col, *(c for c, _v in filters)):
        if column not in columns:
            raise _bad(series, f"dataset {name!r} has no column {column!r}")
    # Column names were checked against the dataset's schema above; values are parameters.
    where = " AND ".join(f'CAST("{c}" AS VARCHAR) = ?' for c, _v in filters) or "TRUE"
    sql = f'SELECT "{date_col}", TRY_CAST("{value_col}" AS DOUBLE) FROM read_parquet(?) WHERE {where}'  # noqa: S608
    with duckdb.connect() as db:
        rows = db.execute(sql, [str(info.parquet_path), *(v for _c, v in filters)]).fetchall()
    latest: dict[datetime, float] = {}
    for raw_at, value in rows:
        at = _as_moment(raw_at)
        if at is None or value is None or at < oldest or (since is not None and at <= since):
            continue
        latest[at] = value  # one value per moment: the last row wins
    return sorted(latest.items())


def sync_indicator(indicator: Indicator, now: datetime | None = None) -> int:
    """Send one derived indicator's new points (its levels are evaluated as they are stored); the
    number stored. Raises ``UserError`` naming what is wrong with a broken series."""
    from beffroi.monitoring.actions import do_ingest_points, max_age

    now = now or timezone.now()
    oldest = now - max_age() + timedelta(hours=1)
    state = getattr(indicator, "state", None)
    since = state.last_at if state is not None else None
    if indicator.series.startswith("crossing:"):
        points = crossing_points(indicator.series, since)
    else:
        points = dataset_points(indicator.series, since, oldest)
    # The values are computed in the indicator's own unit; without it the ingestion would refuse them
    # for any indicator whose unit is not empty.
    batch = [
        {"series": indicator.series, "at": at.isoformat(), "value": value, "unit": indicator.unit}
        for at, value in points
        if at <= now
    ]
    return do_ingest_points(batch, source=SOURCE, actor=SystemActor("monitoring")) if batch else 0


def sync_derived(now: datetime | None = None) -> SyncReport:
    """Send the new points of every derived indicator; a broken series is reported, not fatal."""
    now = now or timezone.now()
    report = SyncReport()
    for indicator in Indicator.objects.select_related("state").order_by("key"):
        if not is_derived(indicator.series):
            continue
        try:
            report.points += sync_indicator(indicator, now)
            report.indicators += 1
        except UserError as exc:
            report.problems.append(f"{indicator.key}: {exc.message}")
            log.warning("derived indicator %s: %s", indicator.key, exc.message)
    return report
