"""Bulk point-in-polygon: the grid engine agrees with DuckDB's spatial join and with shapely."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from shapely.geometry import Polygon

from beffroi.crossing import engine, pip
from beffroi.crossing.selectors import count_points_per_zone


def test_grid_assignment_matches_duckdb_and_shapely(tmp_path, reference_communes):
    zones = [(c.code, shapely.geometry.shape(c.geometry_geojson())) for c in reference_communes.values()]
    # A zone with a hole, and one inside the hole.
    ring = Polygon(
        [(2.30, 48.80), (2.34, 48.80), (2.34, 48.84), (2.30, 48.84)],
        holes=[[(2.31, 48.81), (2.33, 48.81), (2.33, 48.83), (2.31, 48.83)]],
    )
    zones += [("ring", ring), ("island", Polygon.from_bounds(2.315, 48.815, 2.325, 48.825))]
    zones_path = tmp_path / "zones.parquet"
    pq.write_table(
        pa.table({"code": [k for k, _g in zones], "geometry": [shapely.to_wkb(g) for _k, g in zones]}),
        zones_path,
    )
    rng = np.random.default_rng(7)
    x = rng.uniform(2.10, 2.55, 60_000)
    y = rng.uniform(48.78, 48.90, 60_000)
    points_path = tmp_path / "points.parquet"
    pq.write_table(pa.table({"lon": x, "lat": y}), points_path)

    ours = count_points_per_zone(points_path, zones_path, zone_key="code")
    duck = engine.count_points_per_zone(points_path, zones_path, zone_key="code")
    expected = {k: int(shapely.intersects_xy(g, x, y).sum()) for k, g in zones}
    expected = {k: v for k, v in expected.items() if v}
    assert ours == duck == expected
    assert ours["ring"] > 0 and ours["island"] > 0 and set(ours) >= {"92063", "94052"}
    # A coarse grid (more mixed cells) and a fine one give the same answer.
    index = pip.build_index([k for k, _g in zones], [g for _k, g in zones], n=16)
    coarse = pip.assign(index, x, y)
    assert {index.keys[i]: int(c) for i, c in enumerate(coarse) if c} == expected
