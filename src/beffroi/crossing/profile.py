"""Territorial profile per commune and IRIS, the vulnerability index, and hazard scenarios.

Vulnerability index (0-100, documented in docs/crossing.md): each indicator is divided by its
maximum over the communes shown (so the most exposed commune scores 1 on it), then weighted:

    index = 100 * sum(weight_i * indicator_i / max_i) / sum(weight_i)

Indicators: share of residents aged 75+, share aged 0-14, share of residents inside the widest
hazard zone (highest level), registry people per 1,000 residents. Weights are tunable per request.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pyarrow.parquet as pq
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape

from beffroi.core.errors import UserError
from beffroi.crossing import engine
from beffroi.crossing.exposure import compute
from beffroi.crossing.geometry import Area
from beffroi.crossing.layers import by_role, source_ref
from beffroi.crossing.synthetic import BANDS

DEFAULT_WEIGHTS = {"share_75_plus": 0.4, "share_00_14": 0.1, "flood_share": 0.35, "registry_per_1000": 0.15}
INDICATORS = tuple(DEFAULT_WEIGHTS)


def weights_from(params: dict | None) -> dict[str, float]:
    weights = dict(DEFAULT_WEIGHTS)
    for key in INDICATORS:
        raw = (params or {}).get(f"w_{key}")
        if raw not in (None, ""):
            with contextlib.suppress(TypeError, ValueError):
                weights[key] = max(0.0, float(raw))
    return weights


def zone_levels(info) -> list[tuple[float, str, Any]]:
    """(level, label, shapely geometry) of a zones-per-level dataset, lowest level first."""
    table = pq.read_table(info.parquet_path)
    cols = table.column_names
    levels = table["level"].to_pylist()
    labels = table["label"].to_pylist() if "label" in cols else [f"{v:g}" for v in levels]
    geoms = shapely.from_wkb(table[info.geometry_column].to_pylist())
    merged: dict[float, tuple[str, list]] = {}
    for level, label, geom in zip(levels, labels, geoms, strict=True):
        merged.setdefault(float(level), (label, []))[1].append(geom)
    return [(lv, merged[lv][0], shapely.union_all(merged[lv][1])) for lv in sorted(merged)]


def _population_by_commune(populations: list, codes: list[str]) -> tuple[dict, list[dict]]:
    per: dict[str, dict[str, float]] = {}
    iris: list[dict] = []
    for d in populations:
        cols = engine.columns(d.parquet_path)
        if "commune_code" not in cols:
            continue
        bands = [b for b in (*BANDS, "pop_total") if b in cols]
        names = [c for c in ("iris_code", "iris_name") if c in cols]
        # Quoted identifiers and literals only.
        sql = (
            f"SELECT commune_code, {', '.join(engine.ident(c) for c in names + bands)} "  # noqa: S608
            f"FROM read_parquet({engine.literal(d.parquet_path)}) WHERE commune_code IN "
            f"({', '.join(engine.literal(c) for c in codes) or 'NULL'}) ORDER BY 1, 2"
        )
        for row in engine.con_fetch(sql):
            code = row[0]
            record = dict(zip(names + bands, row[1:], strict=True))
            agg = per.setdefault(code, dict.fromkeys(bands, 0.0))
            for b in bands:
                agg[b] = agg.get(b, 0.0) + float(record[b] or 0)
            total = float(record.get("pop_total") or 0)
            iris.append(
                {
                    "commune": code,
                    **record,
                    "share_75_plus": round(100 * float(record.get("pop_75_plus") or 0) / total, 1)
                    if total
                    else None,
                }
            )
    return per, iris


def territorial_profile(
    communes: list, datasets: list, *, registry_counts: dict | None = None, weights: dict | None = None
) -> dict:
    """``communes``: objects with code, name, population, boundary (GeoJSON)."""
    weights = weights or dict(DEFAULT_WEIGHTS)
    roles = by_role(datasets)
    codes = [c.code for c in communes]
    per, iris = _population_by_commune(roles.get("residents", []), codes)
    zones = [(d, zone_levels(d)) for d in roles.get("zones", [])]
    rows = []
    for c in communes:
        bands = per.get(c.code, {})
        total = bands.get("pop_total") or sum(v for k, v in bands.items() if k != "pop_total") or 0
        row = {"code": c.code, "name": c.name, "population": int(total) or int(c.population or 0)}
        for b in BANDS:
            row[b] = int(bands.get(b, 0))
        row["share_75_plus"] = round(100 * row["pop_75_plus"] / total, 1) if total else 0.0
        row["share_00_14"] = round(100 * row["pop_00_14"] / total, 1) if total else 0.0
        boundary = Area(shape(c.boundary)) if c.boundary else None
        facilities: dict[str, int] = {}
        if boundary is not None:
            for d in roles.get("facilities", []):
                for k, v in engine.count(
                    d.parquet_path, d.geometry_column, boundary.geometry, group_by="type"
                ).items():
                    facilities[k] = facilities.get(k, 0) + v
        row["facilities"] = sum(facilities.values())
        row["facilities_by_type"] = dict(sorted(facilities.items()))
        flooded = 0.0
        risks = []
        if boundary is not None and total:
            for d, levels in zones:
                if not levels:
                    continue
                widest = levels[-1][2].intersection(boundary.geometry)
                if widest.is_empty or widest.area == 0:
                    continue
                risks.append(getattr(d, "title", d.name))
                res = compute(
                    Area(widest),
                    roles.get("residents", []) + roles.get("addresses", []),
                    layers=["residents"],
                )
                flooded += sum(layer["figures"].get("total", 0) for layer in res["layers"])
        row["risks"] = risks
        row["flood_residents"] = int(flooded)
        row["flood_share"] = round(100 * min(flooded, total) / total, 1) if total else 0.0
        n_registry = (registry_counts or {}).get(c.code)
        row["registry"] = n_registry
        row["registry_per_1000"] = (
            round(1000 * n_registry / total, 2) if (n_registry is not None and total) else 0.0
        )
        rows.append(row)
    maxima = {k: max((r[k] for r in rows), default=0) or 0 for k in INDICATORS}
    wsum = sum(weights.values()) or 1.0
    for r in rows:
        score = sum(weights[k] * (r[k] / maxima[k] if maxima[k] else 0.0) for k in INDICATORS)
        r["vulnerability_index"] = round(100 * score / wsum, 1)
    used = [d for role in ("residents", "facilities", "zones") for d in roles.get(role, [])]
    return {
        "communes": rows,
        "iris": iris,
        "weights": weights,
        "method": _(
            "population et tranches d'âge sommées depuis la couche IRIS ; équipements comptés dans le "
            "contour de chaque commune ; part inondable = habitants (répartis) dans la zone la plus "
            "large de chaque jeu de zones par hauteur ; indice = somme pondérée des indicateurs, "
            "chacun divisé par son maximum sur les communes affichées, ramenée de 0 à 100."
        ),
        "sources": [source_ref(d) for d in used],
    }


def scenario_levels(
    info,
    clip,
    datasets: list,
    extras: dict,
    layers=("residents", "addresses", "facilities", "registry"),
    *,
    empty_as_zero: bool = False,
):
    """Exposure at each level of a zones-per-level dataset; ``clip(Area) -> (Area, communes)``."""

    out = []
    for level, label, geom in zone_levels(info):
        try:
            area, communes = clip(Area(geom))
        except UserError:
            if empty_as_zero:
                out.append(
                    {
                        "level": level,
                        "label": label,
                        "zone": None,
                        "summary": {k: 0 for k in (*layers, "75+")},
                        "layers": [],
                    }
                )
            continue
        res = compute(area, datasets, layers=list(layers), extras=extras, communes=communes)
        summary = {}
        for layer in res["layers"]:
            summary[layer["layer"]] = layer["figures"].get("total")
            if layer["layer"] == "residents":
                summary["75+"] = layer["figures"].get("75+")
        out.append(
            {
                "level": level,
                "label": label,
                "zone": mapping(area.geometry),
                "summary": summary,
                "layers": [{k: v for k, v in layer.items() if k != "details"} for layer in res["layers"]],
            }
        )
    return out
