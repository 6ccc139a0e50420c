"""Bulk point-in-polygon: assign millions of (lon, lat) points to zone polygons, counted per zone.

A regular grid over the zones is labelled once (cached per zones file): a cell lying within one
zone gets that zone, a cell touching no zone is "outside", the others are "mixed". Each point is
then assigned by integer arithmetic on its cell; only points of mixed cells (along borders, around
holes) get an exact test, with shapely's STRtree (``intersects``: a point on an outline counts
inside, as everywhere in the crossing app). Counts match DuckDB's ``ST_Intersects`` spatial join
(tested), faster because most points never reach a geometric predicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import shapely

OUTSIDE, MIXED = -1, -2
GRID = 512
BATCH = 2_000_000


@dataclass(frozen=True)
class ZoneIndex:
    keys: tuple
    tree: shapely.STRtree
    labels: np.ndarray
    x0: float
    y0: float
    dx: float
    dy: float
    n: int


def build_index(keys: list, polygons, n: int = GRID) -> ZoneIndex:
    polygons = np.asarray(polygons, dtype=object)
    tree = shapely.STRtree(polygons)
    x0, y0, x1, y1 = shapely.total_bounds(polygons)
    dx, dy = (x1 - x0) / n or 1.0, (y1 - y0) / n or 1.0
    gx, gy = np.meshgrid(np.arange(n), np.arange(n))
    ix, iy = gx.ravel(), gy.ravel()
    boxes = shapely.box(x0 + ix * dx, y0 + iy * dy, x0 + (ix + 1) * dx, y0 + (iy + 1) * dy)
    labels = np.full(n * n, OUTSIDE, dtype=np.int32)
    touched, _ = tree.query(boxes, predicate="intersects")
    labels[touched] = MIXED
    inside, zone = tree.query(boxes, predicate="within")
    labels[inside] = zone
    return ZoneIndex(tuple(keys), tree, labels, float(x0), float(y0), float(dx), float(dy), n)


@lru_cache(maxsize=4)
def _cached_index(path: str, key: str, geometry: str, _mtime: int, _size: int, n: int) -> ZoneIndex:
    table = pq.read_table(path, columns=[key, geometry])
    return build_index(table[key].to_pylist(), shapely.from_wkb(table[geometry].to_pylist()), n)


def zone_index(zones_path: Path, key: str, geometry: str = "geometry", n: int = GRID) -> ZoneIndex:
    st = Path(zones_path).stat()
    return _cached_index(str(zones_path), key, geometry, st.st_mtime_ns, st.st_size, n)


def assign(index: ZoneIndex, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Counts per zone (array aligned with ``index.keys``) of the points (x, y)."""
    n = index.n
    cx = np.floor((x - index.x0) / index.dx).astype(np.int64)
    cy = np.floor((y - index.y0) / index.dy).astype(np.int64)
    # Points exactly on the far edge of the grid belong to the last cell.
    cx[(cx == n) & (x <= index.x0 + n * index.dx)] = n - 1
    cy[(cy == n) & (y <= index.y0 + n * index.dy)] = n - 1
    inside_grid = (cx >= 0) & (cx < n) & (cy >= 0) & (cy < n)
    label = np.full(x.shape, OUTSIDE, dtype=np.int32)
    label[inside_grid] = index.labels[cy[inside_grid] * n + cx[inside_grid]]
    counts = np.bincount(label[label >= 0], minlength=len(index.keys)).astype(np.int64)
    mixed = np.flatnonzero(label == MIXED)
    if mixed.size:
        _pts, hit = index.tree.query(shapely.points(x[mixed], y[mixed]), predicate="intersects")
        counts += np.bincount(hit, minlength=len(index.keys))
    return counts


def grid_for(n_points: int) -> int:
    """Finer grids cost more to build but leave fewer points to test exactly."""
    return 256 if n_points < 3_000_000 else GRID


def count_points_per_zone(
    points_path: Path,
    zones_path: Path,
    *,
    zone_key: str,
    zone_geometry: str = "geometry",
    grid: int | None = None,
) -> dict[str, int]:
    pfile = pq.ParquetFile(points_path)
    index = zone_index(zones_path, zone_key, zone_geometry, grid or grid_for(pfile.metadata.num_rows))
    counts = np.zeros(len(index.keys), dtype=np.int64)
    for batch in pfile.iter_batches(columns=["lon", "lat"], batch_size=BATCH):
        x = batch.column(0).to_numpy(zero_copy_only=False).astype(float, copy=False)
        y = batch.column(1).to_numpy(zero_copy_only=False).astype(float, copy=False)
        ok = ~(np.isnan(x) | np.isnan(y))
        counts += assign(index, x[ok], y[ok])
    return {str(index.keys[i]): int(c) for i, c in enumerate(counts) if c}
