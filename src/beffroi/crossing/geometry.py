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
from django.utils.translation import gettext as _
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
        raise _refuse(_("La zone n'est pas du GeoJSON : un objet avec un « type » est attendu."))
    kind = area["type"]
    if kind == "FeatureCollection":
        features = area.get("features")
        if not isinstance(features, list) or not features:
            raise _refuse(_("La FeatureCollection de la zone n'a aucune entité."))
        out = []
        for n, feature in enumerate(features):
            if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
                raise _refuse(
                    _("L'entité %(n)s de la zone n'a pas de géométrie.") % {"n": n}, f"features[{n}].geometry"
                )
            out.append(feature["geometry"])
        return out
    if kind == "Feature":
        if not isinstance(area.get("geometry"), dict):
            raise _refuse(_("L'entité (Feature) de la zone n'a pas de géométrie."), "geometry")
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
            raise _refuse(_("Une position de la zone a moins de 2 coordonnées."))
        lon, lat = coords[0], coords[1]
        if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _refuse(
                _(
                    "La position (%(lon)s, %(lat)s) n'est pas une longitude/latitude en EPSG:4326 "
                    "(WGS84) : reprojetez d'abord la zone en WGS84."
                )
                % {"lon": lon, "lat": lat}
            )
        return
    if not isinstance(coords, (list, tuple)):
        raise _refuse(_("Les coordonnées de la zone ne sont pas des listes de positions."))
    for c in coords:
        _check_positions(c)


def parse_area(area: Any, *, repair: bool = False, allow_points: bool = False) -> Area:
    """Validate an area and return it as shapely geometry (EPSG:4326); raise ``UserError`` if bad."""
    try:
        return _parse_area(area, repair=repair, allow_points=allow_points)
    except UserError:
        raise
    except (TypeError, ValueError, AttributeError, IndexError, KeyError, shapely.errors.ShapelyError) as exc:
        raise _refuse(_("La zone n'est pas du GeoJSON bien formé (%(error)s).") % {"error": exc}) from exc


def _parse_area(area: Any, *, repair: bool, allow_points: bool) -> Area:
    raw = _geometries(area)
    total = sum(_count_positions(g.get("coordinates")) for g in raw if isinstance(g, dict))
    if total > MAX_VERTICES:
        raise _refuse(
            _(
                "La zone a %(total)s sommets ; la limite est %(limit)s. Simplifiez-la (par ex. avec une "
                "tolérance de quelques mètres) avant le croisement."
            )
            % {"total": total, "limit": MAX_VERTICES}
        )
    geoms = []
    notes: list[str] = []
    for n, g in enumerate(raw):
        if not isinstance(g, dict):
            raise _refuse(_("La géométrie %(n)s de la zone n'est pas un objet.") % {"n": n})
        kind = g.get("type")
        if kind not in AREA_TYPES and not (allow_points and kind in BUFFERABLE):
            if kind in BUFFERABLE:
                raise _refuse(
                    _(
                        "Un(e) %(kind)s n'est pas une surface : donnez une distance en mètres (tampon) "
                        "pour croiser autour."
                    )
                    % {"kind": kind},
                    "type",
                )
            raise _refuse(
                _(
                    "Type de géométrie « %(kind)s » non pris en charge pour une zone "
                    "(Polygon ou MultiPolygon)."
                )
                % {"kind": kind},
                "type",
            )
        _check_positions(g.get("coordinates"))
        for i, ring in enumerate(_rings(g)):
            if len(ring) < 4:
                raise _refuse(
                    _(
                        "L'anneau %(i)s de la géométrie %(n)s a %(count)s positions ; un anneau fermé "
                        "en demande au moins 4."
                    )
                    % {"i": i, "n": n, "count": len(ring)}
                )
            if list(ring[0][:2]) != list(ring[-1][:2]):
                raise _refuse(
                    _(
                        "L'anneau %(i)s de la géométrie %(n)s n'est pas fermé : sa première position "
                        "%(first)s diffère de la dernière %(last)s (un anneau GeoJSON finit où il commence)."
                    )
                    % {"i": i, "n": n, "first": list(ring[0][:2]), "last": list(ring[-1][:2])}
                )
        try:
            geoms.append(shape(g))
        except Exception as exc:  # noqa: BLE001 - shapely raises many types on garbage
            raise _refuse(
                _("La géométrie %(n)s de la zone est illisible : %(error)s") % {"n": n, "error": exc}
            ) from exc
    geom = geoms[0] if len(geoms) == 1 else unary_union(geoms)
    repaired = False
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        if not repair:
            raise _refuse(
                _(
                    "La zone n'est pas un polygone valide (%(reason)s), par exemple son contour se "
                    "recoupe. Redessinez-la, ou demandez une réparation (case « Réparer », API : "
                    '"repair": true, CLI : --repair) qui la découpe en parties valides.'
                )
                % {"reason": reason}
            )
        fixed = shapely.make_valid(geom)
        # make_valid may return a collection with stray lines/points: keep the polygonal part.
        polys = [p for p in getattr(fixed, "geoms", [fixed]) if p.geom_type in AREA_TYPES]
        geom = unary_union(polys) if polys else fixed
        repaired = True
        notes.append(
            _("La zone était invalide (%(reason)s) et a été réparée (découpée en parties valides).")
            % {"reason": reason}
        )
    if geom.is_empty:
        raise _refuse(_("La zone est vide."))
    if geom.geom_type in AREA_TYPES and geom.area == 0:
        raise _refuse(_("La zone a une surface nulle."))
    return Area(geom, notes, repaired)


