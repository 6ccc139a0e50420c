"""The alert area: a drawn polygon, a circle and/or whole communes, validated before use.

Stored as ``{"polygon": GeoJSON Polygon|None, "circle": {"lon", "lat", "radius_km"}|None,
"communes": [INSEE], "description": str}``. ``communes`` are always the alert's communes: a drawn
shape (polygon, circle) *replaces* their outline and is clipped to their union; without a shape the
area is the communes' outline. Broken polygons are refused (unclosed, self-intersecting, in
[latitude, longitude] order, outside France, larger than ``MAX_AREA_KM2``, outside the alert's
communes); polygons with too many vertices for CAP consumers are simplified, and the caller gets a
warning saying so. ``polygon`` may be a MultiPolygon: a zone taken from a dataset (e.g. a flood zone)
in several parts.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import shapely
from django.utils.translation import gettext as _
from pyproj import CRS, Geod, Transformer
from shapely.geometry import Point, Polygon, mapping, shape
from shapely.geometry.polygon import orient
from shapely.ops import unary_union
from shapely.validation import explain_validity

from beffroi.core.errors import Problem, UserError
from beffroi.territory.selectors import communes

MAX_VERTICES = 100
MAX_PARTS = 20  # a zone from a dataset in several parts; each becomes a CAP <polygon>
MAX_AREA_KM2 = 2000.0
MAX_RADIUS_KM = 50.0
CIRCLE_SEGMENTS = 64  # the polygon's area is within 0.2 % of the circle's

# Measures are geodesic on the WGS84 ellipsoid, so they hold anywhere (overseas communes included),
# where a projection such as Lambert-93 is only right in metropolitan France.
GEOD = Geod(ellps="WGS84")
# Where a French commune can be (lon_min, lat_min, lon_max, lat_max): metropolitan France with
# Corsica, the overseas departments and collectivities. Generous boxes: they catch swapped or
# foreign coordinates, the exact test is the clip to the alert's communes.
FRANCE_BOUNDS = [
    (-5.8, 41.2, 9.8, 51.2),  # metropolitan France and Corsica
    (-63.3, 14.3, -60.7, 18.2),  # Guadeloupe, Martinique, Saint-Martin, Saint-Barthélemy
    (-54.7, 2.0, -51.5, 6.0),  # Guyane
    (55.1, -21.5, 56.0, -20.8),  # La Réunion
    (44.9, -13.1, 45.4, -12.5),  # Mayotte
    (-56.6, 46.7, -56.0, 47.2),  # Saint-Pierre-et-Miquelon
    (-178.5, -14.5, -176.0, -13.0),  # Wallis-et-Futuna
    (-155.0, -28.5, -134.0, -7.0),  # Polynésie française
    (163.0, -23.0, 169.0, -19.0),  # Nouvelle-Calédonie
]


def _refuse(message: str, field: str = "area") -> UserError:
    return UserError(message, [Problem(message, field=field)])


def in_france(lon: float, lat: float) -> bool:
    return any(x0 <= lon <= x1 and y0 <= lat <= y1 for x0, y0, x1, y1 in FRANCE_BOUNDS)


def check_in_france(points: list[tuple[float, float]], what: str, field: str = "area") -> None:
    """Refuse coordinates outside France, saying when they look like [latitude, longitude]."""
    outside = [(x, y) for x, y in points if not in_france(x, y)]
    if not outside:
        return
    if all(in_france(y, x) for x, y in outside):
        raise _refuse(
            _(
                "%(what)s : les coordonnées sont dans l'ordre [latitude, longitude] ; "
                "GeoJSON attend [longitude, latitude] (par exemple [2.19, 48.87])."
            )
            % {"what": what},
            field,
        )
    x, y = outside[0]
    raise _refuse(
        _("%(what)s : le point [%(lon)s, %(lat)s] est hors de France (métropole et outre-mer).")
        % {"what": what, "lon": f"{x:g}", "lat": f"{y:g}"},
        field,
    )


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

    Used for drawn areas (commune outlines of one alert are simplified together in ``cap.py``, so
    neighbours never overlap). It works in metres
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


def _ring(coordinates: Any) -> list[tuple[float, float]]:
    if not isinstance(coordinates, list) or not coordinates or not isinstance(coordinates[0], list):
        raise _refuse(_("Le polygone n'a pas de coordonnées."))
    try:
        ring = [(float(p[0]), float(p[1])) for p in coordinates[0]]
    except (TypeError, ValueError, IndexError):
        raise _refuse(
            _("Les coordonnées du polygone doivent être des paires [longitude, latitude].")
        ) from None
    if len(ring) < 4:
        raise _refuse(
            _("Le polygone doit avoir au moins 3 points distincts (et le premier répété à la fin).")
        )
    if ring[0] != ring[-1]:
        raise _refuse(_("Le polygone n'est pas fermé : son dernier point doit répéter le premier."))
    return ring


def _checked_part(ring: list[tuple[float, float]], warnings: list[str]) -> Polygon:
    check_in_france(ring, _("Polygone"))
    polygon = Polygon(ring)
    if not polygon.is_valid:
        where = re.search(r"\[([-\d.]+) ([-\d.]+)\]", explain_validity(polygon))
        near = f" [{float(where[1]):.5f}, {float(where[2]):.5f}]" if where else ""
        raise _refuse(_("Le polygone se croise lui-même%(near)s : redessinez-le.") % {"near": near})
    if len(ring) - 1 > MAX_VERTICES:
        simple, tolerance = simplify_for_cap(polygon)
        warnings.append(
            _(
                "Le polygone avait %(before)s points ; il a été simplifié à %(after)s, à %(tolerance)s m "
                "près (les diffuseurs CAP en acceptent au plus %(max)s)."
            )
            % {
                "before": len(ring) - 1,
                "after": len(simple.exterior.coords) - 1,
                "tolerance": f"{tolerance:g}",
                "max": MAX_VERTICES,
            }
        )
        polygon = simple
    return orient(polygon, 1.0)


def _coordinates(polygon: Polygon) -> list:
    return [[[round(x, 6), round(y, 6)] for x, y in polygon.exterior.coords]]


def validate_polygon(geojson: Any) -> tuple[dict, list[str]]:
    """Return (clean GeoJSON Polygon or MultiPolygon, warnings) or raise UserError saying what is wrong.

    A MultiPolygon is a zone taken from a dataset (a flood zone in several parts): its parts are
    checked one by one and merged where they touch; holes are filled (a CAP polygon has none, so
    the alert covers them too), with a warning.
    """
    kinds = ("Polygon", "MultiPolygon")
    refused = _("La zone dessinée doit être un polygone GeoJSON (type Polygon ou MultiPolygon).")
    if not isinstance(geojson, dict) or geojson.get("type") not in (*kinds, "Feature"):
        raise _refuse(refused)
    if geojson["type"] == "Feature":
        geojson = geojson.get("geometry") or {}
        if geojson.get("type") not in kinds:
            raise _refuse(refused)
    coordinates = geojson.get("coordinates")
    if geojson["type"] == "Polygon":
        if isinstance(coordinates, list) and len(coordinates) > 1:
            raise _refuse(
                _("Les polygones à trous ne sont pas acceptés : dessinez seulement le contour extérieur.")
            )
        members = [coordinates]
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise _refuse(_("Le polygone n'a pas de coordonnées."))
        if len(coordinates) > MAX_PARTS:
            raise _refuse(
                _("La zone a %(n)s parties, plus que les %(max)s permises : simplifiez-la.")
                % {"n": len(coordinates), "max": MAX_PARTS}
            )
        members = coordinates
    warnings: list[str] = []
    parts = [_checked_part(_ring(member), warnings) for member in members]
    if geojson["type"] == "MultiPolygon" and any(isinstance(m, list) and len(m) > 1 for m in members):
        warnings.append(_("Les trous de la zone ont été comblés : un polygone CAP n'en a pas."))
    merged = parts[0] if len(parts) == 1 else unary_union(parts)
    size = area_km2(merged)
    if size > MAX_AREA_KM2:
        raise _refuse(
            _("Le polygone couvre environ %(size)s km², plus que les %(max)s km² permis.")
            % {"size": f"{size:,.0f}".replace(",", " "), "max": f"{MAX_AREA_KM2:,.0f}".replace(",", " ")}
        )
    outlines = [orient(Polygon(p.exterior.coords), 1.0) for p in _polygons(merged)]
    if len(outlines) == 1:
        return {"type": "Polygon", "coordinates": _coordinates(outlines[0])}, warnings
    return {"type": "MultiPolygon", "coordinates": [_coordinates(p) for p in outlines]}, warnings


def validate_area(area: Any, *, allowed_communes: list[str] | None = None) -> tuple[dict, list[str]]:
    """Validate the whole area; at least one of polygon, circle, communes is required.

    ``allowed_communes`` are the alert's communes: the area's communes must be among them (none
    given: all of them), and a drawn shape must fall, at least in part, inside their union (the part
    outside is cut off, with a warning).
    """
    from beffroi.alerts.text import refuse_markup

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
            raise _refuse(_("Un cercle demande une longitude, une latitude et un rayon en km.")) from None
        if not (0 < radius <= MAX_RADIUS_KM):
            raise _refuse(
                _("Rayon du cercle hors limites : il doit être compris entre 0 et %(max)s km.")
                % {"max": f"{MAX_RADIUS_KM:g}"}
            )
        check_in_france([(lon, lat)], _("Centre du cercle"))
        clean["circle"] = {"lon": lon, "lat": lat, "radius_km": radius}
    communes = [str(c).strip() for c in area.get("communes") or [] if str(c).strip()]
    if allowed_communes is not None:
        unknown = [c for c in communes if c not in allowed_communes]
        if unknown:
            raise _refuse(
                _("Communes hors de celles de l'alerte : %(codes)s.") % {"codes": ", ".join(unknown)},
                "communes",
            )
        communes = communes or list(allowed_communes)
    clean["communes"] = sorted(set(communes))
    clean["description"] = refuse_markup(
        str(area.get("description") or "").strip()[:300], _("Description de la zone"), "area_description"
    )
    if not (clean["polygon"] or clean["circle"] or clean["communes"]):
        raise _refuse(_("L'alerte doit avoir une zone : un polygone, un cercle ou au moins une commune."))
    if (clean["polygon"] or clean["circle"]) and clean["communes"]:
        outline = communes_outline(clean["communes"])
        drawn = drawn_geometry(clean)
        kept = drawn.intersection(outline)
        if kept.is_empty or kept.area < drawn.area * 1e-6:
            raise _refuse(
                _(
                    "La zone dessinée est entièrement hors des communes de l'alerte (%(codes)s) : "
                    "dessinez-la dans ces communes."
                )
                % {"codes": ", ".join(clean["communes"])}
            )
        if kept.area < drawn.area * 0.999:
            share = 100 * (1 - kept.area / drawn.area)
            warnings.append(
                _(
                    "%(share)s %% de la zone dessinée sort des communes de l'alerte : "
                    "seule la partie dans ces communes est alertée."
                )
                % {"share": f"{share:.0f}"}
            )
    return clean, warnings


def commune_boundaries(codes: list[str]) -> dict[str, Any]:
    return {c.code: c.boundary for c in communes() if c.code in codes and c.boundary}


def _boundary_geometry(boundary: dict):
    geom = shape(boundary.get("geometry", boundary) if boundary.get("type") == "Feature" else boundary)
    return geom if geom.is_valid else geom.buffer(0)


def commune_geometries(codes: list[str]) -> dict[str, Any]:
    """Shapely outline of each commune; refuses a commune the territory does not know."""
    boundaries = commune_boundaries(codes)
    missing = [c for c in codes if c not in boundaries]
    if missing:
        raise _refuse(
            _("Commune sans contour connu dans le territoire : %(codes)s (ajoutez-la au territoire).")
            % {"codes": ", ".join(missing)},
            "communes",
        )
    return {code: _boundary_geometry(boundaries[code]) for code in codes}


def communes_outline(codes: list[str]):
    return unary_union(list(commune_geometries(codes).values()))


def drawn_geometry(area: dict):
    """Union of the drawn shapes (polygon, circle), unclipped; empty when none."""
    parts = []
    if area.get("polygon"):
        parts.append(shape(area["polygon"]))
    if area.get("circle"):
        c = area["circle"]
        parts.append(circle_polygon(c["lon"], c["lat"], c["radius_km"]))
    return unary_union(parts) if parts else Polygon()


def area_parts(area: dict) -> list[tuple[str, Any]]:
    """(INSEE code, geometry) of the area in each of its communes, without overlap.

    A drawn shape replaces the commune outline: each commune's part is the shape clipped to it.
    Communes the shape does not touch are left out. An area without communes (never stored by the
    actions) is one part with an empty code.
    """
    codes = list(area.get("communes") or [])
    drawn = drawn_geometry(area)
    if not codes:
        return [("", drawn)] if not drawn.is_empty else []
    outlines = commune_geometries(codes)
    if drawn.is_empty:
        return list(outlines.items())
    parts = []
    for code, outline in outlines.items():
        piece = drawn.intersection(outline)
        if not piece.is_empty and piece.area > 0:
            parts.append((code, piece))
    return parts


def area_geometry(area: dict):
    """Shapely geometry of the area: the drawn shapes clipped to the communes, or their outline."""
    parts = [geom for _code, geom in area_parts(area)]
    return unary_union(parts) if parts else Point(0, 0).buffer(0)


def area_geojson(area: dict) -> dict:
    return mapping(area_geometry(area))
