"""Run a configured source: fetch → parse → store, record the run, push observations to monitoring."""

from __future__ import annotations

import logging

import pyarrow as pa
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor, SystemActor
from beffroi.sources import sinks, storage
from beffroi.sources.connectors import get_connector_class
from beffroi.sources.connectors.base import Parsed
from beffroi.sources.connectors.errors import SourceError
from beffroi.sources.models import Run, Source

log = logging.getLogger(__name__)

POLLER = SystemActor("poll_sources")


def points_table(points: list[dict]) -> pa.Table:
    return pa.table(
        {
            "series": pa.array([p["series"] for p in points], pa.string()),
            "at": pa.array([p["at"] for p in points], pa.timestamp("us", tz="UTC")),
            "value": pa.array([p["value"] for p in points], pa.float64()),
            "unit": pa.array([p["unit"] for p in points], pa.string()),
            "kind": pa.array([p.get("kind", "observation") for p in points], pa.string()),
            # a forecast's band and issue time (null for observations and bare forecasts)
            "low": pa.array([p.get("low") for p in points], pa.float64()),
            "high": pa.array([p.get("high") for p in points], pa.float64()),
            "issued_at": pa.array([p.get("issued_at") for p in points], pa.timestamp("us", tz="UTC")),
        }
    )


def store(src: Source, parsed: Parsed) -> list[str]:
    """Store what a run fetched, as the poller (the run itself was allowed by ``do_run_source``)."""
    from beffroi.sources.actions import do_store_parquet_dataset

    notes: list[str] = []
    if parsed.staged is not None:
        do_store_parquet_dataset(
            src.name,
            parsed.staged.path,
            title=src.title,
            origin=parsed.staged.label,
            licence=src.licence,
            geometry_column=parsed.staged.geometry_column,
            replace=True,
            raw_sha256=parsed.staged.raw_sha256,
            source=src,
            action="sources.store_source_dataset",
            actor=POLLER,
        )
        return notes
    table = parsed.table
    if table is None and parsed.points:
        table = points_table(parsed.points)
    if table is not None:
        staged = storage.staging_path(".parquet")
        import pyarrow.parquet as pq

        pq.write_table(table, staged, compression="zstd")
        do_store_parquet_dataset(
            src.name,
            staged,
            geometry_column=parsed.geometry_column,
            title=src.title,
            origin=src.origin,
            licence=src.licence,
            replace=True,
            source=src,
            action="sources.store_source_dataset",
            actor=POLLER,
        )
    if parsed.points:
        # The observations come from the source, not from whoever asked for the run: monitoring
        # takes them from the poller (a user who clicked "run now" may have no monitoring right).
        notes.append(sinks.push_points(parsed.points, src.name, actor=POLLER))
    return notes


def run_source(src: Source, *, actor: Actor, dry_run: bool = False, connector=None) -> Run:
    """Fetch, parse and store one source; ``actor`` (who asked for the run) is named on its record.

    The run's error, problems and notes are stored text shown to the whole crisis cell: they are
    written in the territory's language (``settings.LANGUAGE_CODE``), whoever asked for the run and
    in whatever language their page is.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _run(src, actor=actor, dry_run=dry_run, connector=connector)


def _run(src: Source, *, actor: Actor, dry_run: bool, connector) -> Run:
    from beffroi.sources.actions import do_record_run

    started = timezone.now()
    cls = get_connector_class(src.kind)
    conn = connector or cls(src.config, source_name=src.name)
    parsed = None
    try:
        payloads = conn.fetch()
        parsed = conn.parse(payloads)
        digests = [] if dry_run else [storage.store_raw(p.content) for p in conn.payloads]
        notes = list(parsed.notes)
        if not dry_run:
            notes += store(src, parsed)
        report = {
            "requests": [
                {"url": p.url, "status": p.status, "bytes": len(p.content), "sha256": p.sha256}
                for p in conn.payloads
            ],
            "rows": parsed.rows,
            "problems": [str(p) for p in parsed.problems[:50]],
            "problem_count": len(parsed.problems),
            "notes": notes,
        }
        status = Run.Status.DRY_RUN if dry_run else Run.Status.OK
        return do_record_run(
            src,
            status=status,
            started_at=started,
            rows=parsed.rows,
            report=report,
            payloads=digests,
            actor=actor,
        )
    except SourceError as exc:
        return _failed(src, started, str(exc), conn, dry_run, actor)
    except Exception as exc:  # a bug or an unexpected payload must not stop other sources
        log.exception("source %s failed", src.name)
        message = _("erreur interne : %(type)s : %(error)s") % {"type": type(exc).__name__, "error": exc}
        return _failed(src, started, message, conn, dry_run, actor)
    finally:
        if parsed is not None and parsed.staged is not None:
            parsed.staged.discard()
        conn.close()


def _failed(src, started, message, conn, dry_run, actor: Actor) -> Run:
    from beffroi.sources.actions import do_record_run

    digests = [] if dry_run else [storage.store_raw(p.content) for p in conn.payloads]
    report = {
        "requests": [{"url": p.url, "status": p.status, "bytes": len(p.content)} for p in conn.payloads]
    }
    status = Run.Status.DRY_RUN if dry_run else Run.Status.FAILED
    return do_record_run(
        src, status=status, started_at=started, error=message, report=report, payloads=digests, actor=actor
    )
