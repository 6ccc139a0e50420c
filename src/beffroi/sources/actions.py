"""Writes on the catalogue: every one checks permission, runs in one transaction and is audited."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor
from beffroi.core.audit import record
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import require
from beffroi.sources import scoping, storage
from beffroi.sources.models import Dataset, Run, Source

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


def check_name(name: str, what: str = "dataset") -> str:
    if not NAME_RE.match(name or ""):
        message = (
            _("%(name)r n'est pas un nom de source valide : 1 à 80 minuscules, chiffres, « - » ou « _ ».")
            if what == "source"
            else _(
                "%(name)r n'est pas un nom de jeu de données valide : 1 à 80 minuscules, chiffres, "
                "« - » ou « _ »."
            )
        )
        raise UserError(message % {"name": name}, [Problem(_("nom invalide"), field="name")])
    return name


def _register(
    name: str,
    relative: str,
    schema: pa.Schema,
    row_count: int,
    *,
    title: str,
    origin: str,
    licence: str,
    synthetic: bool,
    geometry_column: str | None,
    actor: Actor,
    replace: bool = True,
    raw_sha256: str = "",
    source: Source | None = None,
    action: str = "sources.store_dataset",
) -> Dataset:
    """Point the catalogue at a Parquet file already in place; remove the file if this fails."""
    old_file = ""
    try:
        found, commune_column = scoping.coverage(storage.absolute(relative), schema, geometry_column)
        communes, territory_wide = scoping.stored_scope(actor, found)
        with transaction.atomic():
            existing = Dataset.objects.select_for_update().filter(name=name).first()
            if existing is not None and not replace:
                raise UserError(
                    _("Le jeu de données %(name)r existe déjà ; ajoutez --replace pour le remplacer.")
                    % {"name": name},
                    [Problem(_("jeu de données existant"), field="dataset")],
                )
            now = timezone.now()
            dataset = existing or Dataset(name=name, created_at=now)
            old_file = existing.parquet_file if existing else ""
            dataset.title = title or dataset.title or name
            dataset.origin = origin
            dataset.licence = licence
            dataset.synthetic = synthetic
            dataset.parquet_file = relative
            dataset.geometry_column = geometry_column or ""
            dataset.row_count = row_count
            dataset.columns = storage.describe_columns(schema)
            dataset.raw_sha256 = raw_sha256
            dataset.communes = communes
            dataset.commune_column = commune_column
            if existing is None or not existing.territory_wide:  # an administrator's mark stays
                dataset.territory_wide = territory_wide
            dataset.updated_at = now
            if source is not None:
                dataset.source = source
            dataset.save()
            record(
                actor,
                action,
                dataset,
                detail={
                    "name": name,
                    "rows": row_count,
                    "origin": origin,
                    "replaced": existing is not None,
                    "communes": communes,
                    "territory_wide": dataset.territory_wide,
                },
            )
            if old_file and old_file != relative:
                transaction.on_commit(lambda: storage.remove(old_file))
    except BaseException:
        storage.remove(relative)
        raise
    return dataset


def do_store_dataframe_dataset(
    name: str,
    table: pa.Table,
    *,
    title: str,
    origin: str,
    licence: str,
    synthetic: bool = False,
    geometry_column: str | None = None,
    actor: Actor,
) -> Dataset:
    """Store (or replace) a dataset from an Arrow table. Contract used by other apps' demo data."""
    require(actor, "sources.import_dataset", system=("demo", "cli"))
    check_name(name)
    if geometry_column and geometry_column not in table.column_names:
        raise UserError(
            _("La colonne de géométrie %(column)r n'est pas dans la table.") % {"column": geometry_column},
            [Problem(_("colonne absente"), field=geometry_column)],
        )
    relative = storage.write_parquet(name, table)
    return _register(
        name,
        relative,
        table.schema,
        table.num_rows,
        title=title,
        origin=origin,
        licence=licence,
        synthetic=synthetic,
        geometry_column=geometry_column,
        actor=actor,
    )


def do_store_parquet_dataset(
    name: str,
    parquet: Path,
    *,
    title: str,
    origin: str,
    licence: str,
    geometry_column: str | None = None,
    replace: bool = False,
    raw_sha256: str = "",
    source: Source | None = None,
    actor: Actor,
    action: str = "sources.import_dataset",
) -> Dataset:
    """Adopt a staged Parquet file (written by an import) as dataset ``name``; all or nothing."""
    require(actor, "sources.import_dataset", system=("poll_sources", "cli", "demo"))
    check_name(name)
    meta = pq.read_metadata(parquet)
    schema = pq.read_schema(parquet)
    if not replace and Dataset.objects.filter(name=name).exists():
        Path(parquet).unlink(missing_ok=True)
        raise UserError(
            _("Le jeu de données %(name)r existe déjà ; ajoutez --replace pour le remplacer.")
            % {"name": name},
            [Problem(_("jeu de données existant"), field="dataset")],
        )
    relative = storage.adopt_parquet(name, Path(parquet))
    return _register(
        name,
        relative,
        schema,
        meta.num_rows,
        title=title or name,
        origin=origin,
        licence=licence,
        synthetic=False,
        geometry_column=geometry_column,
        actor=actor,
        replace=replace,
        raw_sha256=raw_sha256,
        source=source,
        action=action,
    )


