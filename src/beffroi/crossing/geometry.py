"""Areas: parse, validate (or repair, saying so), buffer in metres, measure in Lambert-93.

An *area* is GeoJSON in EPSG:4326: a geometry, a Feature or a FeatureCollection (its polygons are
merged). Rules (see docs/crossing.md):

- rings must be closed (first position == last position) and have at least 4 positions;
- at most ``MAX_VERTICES`` (10,000) positions in total;
- coordinates must be finite lon/lat within WGS84 bounds;
- a self-intersecting (invalid) polygon is refused, unless ``repair=True``: then it is repaired with
  ``shapely.make_valid`` and the returned notes say so;
- points and lines are not areas: buffer them first (``buffer_area``), in metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape
from shapely.ops import unary_union

from beffroi.core.errors import Problem, UserError

MAX_VERTICES = 10_000
MAX_BUFFER_M = 50_000
AREA_TYPES = {"Polygon", "MultiPolygon"}
BUFFERABLE = {"Point", "MultiPoint", "LineString", "MultiLineString"}


@dataclass
class Area:
    """A validated area: shapely geometry in EPSG:4326 and what was done to it."""

    geometry: Any
    notes: list[str] = field(default_factory=list)
    repaired: bool = False

    @property
    def geojson(self) -> dict:
        return mapping(self.geometry)

    def area_m2(self) -> float:
        return to_lambert93(self.geometry).area


@lru_cache(maxsize=2)
def _transformer(forward: bool) -> Transformer:
    if forward:
        return Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    return Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)


def _project(geom, forward: bool):
    t = _transformer(forward)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def to_lambert93(geom):
    return _project(geom, True)


def to_wgs84(geom):
    return _project(geom, False)


def _refuse(message: str, field_name: str = "area") -> UserError:
    return UserError(message, [Problem(message, field=field_name)])


def _geometries(area: Any) -> list[dict]:
    """The raw GeoJSON geometries of an area given as geometry, Feature or FeatureCollection."""
    if not isinstance(area, dict) or "type" not in area:
        raise _refuse("The area is not GeoJSON: expected an object with a 'type'.")
    kind = area["type"]
    if kind == "FeatureCollection":
        features = area.get("features")
        if not isinstance(features, list) or not features:
            raise _refuse("The area's FeatureCollection has no features.")
        out = []
        for n, feature in enumerate(features):
            if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
                raise _refuse(f"Feature {n} of the area has no geometry.", f"features[{n}].geometry")
            out.append(feature["geometry"])
        return out
    if kind == "Feature":
        if not isinstance(area.get("geometry"), dict):
            raise _refuse("The area's Feature has no geometry.", "geometry")
        return [area["geometry"]]
    if kind == "GeometryCollection":
        return list(area.get("geometries") or [])
    return [area]


def _rings(geometry: dict) -> list[list]:
    coords = geometry.get("coordinates")
    if geometry.get("type") == "Polygon":
        return list(coords or [])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in (coords or []) for ring in polygon]
    return []


def _count_positions(coords: Any) -> int:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return 1
    if isinstance(coords, (list, tuple)):
        return sum(_count_positions(c) for c in coords)
    return 0


def _check_positions(coords: Any) -> None:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        if len(coords) < 2:
            raise _refuse("A position of the area has fewer than 2 coordinates.")
        lon, lat = coords[0], coords[1]
        if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _refuse(
                f"Position ({lon}, {lat}) is not a longitude/latitude in EPSG:4326 (WGS84); "
                "reproject the area to WGS84 first."
            )
        return
    if not isinstance(coords, (list, tuple)):
        raise _refuse("The area's coordinates are not arrays of positions.")
    for c in coords:
        _check_positions(c)


def parse_area(area: Any, *, repair: bool = False, allow_points: bool = False) -> Area:
    """Validate an area and return it as shapely geometry (EPSG:4326); raise ``UserError`` if bad."""
    try:
        return _parse_area(area, repair=repair, allow_points=allow_points)
    except UserError:
        raise
    except (TypeError, ValueError, AttributeError, IndexError, KeyError, shapely.errors.ShapelyError) as exc:
        raise _refuse(f"The area is not well-formed GeoJSON ({type(exc).__name__}: {exc}).") from exc


def _parse_area(area: Any, *, repair: bool, allow_points: bool) -> Area:
    raw = _geometries(area)
    total = sum(_count_positions(g.get("coordinates")) for g in raw if isinstance(g, dict))
    if total > MAX_VERTICES:
        raise _refuse(
            f"The area has {total} vertices; the limit is {MAX_VERTICES}. Simplify it (e.g. with a "
            "tolerance of a few metres) before crossing."
        )
    geoms = []
    notes: list[str] = []
    for n, g in enumerate(raw):
        if not isinstance(g, dict):
            raise _refuse(f"Geometry {n} of the area is not an object.")
        kind = g.get("type")
        if kind not in AREA_TYPES and not (allow_points and kind in BUFFERABLE):
            if kind in BUFFERABLE:
                raise _refuse(
                    f"A {kind} is not an area: give a buffer distance in metres to cross around it.",
                    "type",
                )
            raise _refuse(
                f"Unsupported geometry type {kind!r} for an area (Polygon or MultiPolygon).", "type"
            )
        _check_positions(g.get("coordinates"))
        for i, ring in enumerate(_rings(g)):
            if len(ring) < 4:
                raise _refuse(
                    f"Ring {i} of geometry {n} has {len(ring)} positions; a closed ring needs at least 4."
                )
            if list(ring[0][:2]) != list(ring[-1][:2]):
                raise _refuse(
                    f"Ring {i} of geometry {n} is not closed: its first position {list(ring[0][:2])} differs "
                    f"from its last {list(ring[-1][:2])} (GeoJSON rings must end where they start)."
                )
        try:
            geoms.append(shape(g))
        except Exception as exc:  # noqa: BLE001 - shapely raises many types on garbage
            raise _refuse(f"Geometry {n} of the area cannot be read: {exc}") from exc
    geom = geoms[0] if len(geoms) == 1 else unary_union(geoms)
    repaired = False
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        if not repair:
            raise _refuse(
                f"The area is not a valid polygon ({reason}), e.g. its outline crosses itself. Redraw it, "
                'or ask for a repair (API: "repair": true, CLI: --repair) which splits it with make_valid.'
            )
        fixed = shapely.make_valid(geom)
        # make_valid may return a collection with stray lines/points: keep the polygonal part.
        polys = [p for p in getattr(fixed, "geoms", [fixed]) if p.geom_type in AREA_TYPES]
        geom = unary_union(polys) if polys else fixed
        repaired = True
        notes.append(f"The area was invalid ({reason}) and was repaired with make_valid.")
    if geom.is_empty:
        raise _refuse("The area is empty.")
    if geom.geom_type in AREA_TYPES and geom.area == 0:
        raise _refuse("The area has zero surface.")
    return Area(geom, notes, repaired)


def buffer_area(geometry: Any, metres: float, *, repair: bool = False) -> Area:
    """An area around a point, a line or a polygon, ``metres`` wide, computed in Lambert-93."""
    try:
        metres = float(metres)
    except (TypeError, ValueError) as exc:
        raise _refuse(f"The buffer distance {metres!r} is not a number of metres.", "buffer") from exc
    if not (0 < metres <= MAX_BUFFER_M):
        raise _refuse(
            f"The buffer distance must be between 0 and {MAX_BUFFER_M} metres (got {metres}).", "buffer"
        )
    base = parse_area(geometry, repair=repair, allow_points=True)
    buffered = to_wgs84(to_lambert93(base.geometry).buffer(metres, quad_segs=16))
    return Area(
        buffered, base.notes + [f"Buffer of {metres:g} m computed in Lambert-93 (EPSG:2154)."], base.repaired
    )


def restrict_to(
    area: Area, boundaries: dict[str, Any], *, label: str = "the territory"
) -> tuple[Area, list[str]]:
    """Clip an area to commune boundaries (code -> GeoJSON); refuse it if it lies outside all of them."""
    shapes = {code: shape(b) for code, b in boundaries.items() if b}
    if not shapes:
        raise _refuse(
            f"No commune boundary is known for {label}; add communes first (beffroi territory add)."
        )
    touched = sorted(
        code for code, s in shapes.items() if s.intersects(area.geometry) and not s.touches(area.geometry)
    )
    if not touched:
        raise _refuse(
            f"The area is outside {label} (communes {', '.join(sorted(shapes))}): nothing to cross there."
        )
    union = unary_union([shapes[c] for c in touched])
    if union.covers(area.geometry):
        return area, touched
    clipped = area.geometry.intersection(union)
    if area.geometry.area and (area.geometry.area - clipped.area) / area.geometry.area < 1e-4:
        return area, touched  # only rounding noise along shared borders
    polys = [p for p in getattr(clipped, "geoms", [clipped]) if p.geom_type in AREA_TYPES]
    clipped = unary_union(polys) if polys else clipped
    note = f"The area was limited to {label} (communes {', '.join(touched)})."
    return Area(clipped, area.notes + [note], area.repaired), touched
