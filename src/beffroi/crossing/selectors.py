"""Reads other apps may use (contract in COMMON.md): ``points_in_area`` and ``exposure``.

Other apps never query DuckDB directly: they call these functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from django.utils.translation import gettext as _

from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import ALL_COMMUNES, require, user_communes
from beffroi.crossing.contributions import commune_counts, count_layers_for
from beffroi.crossing.exposure import compute
from beffroi.crossing.geometry import Area, buffer_area, parse_area, restrict_to
from beffroi.crossing.layers import catalogue
from beffroi.territory.selectors import communes_for_user


def _as_area(area: Any) -> Area:
    if isinstance(area, Area):
        return area
    # Areas from other apps come from datasets or validated drawings: repair rather than refuse.
    return parse_area(area, repair=True)


def points_in_area(area_geojson: Any, points: Iterable[tuple]) -> set:
    """Ids of the ``(id, lon, lat)`` points inside the area (EPSG:4326).

    A point exactly on the area's outline counts as inside (same rule as the DuckDB engine's
    ``ST_Intersects``); a point in a hole is outside. Points without coordinates are ignored.
    Raises ``UserError`` for an area that is not a polygon or is malformed (unclosed ring, more than
    10,000 vertices); a self-intersecting polygon is repaired with ``make_valid``.
    """
    area = _as_area(area_geojson)
    located = [(p[0], p[1], p[2]) for p in points if p[1] is not None and p[2] is not None]
    if not located:
        return set()
    xs = np.fromiter((p[1] for p in located), dtype=float, count=len(located))
    ys = np.fromiter((p[2] for p in located), dtype=float, count=len(located))
    geom = area.geometry
    shapely.prepare(geom)
    inside = shapely.intersects_xy(geom, xs, ys)
    return {located[i][0] for i in np.flatnonzero(inside)}


# --- exposure ---------------------------------------------------------------------------------------


def _user_boundaries(user) -> dict[str, Any]:
    return {c.code: c.boundary for c in communes_for_user(user) if c.boundary}


def prepare_area(
    area_geojson: Any, *, user, repair: bool = False, buffer_m: float | None = None
) -> tuple[Area, list[str]]:
    """Validate the area (buffering points/lines), then limit it to the user's communes."""
    area = (
        buffer_area(area_geojson, buffer_m, repair=repair)
        if buffer_m
        else parse_area(area_geojson, repair=repair)
    )
    return restrict_to(area, _user_boundaries(user), label=_("vos communes"))


def exposure(
    area_geojson: Any,
    layers: list[str] | None = None,
    *,
    user,
    repair: bool = False,
    buffer_m: float | None = None,
    datasets: list | None = None,
    at_hour: int | None = None,
) -> dict:
    """Who and what is in the area, per layer; each figure with its method and source datasets.

    Raises ``PermissionDenied`` without ``crossing.view_exposure`` and ``UserError`` for an invalid
    area or one outside the user's communes (the area is clipped to them, and the result says so).
    """
    require(user, "crossing.view_exposure")
    area, communes = prepare_area(area_geojson, user=user, repair=repair, buffer_m=buffer_m)
    result = compute(
        area,
        catalogue() if datasets is None else datasets,
        layers=layers,
        extras=count_layers_for(user),
        communes=communes,
        at_hour=at_hour,
    )
    return result


def commune_area(code: str, *, user) -> dict:
    """The boundary of one of the user's communes, as an area."""
    boundaries = _user_boundaries(user)
    if code not in boundaries:
        raise UserError(
            _("La commune %(code)s n'est pas l'une de vos communes.") % {"code": repr(code)},
            [Problem(_("commune inconnue"), field="commune")],
        )
    return boundaries[code]


def territorial_profile(*, user, weights: dict | None = None, datasets: list | None = None) -> dict:
    """Per commune of the user: age bands, 75+ share, facilities, flood share, vulnerability index."""
    from beffroi.crossing.profile import territorial_profile as build

    require(user, "crossing.view_exposure")
    return build(
        sorted(communes_for_user(user), key=lambda c: c.code),
        catalogue() if datasets is None else datasets,
        registry_counts=commune_counts("registry", user),
        weights=weights,
    )


def hazard_datasets(datasets: list | None = None) -> list:
    """Datasets of zones per level (e.g. flood zones per water height), for the what-if slider."""
    from beffroi.crossing.layers import by_role

    return by_role(catalogue() if datasets is None else datasets).get("zones", [])


