"""Areas: points on borders and in holes, invalid areas refused or repaired, buffers in metres."""

import random

import pytest
from shapely.geometry import Point, shape

from beffroi.core.errors import UserError
from beffroi.crossing.geometry import buffer_area, parse_area, to_lambert93
from beffroi.crossing.selectors import points_in_area

SQUARE_WITH_HOLE = {
    "type": "Polygon",
    "coordinates": [
        [[2.0, 48.0], [2.1, 48.0], [2.1, 48.1], [2.0, 48.1], [2.0, 48.0]],
        [[2.04, 48.04], [2.06, 48.04], [2.06, 48.06], [2.04, 48.06], [2.04, 48.04]],
    ],
}


def test_points_on_borders_count_inside_and_points_in_holes_do_not():
    points = [
        ("centre-of-hole", 2.05, 48.05),
        ("inside", 2.01, 48.01),
        ("on-outer-edge", 2.0, 48.05),
        ("on-corner", 2.1, 48.1),
        ("on-hole-edge", 2.04, 48.05),
        ("outside", 2.2, 48.05),
        ("no-coordinates", None, None),
    ]
    assert points_in_area(SQUARE_WITH_HOLE, points) == {
        "inside",
        "on-outer-edge",
        "on-corner",
        "on-hole-edge",
    }


def test_agrees_with_an_independent_shapely_computation_on_random_points():
    rng = random.Random(4)
    area = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "MultiPolygon",
            "coordinates": [
                SQUARE_WITH_HOLE["coordinates"],
                [[[2.3, 48.3], [2.4, 48.3], [2.35, 48.4], [2.3, 48.3]]],
            ],
        },
    }
    points = [(i, rng.uniform(1.95, 2.45), rng.uniform(47.95, 48.45)) for i in range(3000)]
    reference = shape(area["geometry"])
    expected = {i for i, x, y in points if reference.covers(Point(x, y))}
    got = points_in_area(area, points)
    assert got == expected
    assert 0 < len(got) < len(points)


def test_feature_collection_areas_are_merged():
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [[[5, 5], [6, 5], [6, 6], [5, 5]]]},
            },
        ],
    }
    assert points_in_area(fc, [("a", 0.9, 0.1), ("b", 5.9, 5.1), ("c", 3, 3)]) == {"a", "b"}


def test_unclosed_ring_is_refused_with_a_clear_message():
    with pytest.raises(UserError, match="n'est pas fermé"):
        parse_area({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]})


def test_too_many_vertices_is_refused():
    n = 10_001
    import math

    ring = [
        [2 + 0.01 * math.cos(2 * math.pi * i / n), 48 + 0.01 * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    ring.append(ring[0])
    with pytest.raises(UserError, match="la limite est 10000"):
        parse_area({"type": "Polygon", "coordinates": [ring]})


def test_self_intersecting_area_is_refused_unless_repair_is_asked():
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(UserError, match="pas un polygone valide"):
        parse_area(bowtie)
    area = parse_area(bowtie, repair=True)
    assert area.repaired and area.geometry.is_valid
    assert "réparée" in area.notes[0]
    assert area.geometry.area == pytest.approx(0.5)
    # The helper other apps use repairs on its own.
    assert points_in_area(bowtie, [("left", 0.1, 0.5), ("top", 0.5, 0.9)]) == {"left"}


def test_non_areas_and_garbage_are_refused():
    for bad in (
        None,
        {"type": "Point", "coordinates": [2, 48]},
        {"type": "Polygon", "coordinates": [[[200, 0], [201, 0], [201, 1], [200, 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
        {"type": "FeatureCollection", "features": []},
    ):
        with pytest.raises(UserError):
            parse_area(bad)


def test_buffer_around_a_point_and_a_line_is_in_metres():
    circle = buffer_area({"type": "Point", "coordinates": [2.35, 48.85]}, 300)
    assert to_lambert93(circle.geometry).area == pytest.approx(3.14159 * 300**2, rel=0.01)
    line = buffer_area({"type": "LineString", "coordinates": [[2.30, 48.85], [2.32, 48.85]]}, 100)
    l93 = to_lambert93(line.geometry)
    length = to_lambert93(shape({"type": "LineString", "coordinates": [[2.30, 48.85], [2.32, 48.85]]})).length
    assert l93.area == pytest.approx(2 * 100 * length + 3.14159 * 100**2, rel=0.01)
    with pytest.raises(UserError, match="buffer"):
        buffer_area({"type": "Point", "coordinates": [2.35, 48.85]}, -5)