def buffer_area(geometry: Any, metres: float, *, repair: bool = False) -> Area:
    """An area around a point, a line or a polygon, ``metres`` wide, computed in Lambert-93."""
    try:
        metres = float(metres)
    except (TypeError, ValueError) as exc:
        raise _refuse(
            _("La distance du tampon « %(value)s » n'est pas un nombre de mètres.") % {"value": metres},
            "buffer",
        ) from exc
    if not (0 < metres <= MAX_BUFFER_M):
        raise _refuse(
            _("La distance du tampon doit être comprise entre 0 et %(max)s mètres (reçu : %(value)s).")
            % {"max": MAX_BUFFER_M, "value": metres},
            "buffer",
        )
    base = parse_area(geometry, repair=repair, allow_points=True)
    buffered = to_wgs84(to_lambert93(base.geometry).buffer(metres, quad_segs=16))
    return Area(
        buffered,
        base.notes + [_("Tampon de %(m)s m calculé en Lambert-93 (EPSG:2154).") % {"m": f"{metres:g}"}],
        base.repaired,
    )


def restrict_to(area: Area, boundaries: dict[str, Any], *, label: str = "") -> tuple[Area, list[str]]:
    """Clip an area to commune boundaries (code -> GeoJSON); refuse it if it lies outside all of them."""
    label = label or _("le territoire")
    shapes = {code: shape(b) for code, b in boundaries.items() if b}
    if not shapes:
        raise _refuse(
            _(
                "Aucun contour de commune n'est connu pour %(label)s ; ajoutez d'abord les communes "
                "(beffroi territory add)."
            )
            % {"label": label}
        )
    touched = sorted(
        code for code, s in shapes.items() if s.intersects(area.geometry) and not s.touches(area.geometry)
    )
    if not touched:
        raise _refuse(
            _("La zone est hors de %(label)s (communes %(codes)s) : rien à y croiser.")
            % {"label": label, "codes": ", ".join(sorted(shapes))}
        )
    union = unary_union([shapes[c] for c in touched])
    if union.covers(area.geometry):
        return area, touched
    clipped = area.geometry.intersection(union)
    if area.geometry.area and (area.geometry.area - clipped.area) / area.geometry.area < 1e-4:
        return area, touched  # only rounding noise along shared borders
    polys = [p for p in getattr(clipped, "geoms", [clipped]) if p.geom_type in AREA_TYPES]
    clipped = unary_union(polys) if polys else clipped
    note = _("La zone a été limitée à %(label)s (communes %(codes)s).") % {
        "label": label,
        "codes": ", ".join(touched),
    }
    return Area(clipped, area.notes + [note], area.repaired), touched
