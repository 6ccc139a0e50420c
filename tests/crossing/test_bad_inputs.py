"""Malformed areas never cause a server error: always a 400 with a message."""

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beffroi.core.errors import UserError
from beffroi.crossing.geometry import buffer_area, parse_area

BAD = [
    {"type": "Polygon", "coordinates": "abc"},
    {"type": "Polygon", "coordinates": []},
    {"type": "Polygon", "coordinates": [[]]},
    {"type": "Polygon", "coordinates": [[["a", "b"], ["c", "d"], ["e", "f"], ["a", "b"]]]},
    {"type": "MultiPolygon", "coordinates": [[]]},
    {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 1], [0, 0], [0, 0]]]]},
    {"type": "Feature", "geometry": None},
    {"type": "FeatureCollection", "features": [{"type": "Feature"}]},
    {"type": "GeometryCollection", "geometries": []},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0, 5, 6]]]},
    {"type": "Polygon", "coordinates": [[[0], [1, 0], [1, 1], [0]]]},
    {"type": "Circle", "coordinates": [0, 0]},
    {"coordinates": []},
    [],
]


@pytest.mark.parametrize("area", BAD)
def test_malformed_areas_are_user_errors(area):
    with pytest.raises(UserError):
        parse_area(area)


@pytest.mark.parametrize("distance", [0, -1, "x", None, 1e12, float("nan")])
def test_bad_buffers_are_user_errors(distance):
    with pytest.raises(UserError):
        buffer_area({"type": "Point", "coordinates": [2.3, 48.8]}, distance)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-1000, 1000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.sampled_from(["type", "coordinates", "geometry", "features"]), inner, max_size=3)
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Polygon", "MultiPolygon", "Feature", "FeatureCollection"]),
            "coordinates": json_values,
            "geometry": json_values,
            "features": json_values,
        }
    )
)
def test_random_json_is_accepted_or_refused_cleanly(area):
    with contextlib.suppress(UserError):
        parse_area(area, repair=True)


def test_api_answers_400_to_garbage(territory, client_for):
    client = client_for("lecteur")
    for area in BAD[:-1]:
        response = client.post("/api/crossing/exposure", {"area": area}, content_type="application/json")
        assert response.status_code in (400, 422), (area, response.status_code)
