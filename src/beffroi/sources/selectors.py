"""Reads of the catalogue other apps may use (contract: get_dataset, list_datasets)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from beffroi.sources import storage
from beffroi.sources.models import Dataset, Run, Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    parquet_path: Path
    geometry_column: str | None
    row_count: int
    licence: str
    origin: str
    updated_at: datetime
    synthetic: bool
    freshness: str = "fresh"
    columns: tuple = ()


def _info(d: Dataset) -> DatasetInfo:
    return DatasetInfo(
        name=d.name,
        title=d.title or d.name,
        parquet_path=storage.absolute(d.parquet_file),
        geometry_column=d.geometry_column or None,
        row_count=d.row_count,
        licence=d.licence,
        origin=d.origin,
        updated_at=d.updated_at,
        synthetic=d.synthetic,
        freshness=d.freshness,
        columns=tuple((c["name"], c["type"]) for c in d.columns),
    )


def get_dataset(name: str) -> DatasetInfo | None:
    d = Dataset.objects.select_related("source").filter(name=name).first()
    return _info(d) if d else None


def list_datasets() -> list[DatasetInfo]:
    return [_info(d) for d in Dataset.objects.select_related("source").all()]


def dataset(name: str) -> Dataset | None:
    return Dataset.objects.select_related("source").filter(name=name).first()


def datasets() -> list[Dataset]:
    return list(Dataset.objects.select_related("source").all())


def _with_failing_since(qs):
    """Annotate ``first_failure_at``: the start of the first failed run since the last success.

    Read from the runs rather than stored, so no bookkeeping can drift; the (source, -started_at)
    index serves it.
    """
    from django.db.models import F, OuterRef, Q, Subquery

    first = (
        Run.objects.filter(source=OuterRef("pk"), status=Run.Status.FAILED)
        .filter(Q(source__last_success_at__isnull=True) | Q(started_at__gt=F("source__last_success_at")))
        .order_by("started_at")
        .values("started_at")[:1]
    )
    return qs.annotate(first_failure_at=Subquery(first))


def failing_since(source_obj: Source) -> datetime | None:
    """Since when a failing source fails (None if it does not, or if no run says when)."""
    if source_obj.consecutive_failures <= 0:
        return None
    if not hasattr(source_obj, "first_failure_at"):
        source_obj = _with_failing_since(Source.objects.filter(pk=source_obj.pk)).get()
    # a source marked failing with no failed run kept (set by hand, demo data): its last run is the
    # best bound we have
    return source_obj.first_failure_at or source_obj.last_run_at  # type: ignore[attr-defined]


def sources() -> list[Source]:
    return list(_with_failing_since(Source.objects.all()))


def source(name: str) -> Source | None:
    return _with_failing_since(Source.objects.filter(name=name)).first()


def recent_runs(source_obj: Source, limit: int = 20) -> list[Run]:
    return list(source_obj.runs.all()[:limit])


def due_sources(now) -> list[Source]:
    from django.db.models import Q

    return list(
        Source.objects.filter(enabled=True).filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now))
    )


def failing_sources() -> list[Source]:
    """For the dashboard: enabled sources whose last run failed, the longest failing first.

    Each carries ``first_failure_at`` (see ``failing_since``)."""
    failing = list(_with_failing_since(Source.objects.filter(enabled=True, consecutive_failures__gt=0)))
    far_future = datetime.max.replace(tzinfo=UTC)
    failing.sort(key=lambda s: (failing_since(s) or far_future, s.name))
    return failing


def preview(dataset_obj: Dataset, n: int = 20, *, row_filter=None) -> tuple[list[str], list[list]]:
    """First rows of a dataset for display (geometry shown as its type), cut by ``row_filter``."""
    import pyarrow.parquet as pq

    path = storage.absolute(dataset_obj.parquet_file)
    if not path.is_file():
        return [], []
    pf = pq.ParquetFile(path)
    names = pf.schema_arrow.names
    kept: list[dict] = []
    for batch in pf.iter_batches(batch_size=max(n, 5000)):
        if row_filter is not None:
            batch = row_filter(batch)
        kept.extend(batch.slice(0, n - len(kept)).to_pylist())
        if len(kept) >= n:
            break
    out = []
    for r in kept:
        row = []
        for k in names:
            v = r[k]
            if isinstance(v, bytes):
                import shapely

                try:
                    v = shapely.from_wkb(v).geom_type
                except Exception:  # not a geometry: show its size only
                    log.debug(
                        "sources: column %s of %s is not a geometry", k, dataset_obj.name, exc_info=True
                    )
                    v = f"<{len(v)} octets>"
            row.append(v)
        out.append(row)
    return names, out


def provenance(name: str) -> dict | None:
    """For any page showing a value: where it comes from and how old it is."""
    d = dataset(name)
    if d is None:
        return None
    from django.urls import reverse

    return {
        "name": d.name,
        "title": d.title,
        "url": reverse("sources:dataset", args=[d.name]),
        "origin": d.origin,
        "licence": d.licence,
        "updated_at": d.updated_at,
        "freshness": d.freshness,
    }