def do_set_territory_wide(dataset: Dataset, territory_wide: bool, *, actor: Actor) -> Dataset:
    """An administrator shows a dataset whole to every commune (or cuts it to each one's rows again)."""
    require(actor, "sources.mark_territory_wide", system=("cli",))
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
        dataset.territory_wide = territory_wide
        dataset.save(update_fields=["territory_wide"])
        record(actor, "sources.territory_wide", dataset, detail={"territory_wide": territory_wide})
    return dataset


def do_delete_dataset(name: str, *, actor: Actor) -> None:
    require(actor, "sources.import_dataset", system=("cli",))
    with transaction.atomic():
        dataset = Dataset.objects.filter(name=name).first()
        if dataset is None:
            raise UserError(_("Aucun jeu de données nommé %(name)r.") % {"name": name})
        relative = dataset.parquet_file
        record(actor, "sources.delete_dataset", dataset, detail={"name": name})
        dataset.delete()
        transaction.on_commit(lambda: storage.remove(relative))


# --- live sources -----------------------------------------------------------------------------


def do_add_source(
    name: str,
    kind: str,
    *,
    config: dict[str, Any],
    period_seconds: int | None = None,
    title: str = "",
    enabled: bool = True,
    replace: bool = False,
    actor: Actor,
) -> Source:
    require(actor, "sources.manage_sources", system=("cli", "demo"))
    check_name(name, "source")
    from beffroi.sources.connectors import get_connector_class

    cls = get_connector_class(kind)
    clean = cls.validate_config(config)
    with transaction.atomic():
        existing = Source.objects.filter(name=name).first()
        if existing and not replace:
            raise UserError(
                _("La source %(name)r existe déjà.") % {"name": name},
                [Problem(_("source existante"), field="name")],
            )
        src = existing or Source(name=name)
        src.kind = kind
        src.title = title or cls.stored_title(clean)
        src.config = clean
        src.period_seconds = period_seconds or cls.default_period
        src.enabled = enabled
        src.licence = cls.licence
        src.origin = cls.origin_for(clean)
        src.save()
        record(
            actor,
            "sources.add_source" if not existing else "sources.update_source",
            src,
            detail={"kind": kind},
        )
    return src


BACKOFF_CAP = timedelta(hours=6)
BACKOFF_JITTER = 0.1  # up to 10 % earlier, so sources that failed together do not retry together


def backoff_delay(period: timedelta, failures: int, *, jitter: float = BACKOFF_JITTER) -> timedelta:
    """Retry a failing source sooner than never but later each time: 1, 2, 4 ... periods, max 6 h.

    The exponent is capped *before* the power is taken: ``period * 2**(failures - 1)`` overflows
    ``timedelta`` around the 38th failure of a 15-minute source, which rolled back the very run
    that should have recorded the error. The result is then shortened by a random fraction (at most
    ``jitter``), never lengthened, so the cap stays a hard upper bound.
    """
    base = max(period, timedelta(seconds=1))  # a zero period must still back off
    cap = max(base, BACKOFF_CAP)
    # the smallest k with base * 2**k >= cap: beyond it every delay is the cap
    steps = -(-cap // base)  # ceil(cap / base), an int
    k = (steps - 1).bit_length()
    exponent = min(max(0, failures - 1), k)
    delay = min(base * (1 << exponent), cap)
    if jitter > 0:
        delay -= delay * (min(jitter, 1.0) * random.random())
    return delay


def do_record_run(
    source: Source,
    *,
    status: str,
    started_at,
    rows: int = 0,
    error: str = "",
    report: dict | None = None,
    payloads: list[str] | None = None,
    actor: Actor,
) -> Run:
    """Write a run's outcome and the source's freshness bookkeeping (called by the runner).

    ``actor`` is who asked for the run: the poller, the CLI, the demo, or a user (``do_run_source``).
    """
    require(actor, "sources.manage_sources", system=("poll_sources", "cli", "demo"))
    now = timezone.now()
    with transaction.atomic():
        src = Source.objects.select_for_update().get(pk=source.pk)
        run = Run.objects.create(
            source=src,
            started_at=started_at,
            finished_at=now,
            status=status,
            rows=rows,
            error=error[:4000],
            report=report or {},
            payloads=payloads or [],
        )
        if status != Run.Status.DRY_RUN:
            src.last_run_at = now
            if status == Run.Status.OK:
                src.last_success_at = now
                src.last_error = ""
                src.consecutive_failures = 0
                src.next_run_at = now + src.period
            else:
                src.last_error = error[:4000]
                src.consecutive_failures += 1
                src.next_run_at = now + backoff_delay(src.period, src.consecutive_failures)
            src.save()
        record(actor, "sources.run", src, detail={"status": status, "rows": rows, "error": error[:300]})
    source.refresh_from_db()
    return run


def do_run_source(source: Source, *, actor: Actor, dry_run: bool = False) -> Run:
    """Run a source now (from the catalogue page or the API)."""
    require(actor, "sources.manage_sources", system=("cli",))
    from beffroi.sources.runner import run_source

    return run_source(source, actor=actor, dry_run=dry_run)


def do_set_source_enabled(source: Source, enabled: bool, *, actor: Actor) -> Source:
    require(actor, "sources.manage_sources", system=("cli",))
    with transaction.atomic():
        source.enabled = enabled
        source.save(update_fields=["enabled"])
        record(actor, "sources.enable_source" if enabled else "sources.disable_source", source)
    return source
