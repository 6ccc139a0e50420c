"""The DuckDB engine's figures against an independent shapely computation on the synthetic data."""

from collections import Counter

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, shape

from beffroi.crossing.exposure import compute, flatten
from beffroi.crossing.geometry import parse_area, to_lambert93
from beffroi.crossing.synthetic import BANDS

# A polygon with a hole across the centre of Rueil-Malmaison.
AREA = {
    "type": "Polygon",
    "coordinates": [
        [[2.170, 48.860], [2.205, 48.860], [2.205, 48.885], [2.170, 48.885], [2.170, 48.860]],
        [[2.185, 48.868], [2.192, 48.868], [2.192, 48.875], [2.185, 48.875], [2.185, 48.868]],
    ],
}


def _layer(result, key):
    return next(layer for layer in result["layers"] if layer["layer"] == key)


def _points(table):
    return np.asarray(table["lon"]), np.asarray(table["lat"])


def test_points_layers_match_shapely(demo_tables, demo_layers):
    area = parse_area(AREA)
    result = compute(area, [demo_layers["addresses"], demo_layers["facilities"]])
    geom = shape(AREA)
    xs, ys = _points(demo_tables["addresses"])
    expected = int(shapely.intersects_xy(geom, xs, ys).sum())
    assert _layer(result, "addresses")["figures"]["total"] == expected
    assert expected > 100
    fac = demo_tables["facilities"]
    fx, fy = _points(fac)
    inside = shapely.intersects_xy(geom, fx, fy)
    by_type = Counter(t for t, ok in zip(fac["type"].to_pylist(), inside, strict=True) if ok)
    figures = _layer(result, "facilities")["figures"]
    assert figures == {"total": sum(by_type.values()), **dict(sorted(by_type.items()))}


def test_residents_apportioned_by_surface_match_shapely(demo_tables, demo_layers):
    area = parse_area(AREA)
    result = compute(area, [demo_layers["iris-population"]])
    residents = _layer(result, "residents")
    a93 = to_lambert93(shape(AREA))
    pop = demo_tables["iris-population"]
    expected = dict.fromkeys((*BANDS, "pop_total"), 0.0)
    for row, wkb in zip(pop.drop_columns(["geometry"]).to_pylist(), pop["geometry"].to_pylist(), strict=True):
        z = to_lambert93(shapely.from_wkb(wkb))
        share = z.intersection(a93).area / z.area
        for k in expected:
            expected[k] += share * row[k]
    assert residents["figures"]["total"] == pytest.approx(expected["pop_total"], abs=2)
    assert residents["figures"]["75+"] == pytest.approx(expected["pop_75_plus"], abs=2)
    assert "surface" in residents["method"]
    assert residents["sources"][0]["synthetic"] is True


def test_residents_apportioned_by_addresses_match_shapely(demo_tables, demo_layers):
    area = parse_area(AREA)
    result = compute(area, [demo_layers["iris-population"], demo_layers["addresses"]])
    residents = _layer(result, "residents")
    assert "adresses" in residents["method"]
    geom = shape(AREA)
    addr = demo_tables["addresses"]
    xs, ys = _points(addr)
    inside = shapely.intersects_xy(geom, xs, ys)
    per_all = Counter(addr["iris_code"].to_pylist())
    per_in = Counter(c for c, ok in zip(addr["iris_code"].to_pylist(), inside, strict=True) if ok)
    pop = demo_tables["iris-population"].to_pylist()
    expected = sum(z["pop_total"] * per_in[z["iris_code"]] / per_all[z["iris_code"]] for z in pop)
    assert residents["figures"]["total"] == pytest.approx(expected, abs=2)
    assert {s["dataset"] for s in residents["sources"]} == {"iris-population", "addresses"}


def test_whole_commune_gives_its_population(demo_layers, reference_communes):
    nogent = reference_communes["94052"]
    area = parse_area(nogent.geometry_geojson())
    result = compute(area, [demo_layers["iris-population"]], layers=["residents"])
    assert _layer(result, "residents")["figures"]["total"] == pytest.approx(nogent.population, rel=0.002)


