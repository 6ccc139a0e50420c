"""Hazard zones at a level and facility points, as map layers other apps draw (the /veille/ map)."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
import shapely
from django.core.exceptions import PermissionDenied
from shapely.geometry import shape

from beffroi.crossing import demo
from beffroi.crossing.selectors import facilities_geojson, zone_at_level
from beffroi.sources.selectors import get_dataset
from beffroi.territory.selectors import communes


@pytest.fixture
def catalogue(territory):
    demo.load(["92063", "92033", "94052"])


def _boundary(code):
    return next(shape(c.boundary) for c in communes() if c.code == code)


def _expected_zone(dataset, value, code):
    """The zone computed straight from the Parquet file: every level up to ``value``, in the commune."""
    table = pq.read_table(get_dataset(dataset).parquet_path)
    geoms = [
        shapely.from_wkb(wkb)
        for level, wkb in zip(table["level"].to_pylist(), table["geometry"].to_pylist(), strict=True)
        if level <= value
    ]
    return shapely.union_all(geoms).intersection(_boundary(code))


def test_zone_at_a_height_is_every_level_reached_clipped_and_light(catalogue, make_user):
    user = make_user("lecteur")
    feature = zone_at_level("flood-zones-marne", 5.4, user=user)
    assert feature["type"] == "Feature"
    props = feature["properties"]
    assert props["dataset"] == "flood-zones-marne" and props["level"] == 5.0
    assert "5 m" in props["label"] and props["synthetic"] is True and props["title"].startswith("Zones")
    got = shape(feature["geometry"])
    expected = _expected_zone("flood-zones-marne", 5.4, "94052")
    # Simplified for the map (about 5 m): the same zone within a percent of its surface.
    assert got.symmetric_difference(expected).area / expected.area < 0.01
    assert len(json.dumps(feature)) < 300_000
    # Higher water, wider zone; the top level reaches further than the lower ones.
    wider = shape(zone_at_level("flood-zones-marne", 9, user=user)["geometry"])
    assert wider.area > got.area and got.difference(wider).area / got.area < 0.01


def test_no_zone_below_the_lowest_level_for_an_unknown_dataset_or_outside_the_communes(catalogue, make_user):
    user = make_user("lecteur")
    assert zone_at_level("flood-zones-marne", 3.99, user=user) is None
    assert zone_at_level("no-such-zones", 5, user=user) is None
    assert zone_at_level("facilities", 5, user=user) is None  # not a zones-per-level dataset
    # The Marne zones lie in Gournay (94052): nothing of them in Rueil's reader's communes.
    assert zone_at_level("flood-zones-marne", 6, user=make_user("lecteur", communes=["92063"])) is None


def test_zone_is_clipped_to_the_users_communes(catalogue, make_user):
    """A user of one commune gets the part of the zone inside it, never beyond."""
    feature = zone_at_level("flood-zones-seine", 8.7, user=make_user("lecteur", communes=["92063"]))
    got = shape(feature["geometry"])
    assert _boundary("92063").buffer(1e-4).covers(got)


def test_facilities_inside_the_users_communes_with_names_and_source(catalogue, make_user):
    user = make_user("lecteur", communes=["92063"])
    collection = facilities_geojson(user=user)
    assert collection["type"] == "FeatureCollection" and collection["truncated"] is False
    table = pq.read_table(get_dataset("facilities").parquet_path)
    lon = np.asarray(table["lon"].to_pylist())
    lat = np.asarray(table["lat"].to_pylist())
    boundary = _boundary("92063")
    shapely.prepare(boundary)
    expected = int(shapely.intersects_xy(boundary, lon, lat).sum())
    assert len(collection["features"]) == expected > 0
    first = collection["features"][0]
    assert first["geometry"]["type"] == "Point"
    assert set(first["properties"]) == {"name", "type", "dataset", "title", "synthetic"}
    assert first["properties"]["synthetic"] is True and first["properties"]["type"]
    assert all("(92063)" in f["properties"]["name"] for f in collection["features"])


def test_facilities_are_cut_at_the_limit_and_say_so(catalogue, make_user):
    collection = facilities_geojson(user=make_user("lecteur"), limit=5)
    assert len(collection["features"]) == 5 and collection["truncated"] is True


def test_layers_need_the_exposure_permission(catalogue, territory):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", password="x")
    with pytest.raises(PermissionDenied):
        zone_at_level("flood-zones-marne", 5, user=nobody)
    with pytest.raises(PermissionDenied):
        facilities_geojson(user=nobody)


def test_a_detailed_zone_is_simplified_to_a_small_payload(territory, make_user, tmp_path):
    """A real zones map can hold hundreds of thousands of vertices: the map gets a few thousand."""
    import pyarrow as pa

    from beffroi.crossing.geometry import to_lambert93, to_wgs84
    from beffroi.crossing.layers import LayerSource

    centre = to_lambert93(_boundary("94052").centroid)
    # A wobbly ring of 200,000 vertices, 600 m across, in Gournay.
    angles = np.linspace(0, 2 * np.pi, 200_000, endpoint=False)
    radius = 300 + 3 * np.sin(angles * 5000)
    ring = np.column_stack([centre.x + radius * np.cos(angles), centre.y + radius * np.sin(angles)])
    detailed = to_wgs84(shapely.Polygon(ring))
    path = tmp_path / "zones-detailed.parquet"
    pq.write_table(pa.table({"level": [1.0], "label": ["1 m"], "geometry": [shapely.to_wkb(detailed)]}), path)
    source = LayerSource("zones-detailed", "Zones détaillées", path, "geometry")
    feature = zone_at_level("zones-detailed", 1.5, user=make_user("lecteur"), datasets=[source])
    assert len(json.dumps(feature)) < 300_000
    got = shape(feature["geometry"])
    assert got.symmetric_difference(detailed).area / detailed.area < 0.02