def hazard_zone_choices(*, user, datasets: list | None = None) -> list[dict]:
    """Each level of each zones-per-level dataset (``dataset``, ``title``, ``level``, ``label``), for a
    list to pick a zone from; ``zone_at_level`` gives the zone itself."""
    from beffroi.crossing.profile import zone_levels

    require(user, "crossing.view_exposure")
    return [
        {"dataset": info.name, "title": info.title, "level": level, "label": label}
        for info in hazard_datasets(datasets)
        for level, label, _geom in zone_levels(info)
    ]


def scenario(
    dataset: str, *, user, datasets: list | None = None, area: Any = None, repair: bool = False
) -> dict:
    """What is in the hazard zone at each level (clipped to the user's communes), or, given an area,
    what is in the part of the area flooded at each level (zeros where the zone does not reach it)."""
    from beffroi.crossing.layers import source_ref
    from beffroi.crossing.profile import scenario_levels

    require(user, "crossing.view_exposure")
    pool = catalogue() if datasets is None else datasets
    info = next((d for d in hazard_datasets(pool) if d.name == dataset), None)
    if info is None:
        raise UserError(
            _("Aucun jeu de zones par niveau nommé %(dataset)s.") % {"dataset": repr(dataset)},
            [Problem(_("jeu inconnu"), field="dataset")],
        )
    boundaries = _user_boundaries(user)
    extras = {k: v for k, v in count_layers_for(user).items() if k == "registry"}
    if area is None:
        levels = scenario_levels(
            info, lambda a: restrict_to(a, boundaries, label=_("vos communes")), pool, extras
        )
    else:
        drawn, _communes = prepare_area(area, user=user, repair=repair)

        def clip(zone: Area):
            part = zone.geometry.intersection(drawn.geometry)
            polys = [p for p in getattr(part, "geoms", [part]) if p.geom_type in ("Polygon", "MultiPolygon")]
            if not polys or shapely.union_all(polys).area == 0:
                raise UserError(_("La zone n'atteint pas l'emprise à ce niveau."))
            return restrict_to(Area(shapely.union_all(polys)), boundaries, label=_("vos communes"))

        levels = scenario_levels(info, clip, pool, extras, empty_as_zero=True)
    return {
        "dataset": info.name,
        "title": info.title,
        "source": source_ref(info),
        "levels": levels,
        "in_area": area is not None,
    }


def count_points_per_zone(
    points_parquet, zones_parquet, *, zone_key: str, zone_geometry: str = "geometry"
) -> dict:
    """Assign the (lon, lat) points of a Parquet file to zone polygons, counted per zone (bulk, see
    ``crossing/pip.py``: a labelled grid, exact tests only near borders)."""
    from beffroi.crossing import pip

    return pip.count_points_per_zone(
        points_parquet, zones_parquet, zone_key=zone_key, zone_geometry=zone_geometry
    )


def area_from(
    *,
    user,
    area: Any = None,
    commune: str | None = None,
    iris: list[str] | None = None,
    zone_dataset: str | None = None,
    zone_level: float | None = None,
    datasets: list | None = None,
) -> Any:
    """Build an area (GeoJSON) from exactly one of: a drawn area, a commune, a set of IRIS codes, or
    the zone of a zones-per-level dataset at one level."""
    given = [x for x in (area, commune, iris, zone_dataset) if x]
    if len(given) != 1:
        raise UserError(
            _(
                "Donnez une seule zone : une zone GeoJSON, une commune, des codes IRIS, ou un "
                "jeu de zones et un niveau."
            ),
            [Problem(_("une seule zone attendue"), field="area")],
        )
    if area:
        return area
    if commune:
        return commune_area(commune, user=user)
    from beffroi.crossing import engine
    from beffroi.crossing.layers import by_role
    from beffroi.crossing.profile import zone_levels

    pool = catalogue() if datasets is None else datasets
    if iris:
        geoms: list[tuple[str, Any]] = []
        for d in by_role(pool).get("residents", []):
            if "iris_code" not in engine.columns(d.parquet_path):
                continue
            rows = engine.zones_by_code(d.parquet_path, d.geometry_column, "iris_code", list(iris))
            geoms.extend((code, shapely.from_wkb(wkb)) for code, wkb in rows)
        missing = sorted(set(iris) - {c for c, _g in geoms})
        if missing:
            raise UserError(
                _("Code(s) IRIS inconnu(s) : %(missing)s.") % {"missing": ", ".join(missing)},
                [Problem(_("IRIS inconnu"), field="iris")],
            )
        return shapely.geometry.mapping(shapely.union_all([g for _c, g in geoms]))
    info = next((d for d in hazard_datasets(pool) if d.name == zone_dataset), None)
    if info is None:
        raise UserError(
            _("Aucun jeu de zones par niveau nommé %(dataset)s.") % {"dataset": repr(zone_dataset)},
            [Problem(_("jeu inconnu"), field="zone")],
        )
    levels = {lv: geom for lv, _label, geom in zone_levels(info)}
    if zone_level is None or float(zone_level) not in levels:
        known = ", ".join(f"{v:g}" for v in sorted(levels))
        raise UserError(
            _("Le niveau %(level)s n'est pas dans %(dataset)s ; niveaux : %(known)s.")
            % {"level": repr(zone_level), "dataset": repr(zone_dataset), "known": known},
            [Problem(_("niveau inconnu"), field="level")],
        )
    return shapely.geometry.mapping(levels[float(zone_level)])


