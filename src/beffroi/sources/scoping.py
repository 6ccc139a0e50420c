"""Each commune sees its own data: which datasets a user may see, and which of their rows.

A dataset records the communes its rows concern (``Dataset.communes``), found when it is stored:
from a column of INSEE codes (``commune_column``: « code_insee », « codgeo », « citycode »…), else
from its geometry (each row placed in the territory's commune boundaries), else the communes of the
person who imported it. A user sees a dataset when it concerns one of their communes, and only the
rows of their communes: rows are cut by the commune column, or by the geometry against their
communes' boundaries. A dataset an administrator marked territory-wide (``territory_wide``: a
flood-risk map of the whole valley, say) is shown whole to everyone allowed to read datasets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely
from shapely.geometry import shape

from beffroi.core.actors import SystemActor
from beffroi.core.permissions import ALL_COMMUNES, user_communes
from beffroi.territory.selectors import communes as territory_communes

# Column names that hold a commune's INSEE code in the usual French files (BAN, INSEE, BPE, FINESS…),
# compared without case, accents or separators.
COMMUNE_COLUMNS = (
    "codeinsee",
    "insee",
    "codgeo",
    "codecommune",
    "codecommuneinsee",
    "codeinseecommune",
    "inseecom",
    "communecode",
    "citycode",
    "depcom",
    "com",
)
INSEE = re.compile(r"^(\d[\dAB]\d{3})$")

RowFilter = Callable[[pa.RecordBatch], pa.RecordBatch]


def _folded(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _as_codes(array: pa.Array) -> pa.Array:
    """A column of codes as strings; integers zero-padded to 5 digits (a spreadsheet turns the code
    « 01053 » into the number 1053)."""
    if pa.types.is_integer(array.type):
        return pc.utf8_lpad(pc.cast(array, pa.string()), 5, "0")
    return pc.utf8_trim_whitespace(pc.cast(array, pa.string()))


def commune_column_of(schema: pa.Schema, path: Path) -> str:
    """The column of INSEE codes, if one has such a name and its values look like codes."""
    by_fold = {_folded(n): n for n in schema.names}
    for candidate in COMMUNE_COLUMNS:
        name = by_fold.get(candidate)
        if name is None:
            continue
        field = schema.field(name)
        if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)) and not (
            pa.types.is_integer(field.type)
        ):
            continue
        sample = pq.ParquetFile(path).read_row_group(0, columns=[name]).column(0).slice(0, 200)
        values = [v for v in _as_codes(sample.combine_chunks()).to_pylist() if v]
        if values and sum(1 for v in values if INSEE.match(v)) >= 0.9 * len(values):
            return name
    return ""


def _boundaries(codes: set[str] | None) -> list[tuple[str, Any]]:
    out = []
    for commune in territory_communes():
        if commune.boundary and (codes is None or commune.code in codes):
            geometry = shape(commune.boundary)
            shapely.prepare(geometry)
            out.append((commune.code, geometry))
    return out


def _points(batch: pa.RecordBatch, geometry_column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A point inside each row's geometry (its representative point), and which rows have one."""
    wkb = batch.column(geometry_column).to_pylist()
    present = np.array([v is not None for v in wkb], dtype=bool)
    geometries = shapely.from_wkb([v for v in wkb if v is not None])
    points = shapely.point_on_surface(geometries)
    xs = np.full(len(wkb), np.nan)
    ys = np.full(len(wkb), np.nan)
    xs[present], ys[present] = shapely.get_x(points), shapely.get_y(points)
    return xs, ys, present


def coverage(path: Path, schema: pa.Schema, geometry_column: str | None) -> tuple[list[str], str]:
    """(communes of the territory the rows concern, the commune column found or "")."""
    known = {c.code for c in territory_communes()}
    column = commune_column_of(schema, path)
    found: set[str] = set()
    parquet = pq.ParquetFile(path)
    if column:
        for batch in parquet.iter_batches(batch_size=50_000, columns=[column]):
            found |= set(_as_codes(batch.column(0)).to_pylist())
        return sorted(found & known), column
    if geometry_column:
        boundaries = _boundaries(None)
        for batch in parquet.iter_batches(batch_size=50_000, columns=[geometry_column]):
            xs, ys, present = _points(batch, geometry_column)
            for code, geometry in boundaries:
                if code not in found and shapely.intersects_xy(geometry, xs[present], ys[present]).any():
                    found.add(code)
        return sorted(found), ""
    return [], ""


def stored_scope(actor, communes: list[str]) -> tuple[list[str], bool]:
    """The communes to record for a dataset whose rows say none, and whether it is territory-wide:
    the importer's own communes; a connector or the demo fetched it for the whole territory."""
    if communes:
        return communes, False
    if isinstance(actor, SystemActor):
        return [], True
    codes = user_communes(actor)
    if ALL_COMMUNES in codes:
        return [], True
    return sorted(codes), False


def _whole(user) -> bool:
    return ALL_COMMUNES in user_communes(user)


def can_see(dataset, user) -> bool:
    if dataset.territory_wide or _whole(user):
        return True
    return bool(set(dataset.communes) & user_communes(user))


def visible(datasets, user) -> list:
    return [d for d in datasets if can_see(d, user)]


def row_filter(dataset, user) -> RowFilter | None:
    """What cuts a batch of the dataset's rows to the user's communes (``None``: every row)."""
    if dataset.territory_wide or _whole(user):
        return None
    mine = user_communes(user)
    if dataset.commune_column:
        column = dataset.commune_column
        allowed = pa.array(sorted(mine), pa.string())

        def by_code(batch: pa.RecordBatch) -> pa.RecordBatch:
            return batch.filter(pc.is_in(_as_codes(batch.column(column)), value_set=allowed))

        return by_code
    if dataset.geometry_column:
        column = dataset.geometry_column
        boundaries = [g for _c, g in _boundaries(mine)]
        union = shapely.union_all(boundaries) if boundaries else shapely.Polygon()
        shapely.prepare(union)

        def by_place(batch: pa.RecordBatch) -> pa.RecordBatch:
            xs, ys, present = _points(batch, column)
            keep = np.zeros(len(xs), dtype=bool)
            keep[present] = shapely.intersects_xy(union, xs[present], ys[present])
            return batch.filter(pa.array(keep))

        return by_place
    return None  # nothing to cut by: can_see() already decided from the importer's communes
