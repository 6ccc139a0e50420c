""" "Who and what is in this area": one figure set per layer, each saying how and from what.

``compute(area, datasets, extras)`` works on any datasets (catalogue entries or ``LayerSource`` of
Parquet paths); ``selectors.exposure`` feeds it the catalogue, the user's communes and the counts of
other apps (registry, alert subscribers).
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.crossing import engine
from beffroi.crossing.geometry import Area
from beffroi.crossing.layers import ROLE_ORDER, by_role, source_ref

BAND_LABELS = {
    "pop_00_14": "0-14",
    "pop_15_29": "15-29",
    "pop_30_44": "30-44",
    "pop_45_59": "45-59",
    "pop_60_74": "60-74",
    "pop_75_plus": "75+",
}
BASE_LAYERS = ("residents", "addresses", "facilities", "stops", "registry", "subscribers")


def _band_label(col: str) -> str:
    return BAND_LABELS.get(col, col.removeprefix("pop_").replace("_", "-"))


def residents_layer(area: Area, populations: list, addresses: list) -> dict:
    totals: dict[str, float] = {}
    zones: list[dict] = []
    used = list(populations)
    address = addresses[0] if addresses else None
    for pop in populations:
        if address is not None:
            t, z = engine.residents_by_addresses(
                pop.parquet_path,
                pop.geometry_column,
                address.parquet_path,
                address.geometry_column,
                area.geometry,
            )
        else:
            t, z = engine.residents_by_area(pop.parquet_path, pop.geometry_column, area.geometry)
        for k, v in t.items():
            totals[k] = totals.get(k, 0.0) + v
        zones.extend(z)
    if address is not None:
        used.append(address)
        method = _(
            "Population de chaque IRIS (par tranche d'âge) répartie selon la part de ses adresses situées "
            "dans la zone ; un IRIS sans adresse est réparti selon la part de sa surface (Lambert-93). "
            "Estimations arrondies."
        )
    else:
        method = _(
            "Population de chaque IRIS (par tranche d'âge) répartie selon la part de sa surface située "
            "dans la zone, calculée en Lambert-93 (EPSG:2154). Estimations arrondies."
        )
    figures: dict[str, float] = {}
    total = totals.pop("pop_total", None)
    figures["total"] = round(total if total is not None else sum(totals.values()))
    for col in sorted(totals):
        figures[_band_label(col)] = round(totals[col])
    if "pop_75_plus" in totals and figures["total"]:
        figures["share_75_plus_pct"] = round(100 * totals["pop_75_plus"] / (total or sum(totals.values())), 1)
    return {
        "layer": "residents",
        "title": _("Habitants"),
        "figures": figures,
        "method": method,
        "sources": [source_ref(d) for d in used],
        "details": {"zones": sorted(zones, key=lambda z: str(z["code"]))[:500]},
    }


def points_layer(
    area: Area,
    key: str,
    title: str,
    datasets: list,
    *,
    group_by: str | None,
    method: str,
    detail_columns: tuple = (),
) -> dict:
    figures: dict[str, int] = {}
    details: list = []
    for d in datasets:
        counts = engine.count(d.parquet_path, d.geometry_column, area.geometry, group_by=group_by)
        for k, v in counts.items():
            figures[k] = figures.get(k, 0) + v
        if detail_columns:
            details.extend(
                engine.rows_in_area(d.parquet_path, d.geometry_column, area.geometry, list(detail_columns))
            )
    if group_by:
        figures = {"total": sum(figures.values()), **dict(sorted(figures.items()))}
    return {
        "layer": key,
        "title": title,
        "figures": figures,
        "method": method,
        "sources": [source_ref(d) for d in datasets],
        "details": {"rows": [list(map(_plain, r)) for r in details[:200]], "columns": list(detail_columns)},
    }


def _plain(value):
    return value if isinstance(value, (int, float, str, type(None))) else str(value)


def stops_layer(area: Area, datasets: list) -> dict:
    layer = points_layer(
        area,
        "stops",
        _("Arrêts de bus et tram"),
        datasets,
        group_by=None,
        method=_(
            "Arrêts GTFS situés dans la zone (ou sur son contour) ; lignes desservies d'après la liste "
            "des lignes de chaque arrêt."
        ),
        detail_columns=("stop_name", "routes"),
    )
    routes = sorted(
        {r.strip() for row in layer["details"]["rows"] for r in str(row[1] or "").split(",") if r.strip()}
    )
    layer["figures"]["lines"] = len(routes)
    layer["details"]["lines"] = routes
    return layer


def zones_layer(area: Area, d) -> dict:
    rows = engine.zones_intersecting(d.parquet_path, d.geometry_column, area.geometry, ["level"])
    levels = sorted({float(r[0]) for r in rows if r and r[0] is not None})
    figures: dict[str, float] = {"zones": len(rows)}
    if levels:
        figures["lowest_level"] = levels[0]
    return {
        "layer": f"zones:{d.name}",
        "title": getattr(d, "title", d.name),
        "figures": figures,
        "method": _(
            "Zones d'aléa (une par niveau, par ex. hauteur d'eau à la station de référence) touchant "
            "la zone ; le niveau le plus bas est le plus petit niveau dont la zone d'aléa atteint la zone."
        ),
        "sources": [source_ref(d)],
        "details": {"levels": levels},
    }


def generic_layer(area: Area, d) -> dict:
    return {
        "layer": f"dataset:{d.name}",
        "title": getattr(d, "title", d.name),
        "figures": engine.count(d.parquet_path, d.geometry_column, area.geometry),
        "method": _("Objets du jeu de données dont la géométrie touche la zone."),
        "sources": [source_ref(d)],
        "details": {},
    }


def presence_layer(area: Area, datasets: list, hour: int) -> dict:
    total, zones = 0.0, 0
    for d in datasets:
        t, z = engine.presence_by_area(d.parquet_path, d.geometry_column, area.geometry, hour)
        total, zones = total + t, zones + z
    return {
        "layer": "presence",
        "title": _("Population présente"),
        "figures": {"total": round(total), "hour": hour, "zones": zones},
        "method": _(
            "Personnes présentes à l'heure indiquée (comptages par zone et par heure), réparties selon la "
            "part de la surface de chaque zone située dans la zone (Lambert-93). Estimations arrondies."
        ),
        "sources": [source_ref(d) for d in datasets],
        "details": {},
    }


def current_hour() -> int:
    from zoneinfo import ZoneInfo

    return timezone.now().astimezone(ZoneInfo("Europe/Paris")).hour


def _wanted(layers: list[str] | None, key: str) -> bool:
    if not layers:
        return True
    return key in layers or key.split(":", 1)[0] in layers


def compute(
    area: Area,
    datasets: list,
    *,
    layers: list[str] | None = None,
    extras: dict[str, Callable[[Area], dict | None]] | None = None,
    communes: list[str] | None = None,
    at_hour: int | None = None,
) -> dict:
    """Exposure of ``area`` over ``datasets``; ``extras`` add layers computed by other apps.
    ``at_hour`` (0-23, Europe/Paris) picks the hour of presence datasets (default: now)."""
    roles = by_role(datasets)
    out: list[dict] = []
    for role in ROLE_ORDER:
        group = roles.get(role, [])
        if not group:
            continue
        if role == "residents" and _wanted(layers, "residents"):
            out.append(residents_layer(area, group, roles.get("addresses", [])))
        elif role == "presence" and _wanted(layers, "presence"):
            out.append(presence_layer(area, group, current_hour() if at_hour is None else int(at_hour)))
        elif role == "addresses" and _wanted(layers, "addresses"):
            out.append(
                points_layer(
                    area,
                    "addresses",
                    _("Adresses"),
                    group,
                    group_by=None,
                    method=_("Points adresse situés dans la zone (ou sur son contour)."),
                )
            )
        elif role == "facilities" and _wanted(layers, "facilities"):
            out.append(
                points_layer(
                    area,
                    "facilities",
                    _("Équipements"),
                    group,
                    group_by="type",
                    method=_("Équipements situés dans la zone, comptés par type."),
                    detail_columns=("type", "name"),
                )
            )
        elif role == "stops" and _wanted(layers, "stops"):
            out.append(stops_layer(area, group))
        elif role == "zones":
            out.extend(zones_layer(area, d) for d in group if _wanted(layers, f"zones:{d.name}"))
        elif role == "dataset":
            out.extend(generic_layer(area, d) for d in group if _wanted(layers, f"dataset:{d.name}"))
    for key, fn in (extras or {}).items():
        if _wanted(layers, key):
            layer = fn(area)
            if layer is not None:
                out.append(layer)
    return {
        "area": {
            "geometry": area.geojson,
            "km2": round(area.area_m2() / 1e6, 4),
            "communes": communes or [],
            "notes": list(area.notes),
            "repaired": area.repaired,
        },
        "computed_at": timezone.now().isoformat(),
        "layers": out,
    }


def flatten(result: dict) -> list[dict]:
    """One row per figure (CLI table/CSV and tests comparing interfaces)."""
    rows = []
    for layer in result["layers"]:
        sources = "; ".join(
            f"{s['dataset']}{' (synthetic)' if s.get('synthetic') else ''} @ {s.get('updated_at') or '?'}"
            for s in layer["sources"]
        )
        for name, value in layer["figures"].items():
            rows.append(
                {
                    "layer": layer["layer"],
                    "figure": name,
                    "value": value,
                    "method": layer["method"],
                    "sources": sources,
                }
            )
    return rows
