"""Store the layers of one build in the catalogue: all of them or none.

Each layer is written as Parquet with its provenance in the file's metadata (key
``beffroi:provenance``: build id, build time, communes, and per raw file its origin, name, vintage,
licence and sha256), then every dataset is registered inside one transaction. If any registration
fails the transaction rolls back, the new files are removed, and the catalogue still points at the
previous versions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import transaction

from beffroi.core.actors import Actor
from beffroi.core.audit import record
from beffroi.core.permissions import require
from beffroi.sources import storage
from beffroi.sources.territory_layers.files import LICENCE, RawFile

PROVENANCE_KEY = b"beffroi:provenance"


@dataclass
class Layer:
    name: str
    title: str
    table: pa.Table
    raws: list[tuple[str, RawFile]]  # (role, file)
    notes: list[str] = field(default_factory=list)


def provenance_of(layer: Layer, *, build_id: str, built_at: str, communes: list[str]) -> dict:
    return {
        "build_id": build_id,
        "built_at": built_at,
        "communes": communes,
        "licence": LICENCE,
        "files": [raw.provenance(role) for role, raw in layer.raws],
        "notes": layer.notes,
    }


def do_store_layers(
    layers: list[Layer], *, build_id: str, built_at: str, communes: list[str], actor: Actor
) -> list:
    """Register every layer of a build in one transaction (permission ``sources.import_dataset``)."""
    from beffroi.sources.actions import do_store_parquet_dataset

    require(actor, "sources.import_dataset", system=("cli",))
    staged: list[Path] = []
    for layer in layers:
        meta = dict(layer.table.schema.metadata or {})
        meta[PROVENANCE_KEY] = json.dumps(
            provenance_of(layer, build_id=build_id, built_at=built_at, communes=communes), ensure_ascii=False
        ).encode()
        path = storage.staging_path(".parquet")
        pq.write_table(layer.table.replace_schema_metadata(meta), path, compression="zstd")
        staged.append(path)
    for raw in {raw.sha256: raw for layer in layers for _role, raw in layer.raws}.values():
        storage.store_raw_file(raw.path)  # kept under its sha256 for provenance and replay
    stored = []
    try:
        with transaction.atomic():
            for layer, path in zip(layers, staged, strict=True):
                origin = " ; ".join(f"{raw.producer} : {raw.origin}" for _role, raw in layer.raws)[:500]
                dataset = do_store_parquet_dataset(
                    layer.name,
                    path,
                    title=layer.title,
                    origin=origin,
                    licence=LICENCE,
                    geometry_column="geometry",
                    replace=True,
                    raw_sha256=layer.raws[0][1].sha256,
                    actor=actor,
                    action="sources.build_layer",
                )
                stored.append(dataset)
            record(
                actor,
                "sources.build_layers",
                None,
                detail={"build_id": build_id, "communes": communes, "datasets": [d.name for d in stored]},
            )
    except BaseException:
        # The failing registration removed its own file; the earlier ones of this build are not
        # referenced any more once the transaction rolled back.
        for dataset in stored:
            storage.remove(dataset.parquet_file)
        for path in staged:
            path.unlink(missing_ok=True)
        raise
    return stored


def provenance(parquet_path: Path | str) -> dict | None:
    """The provenance written by a layer build into a dataset's Parquet file, if any."""
    try:
        meta = pq.read_schema(parquet_path).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return None
    raw = meta.get(PROVENANCE_KEY)
    return json.loads(raw) if raw else None
