"""The alert area: a drawn polygon, a circle and/or whole communes, validated before use.

Stored as ``{"polygon": GeoJSON Polygon|None, "circle": {"lon", "lat", "radius_km"}|None,
"communes": [INSEE], "description": str}``. Broken polygons are refused (unclosed, self-intersecting,
outside France-ish coordinates, larger than ``MAX_AREA_KM2``); polygons with too many vertices for CAP
consumers are simplified, and the caller gets a warning saying so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry import Point, Polygon, mapping, shape
from shapely.geometry.polygon import orient
from shapely.ops import unary_union
from shapely.validation import explain_validity

from beffroi.core.errors import Problem, UserError

MAX_VERTICES = 100  # distinct points of one CAP polygon that consumers are known to accept
MAX_AREA_KM2 = 2000.0
MAX_RADIUS_KM = 50.0
CIRCLE_SEGMENTS = 64  # the polygon's area is within 0.2 % of the circle's

# Measures are geodesic on the WGS84 ellipsoid, so they hold anywhere (overseas communes included),
# where a projection such as Lambert-93 is only right in metropolitan France.
GEOD = Geod(ellps="WGS84")


def _refuse(message: str, field: str = "area") -> UserError:
    return UserError(message, [Problem(message, field=field)])


def _polygons(geom) -> list[Polygon]:
    return [p for p in getattr(geom, "geoms", [geom]) if isinstance(p, Polygon) and not p.is_empty]


def area_km2(geom) -> float:
    """Geodesic area of a lon/lat (EPSG:4326) polygon or multipolygon, in km², holes removed."""
    # Each polygon oriented counter-clockwise, so pyproj's signed areas add up instead of cancelling.
    return sum(GEOD.geometry_area_perimeter(orient(p, 1.0))[0] for p in _polygons(geom)) / 1e6


def circle_polygon(lon: float, lat: float, radius_km: float, segments: int = CIRCLE_SEGMENTS) -> Polygon:
    """The circle of ``radius_km`` around (lon, lat) as a polygon whose vertices are exactly that far
    (geodesic distance) from the centre, counter-clockwise."""
    azimuths = np.linspace(360.0, 0.0, segments, endpoint=False)  # decreasing: counter-clockwise
    lons, lats, _back = GEOD.fwd(
        np.full(segments, lon), np.full(segments, lat), azimuths, np.full(segments, radius_km * 1000.0)
    )
    points = list(zip(lons.tolist(), lats.tolist(), strict=True))
    return Polygon(points + [points[0]])


def _local_metres(geom) -> tuple[Transformer, Transformer]:
    """To and from an azimuthal equidistant projection centred on ``geom``: metres, true near it."""
    c = geom.centroid
    local = CRS.from_proj4(f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +datum=WGS84 +units=m +no_defs")
    return (
        Transformer.from_crs("EPSG:4326", local, always_xy=True),
        Transformer.from_crs(local, "EPSG:4326", always_xy=True),
    )


def _apply(transformer: Transformer, geom):
    return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def simplify_for_cap(polygon: Polygon, *, max_points: int = MAX_VERTICES) -> tuple[Polygon, float]:
    """The polygon's outer ring with at most ``max_points`` distinct points, for a CAP ``<polygon>``.

    The one simplification used for drawn areas and commune boundaries alike. It works in metres
    (tolerance from 1 m, doubled until the ring fits) and keeps the topology, so every point of the
    original outline is within the returned tolerance (metres; 0 when nothing had to go) of the
    result. The result is closed and counter-clockwise, in lon/lat.
    """
    outline = Polygon(polygon.exterior.coords)
    tolerance = 0.0
    if len(outline.exterior.coords) - 1 > max_points:
        forward, back = _local_metres(outline)
        local = _apply(forward, outline)
        tolerance = 1.0
        simple = local.simplify(tolerance, preserve_topology=True)
        while len(simple.exterior.coords) - 1 > max_points and tolerance < 1e7:
            tolerance *= 2
            simple = local.simplify(tolerance, preserve_topology=True)
        outline = _apply(back, simple)
    return orient(outline, 1.0), tolerance


def validate_polygon(geojson: Any) -> tuple[dict, list[str]]:
    """Return (clean GeoJSON Polygon, warnings) or raise UserError saying what is wrong."""
    warnings: list[str] = []
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "Feature"):
        raise _refuse("The area must be a GeoJSON Polygon.")
    if geojson["type"] == "Feature":
        geojson = geojson.get("geometry") or {}
        if geojson.get("type") != "Polygon":
            raise _refuse("The area must be a GeoJSON Polygon.")
    rings = geojson.get("coordinates")
    if not isinstance(rings, list) or not rings or not isinstance(rings[0], list):
        raise _refuse("The polygon has no coordinates.")
    if len(rings) > 1:
        raise _refuse("Polygons with holes are not supported: draw the outer boundary only.")
    ring = rings[0]
    try:
        ring = [(float(p[0]), float(p[1])) for p in ring]
    except (TypeError, ValueError, IndexError):
        raise _refuse("The polygon's coordinates must be [longitude, latitude] pairs.") from None
    if len(ring) < 4:
        raise _refuse("The polygon needs at least 3 distinct points (and the first repeated at the end).")
    if ring[0] != ring[-1]:
        raise _refuse("The polygon is not closed: its last point must repeat its first point.")
    if any(not (-180 <= x <= 180 and -90 <= y <= 90) for x, y in ring):
        raise _refuse("The polygon has a point outside valid longitude/latitude ranges.")
    polygon = Polygon(ring)
    if not polygon.is_valid:
        raise _refuse(f"The polygon crosses itself ({explain_validity(polygon)}): redraw it.")
    size = area_km2(polygon)
    if size > MAX_AREA_KM2:
        raise _refuse(
            f"The polygon covers about {size:,.0f} km², more than the {MAX_AREA_KM2:,.0f} km² allowed."
        )
    if len(ring) - 1 > MAX_VERTICES:
        polygon, tolerance = simplify_for_cap(polygon)
        kept = len(polygon.exterior.coords) - 1
        warnings.append(
            f"The polygon had {len(ring) - 1} points; it was simplified to {kept} "
            f"(within {tolerance:g} m; CAP consumers accept at most {MAX_VERTICES})."
        )
    polygon = orient(polygon, 1.0)
    clean = {
        "type": "Polygon",
        "coordinates": [[[round(x, 6), round(y, 6)] for x, y in polygon.exterior.coords]],
    }
    return clean, warnings


def validate_area(area: Any, *, allowed_communes: list[str] | None = None) -> tuple[dict, list[str]]:
    """Validate the whole area; at least one of polygon, circle, communes is required."""
    area = area or {}
    warnings: list[str] = []
    clean: dict[str, Any] = {"polygon": None, "circle": None, "communes": [], "description": ""}
    if area.get("polygon"):
        clean["polygon"], warnings = validate_polygon(area["polygon"])
    circle = area.get("circle")
    if circle:
        try:
            lon, lat, radius = float(circle["lon"]), float(circle["lat"]), float(circle["radius_km"])
        except (KeyError, TypeError, ValueError):
            raise _refuse("A circle needs lon, lat and radius_km numbers.") from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90) or not (0 < radius <= MAX_RADIUS_KM):
            raise _refuse(f"Circle out of range (radius must be between 0 and {MAX_RADIUS_KM:g} km).")
        clean["circle"] = {"lon": lon, "lat": lat, "radius_km": radius}
    communes = [str(c).strip() for c in area.get("communes") or [] if str(c).strip()]
    if allowed_communes is not None:
        unknown = [c for c in communes if c not in allowed_communes]
        if unknown:
            raise _refuse(f"Communes outside your territory: {', '.join(unknown)}.", "communes")
    clean["communes"] = sorted(set(communes))
    clean["description"] = str(area.get("description") or "").strip()[:300]
    if not (clean["polygon"] or clean["circle"] or clean["communes"]):
        raise _refuse("The alert needs an area: a polygon, a circle or at least one commune.")
    return clean, warnings


def commune_boundaries(codes: list[str]) -> dict[str, Any]:
    from beffroi.territory.selectors import communes

    return {c.code: c.boundary for c in communes() if c.code in codes and c.boundary}


def area_geometry(area: dict):
    """Shapely geometry of the union of the area's parts (communes through their boundaries)."""
    parts = []
    if area.get("polygon"):
        parts.append(shape(area["polygon"]))
    if area.get("circle"):
        c = area["circle"]
        parts.append(circle_polygon(c["lon"], c["lat"], c["radius_km"]))
    for boundary in commune_boundaries(area.get("communes") or []).values():
        geom = shape(boundary.get("geometry", boundary) if boundary.get("type") == "Feature" else boundary)
        parts.append(geom if geom.is_valid else geom.buffer(0))
    return unary_union(parts) if parts else Point(0, 0).buffer(0)


def area_geojson(area: dict) -> dict:
    return mapping(area_geometry(area))
