from __future__ import annotations

import json
import math

import numpy as np
import pytest
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape

from beffroi.alerts import cap
from beffroi.alerts.area import (
    GEOD,
    MAX_VERTICES,
    area_km2,
    circle_polygon,
    simplify_for_cap,
    validate_area,
    validate_polygon,
)
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


# --- measures in metres, not degrees -------------------------------------------------------------

PARIS = (2.3522, 48.8566)


def test_a_one_km_circle_at_paris_covers_pi_square_km():
    circle = circle_polygon(*PARIS, 1.0)
    assert area_km2(circle) == pytest.approx(math.pi, rel=0.01)
    # Tighter: the polygon is the regular 64-gon inscribed in the 1 km circle.
    n = len(circle.exterior.coords) - 1
    assert area_km2(circle) == pytest.approx(n / 2 * math.sin(2 * math.pi / n), rel=1e-4)


@pytest.mark.parametrize("lat", [-21.1, 0.0, 43.3, 48.8566, 51.0, 70.0])
def test_circle_vertices_are_radius_metres_from_the_centre_at_any_latitude(lat):
    circle = circle_polygon(2.35, lat, 2.5)
    ring = list(circle.exterior.coords)
    assert ring[0] == ring[-1] and circle.is_valid and circle.exterior.is_ccw
    lons = [p[0] for p in ring[:-1]]
    lats = [p[1] for p in ring[:-1]]
    _az, _back, dist = GEOD.inv([2.35] * len(lons), [lat] * len(lats), lons, lats)
    assert max(abs(d - 2500.0) for d in dist) < 0.01


def test_points_just_inside_and_outside_the_circle_radius():
    circle = circle_polygon(*PARIS, 1.0)
    for azimuth in (0, 45, 90, 135, 180, 270):
        inside = GEOD.fwd(*PARIS, azimuth, 990.0)[:2]
        outside = GEOD.fwd(*PARIS, azimuth, 1010.0)[:2]
        assert circle.contains(Point(inside)) and not circle.contains(Point(outside))


def test_area_of_a_polygon_with_a_hole_and_a_multipolygon():
    outer = circle_polygon(*PARIS, 2.0)
    hole = circle_polygon(*PARIS, 1.0)
    ring = Polygon(outer.exterior.coords, [hole.exterior.coords])
    assert area_km2(ring) == pytest.approx(area_km2(outer) - area_km2(hole), rel=1e-9)
    clockwise = Polygon(list(hole.exterior.coords)[::-1])
    far = circle_polygon(2.5, 48.9, 1.0)
    assert area_km2(MultiPolygon([clockwise, far])) == pytest.approx(2 * area_km2(hole), rel=1e-3)


def test_area_limit_is_in_square_km():
    # A 0.4° x 0.4° square at 48.86° N is about 44.5 km x 29.3 km = 1,300 km²: under the limit.
    clean, _ = validate_polygon(square(0.4))
    assert area_km2(shape(clean)) == pytest.approx(0.4 * 111.2 * 0.4 * 73.4, rel=0.01)
    with pytest.raises(UserError, match="km²"):
        validate_polygon(square(0.6))  # about 2,900 km²


# --- one simplification for CAP ------------------------------------------------------------------


def wiggly(n=1500, lon=2.18, lat=48.86, radius_deg=0.02):
    """A closed star-ish outline of ``n`` distinct points (a flower with 40 petals)."""
    ring = [
        (
            lon + radius_deg * (1 + 0.15 * math.sin(40 * a)) * math.cos(a) * 1.5,
            lat + radius_deg * (1 + 0.15 * math.sin(40 * a)) * math.sin(a),
        )
        for a in (2 * math.pi * i / n for i in range(n))
    ]
    return Polygon(ring + [ring[0]])


def metres(geom, centre):
    local = CRS.from_proj4(f"+proj=aeqd +lat_0={centre[1]} +lon_0={centre[0]} +datum=WGS84 +units=m")
    to_local = Transformer.from_crs("EPSG:4326", local, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(to_local.transform(xy[:, 0], xy[:, 1])))


def cap_pairs(text: str) -> list[tuple[float, float]]:
    """Parse a CAP <polygon> value: whitespace-separated 'lat,lon' pairs."""
    pairs = []
    for pair in text.split():
        lat, lon = pair.split(",")
        pairs.append((float(lat), float(lon)))
    return pairs


