"""Search of the Vigicrues station catalogue (the ``vigicrues-catalogue`` sources' tables) by station
name, commune (INSEE code or name, with the stations near a commune of the territory) and river
(the vigilance section's label names it: « Marne de Condé à Charenton »)."""

from __future__ import annotations

import logging
import math
import unicodedata

import pyarrow as pa
import pyarrow.parquet as pq

from beffroi.sources import storage
from beffroi.sources.models import Dataset

log = logging.getLogger(__name__)

NEAR_KM = 8.0  # a commune's stations: those within this distance of its centre, on any river


def fold(text: str) -> str:
    """Lower case without accents, hyphens as spaces: « Créteil » and « creteil » match."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("-", " ").replace("'", " ").split())


def catalogue_rows() -> list[dict]:
    """Every station of every Vigicrues catalogue source, once (the newest table wins)."""
    rows: dict[str, dict] = {}
    for dataset in Dataset.objects.filter(source__kind="vigicrues-catalogue").order_by("updated_at"):
        try:
            table = pq.read_table(storage.absolute(dataset.parquet_file))
        except (OSError, pa.ArrowException):
            log.warning("sources: could not read the Vigicrues catalogue %s", dataset.name)
            continue
        for row in table.to_pylist():
            if isinstance(row.get("code"), str):
                rows[row["code"]] = row
    return list(rows.values())


def _distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 6371 * 2 * math.asin(math.sqrt(a))


def search_stations(
    query: str, *, communes: dict[str, tuple[str, tuple[float, float] | None]], limit: int = 20
):
    """Stations matching ``query``, best first. ``communes``: INSEE code → (name, (lon, lat) centre)
    for the names and positions the territory knows."""
    import shapely

    words = fold(query).split()
    if not words:
        return []
    near_centres = [
        centre
        for code, (name, centre) in communes.items()
        if centre is not None and all(w in fold(name) or w == code for w in words)
    ]
    found = []
    for row in catalogue_rows():
        commune_name = communes.get(row.get("commune") or "", ("", None))[0]
        haystack = fold(
            " ".join(
                str(row.get(k) or "")
                for k in ("code", "label", "commune", "section", "section_label", "territory_label")
            )
            + " "
            + commune_name
        )
        position = None
        if row.get("geometry"):
            point = shapely.from_wkb(row["geometry"])
            position = (point.x, point.y)
        distance = None
        if position is not None and near_centres:
            distance = min(_distance_km(*position, *c) for c in near_centres)
        direct = all(w in haystack for w in words)
        if not direct and (distance is None or distance > NEAR_KM):
            continue
        found.append(
            (
                0 if direct else 1,
                distance if distance is not None else 0.0,
                {
                    "code": row["code"],
                    "label": row.get("label") or row["code"],
                    "commune": row.get("commune") or "",
                    "commune_name": commune_name,
                    "section": row.get("section") or "",
                    "river": row.get("section_label") or "",
                    "territory": row.get("territory_label") or "",
                    "forecast": bool(row.get("forecast")),
                    "distance_km": round(distance, 1) if distance is not None else None,
                    "lon": position[0] if position else None,
                    "lat": position[1] if position else None,
                },
            )
        )
    found.sort(key=lambda f: (f[0], f[1], f[2]["label"]))
    return [f[2] for f in found[:limit]]