# --- saved crossings --------------------------------------------------------------------------------


def saved_crossings(*, user) -> list:
    """Saved crossings the user may see: those whose area lies in the user's communes."""
    from beffroi.crossing.models import SavedCrossing

    require(user, "crossing.view_savedcrossing")
    allowed = user_communes(user)
    out = []
    for saved in SavedCrossing.objects.all():
        communes = set(saved.result.get("area", {}).get("communes", []))
        if ALL_COMMUNES in allowed or (communes and communes <= allowed):
            out.append(saved)
    return out


def saved_figures(pk: int) -> tuple[datetime, dict[str, float]] | None:
    """A saved crossing's figures as ``"layer:figure" → number`` with the time they were computed, or
    None if there is no such crossing (contract used by indicators fed by a crossing)."""
    from beffroi.crossing.models import SavedCrossing

    saved = SavedCrossing.objects.filter(pk=pk).first()
    if saved is None or saved.computed_at is None:
        return None
    figures: dict[str, float] = {}
    for layer in (saved.result or {}).get("layers", []):
        for name, value in (layer.get("figures") or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                figures[f"{layer['layer']}:{name}"] = float(value)
    return saved.computed_at, figures


def stale_crossings(datasets: list | None = None) -> list:
    """Saved crossings computed before one of their datasets was last updated."""
    from datetime import datetime

    from beffroi.crossing.models import SavedCrossing

    updated = {d.name: d.updated_at for d in (catalogue() if datasets is None else datasets)}
    stale = []
    for saved in SavedCrossing.objects.all():
        used = {s["dataset"] for layer in saved.result.get("layers", []) for s in layer.get("sources", [])}
        newest = [updated[n] for n in used if n in updated and isinstance(updated[n], datetime)]
        if saved.computed_at is None or any(u > saved.computed_at for u in newest):
            stale.append(saved)
    return stale


def saved_layer(saved) -> dict:
    """A saved crossing as a GeoJSON Feature (map layer) with its headline figures as properties."""
    props: dict[str, Any] = {
        "id": saved.pk,
        "name": saved.name,
        "computed_at": saved.computed_at.isoformat() if saved.computed_at else None,
    }
    for layer in saved.result.get("layers", []):
        if "total" in layer.get("figures", {}):
            props[layer["layer"]] = layer["figures"]["total"]
    return {"type": "Feature", "id": saved.pk, "geometry": saved.area, "properties": props}


def iris_features(*, user, datasets: list | None = None) -> dict:
    """IRIS of the user's communes as GeoJSON (population, 75+ and its share), for choropleths."""
    from beffroi.crossing import engine
    from beffroi.crossing.layers import by_role

    require(user, "crossing.view_exposure")
    codes = [c.code for c in communes_for_user(user)]
    features = []
    for d in by_role(catalogue() if datasets is None else datasets).get("residents", []):
        cols = engine.columns(d.parquet_path)
        if not {"commune_code", "iris_code", "pop_total"} <= set(cols):
            continue
        for row in engine.iris_rows(d.parquet_path, d.geometry_column, codes, with_75="pop_75_plus" in cols):
            code, commune, total, over75, wkb = row
            share = round(100 * over75 / total, 1) if total and over75 is not None else None
            features.append(
                {
                    "type": "Feature",
                    "geometry": shapely.geometry.mapping(shapely.from_wkb(wkb)),
                    "properties": {
                        "iris_code": code,
                        "commune": commune,
                        "population": total,
                        "pop_75_plus": over75,
                        "share_75_plus": share,
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


# --- map layers ------------------------------------------------------------------------------------

# Zones are drawn on a city-scale map: about 2 m is below what a screen shows there, and the vertex
# cap keeps the payload to a few hundred KB whatever the source's precision (a real ZIP map can hold
# hundreds of thousands of vertices): the tolerance doubles until the zone fits.
ZONE_TOLERANCE_DEG = 2e-5
MAX_ZONE_VERTICES = 8_000
COORD_DECIMALS = 5  # about 1 m


def _light(geom) -> dict:
    """Simplify a zone until it has at most ``MAX_ZONE_VERTICES``, and round it, for the map."""
    tolerance = ZONE_TOLERANCE_DEG
    light = geom.simplify(tolerance, preserve_topology=True)
    while shapely.get_num_coordinates(light) > MAX_ZONE_VERTICES and tolerance < 0.01:
        tolerance *= 2
        light = geom.simplify(tolerance, preserve_topology=True)
    light = shapely.transform(light, lambda xy: np.round(xy, COORD_DECIMALS))
    return shapely.geometry.mapping(light)


def zone_at_level(dataset: str, value: float, *, user, datasets: list | None = None) -> dict | None:
    """The zone a zones-per-level dataset says is reached at ``value`` (e.g. flooded at a water
    height), as a GeoJSON Feature (EPSG:4326) clipped to the user's communes and simplified for a map.

    A level's zone is what is reached at that level (as in ``scenario``), so the zone at ``value`` is
    the union of the zones of every level up to ``value``; ``level`` and ``label`` in the properties
    are those of the highest of them. ``None`` when ``value`` is below the lowest level, the dataset
    is unknown, or the zone lies outside the user's communes.
    """
    from beffroi.crossing.layers import source_ref
    from beffroi.crossing.profile import zone_levels

    require(user, "crossing.view_exposure")
    pool = catalogue() if datasets is None else datasets
    info = next((d for d in hazard_datasets(pool) if d.name == dataset), None)
    if info is None:
        return None
    reached = [(lv, label, geom) for lv, label, geom in zone_levels(info) if lv <= value]
    if not reached:
        return None
    level, label, _geom = reached[-1]
    try:
        zone, _communes = restrict_to(
            Area(shapely.union_all([g for _lv, _label, g in reached])),
            _user_boundaries(user),
            label=_("vos communes"),
        )
    except UserError:  # outside the user's communes (or none known): nothing of theirs is reached
        return None
    ref = source_ref(info)
    return {
        "type": "Feature",
        "geometry": _light(zone.geometry),
        "properties": {
            "dataset": info.name,
            "title": ref["title"],
            "level": level,
            "label": label,
            "synthetic": ref["synthetic"],
        },
    }


def facilities_geojson(*, user, limit: int = 2000, datasets: list | None = None) -> dict:
    """Facility points (schools, care homes, nurseries… from the datasets with the facilities role)
    inside the user's communes, as a GeoJSON FeatureCollection; at most ``limit`` points, with
    ``truncated`` saying whether some were left out."""
    from beffroi.crossing import engine
    from beffroi.crossing.layers import by_role, source_ref

    require(user, "crossing.view_exposure")
    boundaries = [shapely.geometry.shape(b) for b in _user_boundaries(user).values()]
    features: list[dict] = []
    truncated = False
    if boundaries:
        territory = shapely.union_all(boundaries)
        for info in by_role(catalogue() if datasets is None else datasets).get("facilities", []):
            room = limit - len(features)
            if room <= 0:
                truncated = True
                break
            cols = engine.columns(info.parquet_path)
            where = ["lon", "lat"] if {"lon", "lat"} <= set(cols) else [info.geometry_column]
            # One more row than there is room for tells whether the dataset was cut.
            rows = engine.rows_in_area(
                info.parquet_path, info.geometry_column, territory, ["name", "type", *where], room + 1
            )
            named = [c for c in ("name", "type", *where) if c in cols]
            ref = source_ref(info)
            for row in rows[:room]:
                record = dict(zip(named, row, strict=True))
                if "lon" in record:
                    lon, lat = record["lon"], record["lat"]
                else:
                    point = shapely.from_wkb(record[info.geometry_column]).representative_point()
                    lon, lat = point.x, point.y
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                        "properties": {
                            "name": record.get("name") or "",
                            "type": record.get("type") or "",
                            "dataset": info.name,
                            "title": ref["title"],
                            "synthetic": ref["synthetic"],
                        },
                    }
                )
            truncated = truncated or len(rows) > room
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}