def assert_cap_polygon(text: str, original: Polygon, tolerance_m: float) -> None:
    pairs = cap_pairs(text)
    assert len(pairs) >= 4 and pairs[0] == pairs[-1], "a CAP polygon is closed, with at least 4 pairs"
    assert len(set(pairs[:-1])) == len(pairs) - 1 <= MAX_VERTICES
    assert all(48 < lat < 50 and 2 < lon < 3 for lat, lon in pairs), "pairs are 'lat,lon', in that order"
    result = Polygon([(lon, lat) for lat, lon in pairs])
    assert result.is_valid
    centre = (original.centroid.x, original.centroid.y)
    simple, outline = metres(result, centre), metres(original, centre)
    # Every point of the original outline is within the tolerance (plus the 6-decimal rounding).
    worst = max(simple.exterior.distance(Point(p)) for p in outline.exterior.coords)
    assert worst <= tolerance_m + 0.2
    assert simple.area == pytest.approx(outline.area, rel=0.05)


def test_simplify_for_cap_keeps_the_outline_within_its_tolerance():
    original = wiggly()
    simple, tolerance = simplify_for_cap(original)
    assert len(simple.exterior.coords) - 1 <= MAX_VERTICES and simple.exterior.is_ccw
    assert 0 < tolerance <= 256  # metres, for a shape about 4 km across
    assert_cap_polygon(cap._polygon_text(simple.exterior.coords), original, tolerance)
    # A small polygon is left alone.
    small = circle_polygon(2.18, 48.86, 1.0)
    assert simplify_for_cap(small) == (small, 0.0)


def test_a_drawn_polygon_is_simplified_in_metres_and_says_so():
    original = wiggly()
    _simple, tolerance = simplify_for_cap(original)
    clean, warnings = validate_polygon(json.loads(json.dumps(mapping(original))))  # as posted
    assert f"à {tolerance:g} m près" in warnings[0]
    assert_cap_polygon(cap._polygon_text(clean["coordinates"][0]), original, tolerance)


def test_commune_outlines_are_simplified_together_within_the_cap_limits():
    """Neighbouring communes are simplified as one coverage (their shared border stays shared, so
    their <area>s never overlap), each ring within the CAP point limit."""
    parts = [("92063", wiggly()), ("92033", wiggly(lon=2.30))]
    for texts in cap._rings_within_limit(parts):
        for text in texts:
            pairs = text.split()
            assert pairs[0] == pairs[-1] and 4 <= len(pairs) <= MAX_VERTICES + 1


def _square_at(lon, lat, size=0.004):
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def test_zone_in_several_parts_is_kept_as_a_multipolygon_and_its_holes_are_filled():
    hole = [[2.181, 48.871], [2.182, 48.871], [2.182, 48.872], [2.181, 48.872], [2.181, 48.871]]
    zone = {
        "type": "MultiPolygon",
        "coordinates": [[_square_at(2.18, 48.87), hole], [_square_at(2.20, 48.87)]],
    }
    clean, warnings = validate_polygon(zone)
    assert clean["type"] == "MultiPolygon" and len(clean["coordinates"]) == 2
    assert all(len(part) == 1 for part in clean["coordinates"])  # outer rings only
    assert any("trous" in w for w in warnings)
    touching = {
        "type": "MultiPolygon",
        "coordinates": [[_square_at(2.18, 48.87)], [_square_at(2.183, 48.87)]],
    }
    merged, _w = validate_polygon(touching)
    assert merged["type"] == "Polygon"  # overlapping parts become one outline


def test_zone_parts_are_each_checked():
    swapped = [[lat, lon] for lon, lat in _square_at(2.20, 48.87)]
    with pytest.raises(UserError, match="latitude, longitude"):
        validate_polygon({"type": "MultiPolygon", "coordinates": [[_square_at(2.18, 48.87)], [swapped]]})
    many = {
        "type": "MultiPolygon",
        "coordinates": [[_square_at(2.1 + i * 0.01, 48.87, 0.002)] for i in range(21)],
    }
    with pytest.raises(UserError, match="21 parties"):
        validate_polygon(many)
    with pytest.raises(UserError, match="coordonnées"):
        validate_polygon({"type": "MultiPolygon", "coordinates": []})