def test_flood_zones_report_the_lowest_level_reaching_the_area(demo_tables, demo_layers):
    zones = demo_tables["flood-zones-marne"]
    highest = shapely.from_wkb(zones["geometry"].to_pylist()[-1])
    lowest = shapely.from_wkb(zones["geometry"].to_pylist()[0])
    # A small square inside the highest zone but outside the lowest one.
    spot = highest.difference(lowest).representative_point()
    square = Polygon.from_bounds(spot.x - 1e-5, spot.y - 1e-5, spot.x + 1e-5, spot.y + 1e-5)
    area = parse_area(shapely.geometry.mapping(square))
    layer = _layer(compute(area, [demo_layers["flood-zones-marne"]]), "zones:flood-zones-marne")
    assert layer["figures"]["lowest_level"] > zones["level"].to_pylist()[0]
    assert layer["figures"]["zones"] >= 1


def test_layers_filter_and_flatten(demo_layers):
    area = parse_area(AREA)
    result = compute(area, list(demo_layers.values()), layers=["addresses"])
    assert [layer["layer"] for layer in result["layers"]] == ["addresses"]
    rows = flatten(result)
    assert rows[0]["layer"] == "addresses" and "synthetic" in rows[0]["sources"]


def test_presence_at_an_hour_is_apportioned_by_surface(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from beffroi.crossing.layers import LayerSource

    square = Polygon.from_bounds(2.0, 48.0, 2.02, 48.02)
    table = pa.table(
        {
            "zone": ["a", "a"],
            "hour": [8, 20],
            "count": [1000, 200],
            "geometry": [shapely.to_wkb(square), shapely.to_wkb(square)],
        }
    )
    path = tmp_path / "presence-mobile.parquet"
    pq.write_table(table, path)
    layer = LayerSource("presence-mobile", "Présence", path, "geometry")
    half = parse_area(shapely.geometry.mapping(Polygon.from_bounds(2.0, 48.0, 2.01, 48.02)))
    expected_share = (
        to_lambert93(Polygon.from_bounds(2.0, 48.0, 2.01, 48.02)).area / to_lambert93(square).area
    )
    morning = _layer(compute(half, [layer], at_hour=8), "presence")
    evening = _layer(compute(half, [layer], at_hour=20), "presence")
    assert morning["figures"]["total"] == round(1000 * expected_share)
    assert evening["figures"]["total"] == round(200 * expected_share)
    assert morning["figures"]["hour"] == 8


def test_stops_and_any_dataset_with_a_geometry(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from beffroi.crossing.layers import LayerSource

    stops = pa.table(
        {
            "stop_name": ["Gare", "Mairie", "Loin"],
            "routes": ["A, 244", "244,N53", "1"],
            "lon": [2.18, 2.20, 3.0],
            "lat": [48.87, 48.87, 49.0],
        }
    )
    pq.write_table(stops, tmp_path / "gtfs-stops.parquet")
    wells = pa.table(
        {"geometry": [shapely.to_wkb(shapely.Point(2.18, 48.87)), shapely.to_wkb(shapely.Point(5, 45))]}
    )
    pq.write_table(wells, tmp_path / "wells.parquet")
    result = compute(
        parse_area(AREA),
        [
            LayerSource("gtfs-stops", "Arrêts", tmp_path / "gtfs-stops.parquet", None),
            LayerSource("wells", "Puits", tmp_path / "wells.parquet", "geometry"),
        ],
    )
    stops_layer = _layer(result, "stops")
    assert stops_layer["figures"] == {"total": 2, "lines": 3}
    assert stops_layer["details"]["lines"] == ["244", "A", "N53"]
    assert _layer(result, "dataset:wells")["figures"] == {"total": 1}


def test_duckdb_engine_counts_borders_inside_and_holes_outside_like_points_in_area(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from beffroi.crossing import engine
    from beffroi.crossing.selectors import points_in_area
    from tests.crossing.test_geometry import SQUARE_WITH_HOLE

    pts = [
        ("hole", 2.05, 48.05),
        ("in", 2.01, 48.01),
        ("edge", 2.0, 48.05),
        ("corner", 2.1, 48.1),
        ("hole-edge", 2.04, 48.05),
        ("out", 2.2, 48.05),
    ]
    path = tmp_path / "pts.parquet"
    pq.write_table(
        pa.table({"id": [p[0] for p in pts], "lon": [p[1] for p in pts], "lat": [p[2] for p in pts]}), path
    )
    area = parse_area(SQUARE_WITH_HOLE)
    rows = engine.rows_in_area(path, None, area.geometry, ["id"])
    assert (
        {r[0] for r in rows} == points_in_area(SQUARE_WITH_HOLE, pts) == {"in", "edge", "corner", "hole-edge"}
    )
