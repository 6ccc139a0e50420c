from __future__ import annotations

import math

import pytest

from beffroi.alerts.area import validate_area, validate_polygon
from beffroi.core.errors import UserError


def square(size=0.01):
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [2.18, 48.86],
                [2.18 + size, 48.86],
                [2.18 + size, 48.86 + size],
                [2.18, 48.86 + size],
                [2.18, 48.86],
            ]
        ],
    }


def test_valid_polygon_is_kept():
    clean, warnings = validate_polygon(square())
    assert warnings == [] and len(clean["coordinates"][0]) == 5


@pytest.mark.parametrize(
    "polygon, words",
    [
        (
            {
                "type": "Polygon",
                "coordinates": [[[2.18, 48.86], [2.19, 48.86], [2.19, 48.87], [2.18, 48.87]]],
            },
            "pas fermé",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[2.18, 48.86], [2.19, 48.87], [2.19, 48.86], [2.18, 48.87], [2.18, 48.86]]],
            },
            "se croise lui-même",
        ),
        (square(0.9), "km²"),
        ({"type": "Point", "coordinates": [2.1, 48.8]}, "Polygon"),
    ],
)
def test_broken_polygons_are_refused_saying_why(polygon, words):
    with pytest.raises(UserError) as exc:
        validate_polygon(polygon)
    assert words in str(exc.value)


def test_oversized_polygon_is_simplified_saying_so():
    ring = [
        [2.18 + 0.01 * math.cos(a / 500 * 2 * math.pi), 48.86 + 0.01 * math.sin(a / 500 * 2 * math.pi)]
        for a in range(500)
    ]
    clean, warnings = validate_polygon({"type": "Polygon", "coordinates": [ring + [ring[0]]]})
    assert len(clean["coordinates"][0]) - 1 <= 100 and "simplifié" in warnings[0]


def test_area_needs_something_and_stays_in_territory():
    with pytest.raises(UserError):
        validate_area({})
    with pytest.raises(UserError):
        validate_area({"communes": ["75056"]}, allowed_communes=["92063"])
    with pytest.raises(UserError):
        validate_area({"circle": {"lon": 2.1, "lat": 48.8, "radius_km": 500}})
    clean, _ = validate_area({"circle": {"lon": 2.1, "lat": 48.8, "radius_km": 2}})
    assert clean["circle"]["radius_km"] == 2
