"""Which catalogue datasets feed which exposure layer.

Roles are found by name prefix first, then by columns (see docs/crossing.md):

- residents: a polygon dataset with ``pop_total`` and ``pop_*`` age-band columns (IRIS population);
- addresses: name starting ``addresses``/``adresses``/``ban`` (points);
- facilities: name starting ``facilities``/``equipements``/``bpe`` (points, ``type`` and ``name``);
- stops: name starting ``gtfs-stops``/``stops``/``arrets`` (points, ``stop_name``, ``routes``);
- presence: a polygon dataset with ``hour`` (0-23) and ``count`` columns (people present per zone
  and hour, e.g. a mobile operator's counts imported as partner data);
- hazard zones: a polygon dataset with a numeric ``level`` column (e.g. flood zone per water height);
- any other dataset with a geometry: counted as features touching the area.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from beffroi.sources.selectors import list_datasets

log = logging.getLogger(__name__)

ROLE_PREFIXES = {
    "addresses": ("addresses", "adresses", "ban"),
    "facilities": ("facilities", "equipements", "bpe"),
    "stops": ("gtfs-stops", "stops", "arrets"),
}
ROLE_ORDER = ("residents", "presence", "addresses", "facilities", "stops", "zones", "dataset")


@dataclass(frozen=True)
class LayerSource:
    """A dataset as the engine sees it (the catalogue's DatasetInfo has the same attributes)."""

    name: str
    title: str
    parquet_path: Path
    geometry_column: str | None
    updated_at: datetime | None = None
    synthetic: bool = False
    licence: str = ""
    origin: str = ""
    columns: tuple = ()


def role_of(info) -> str | None:
    if not info.geometry_column and not {"lon", "lat"} <= set(_column_names(info)):
        return None
    cols = set(_column_names(info))
    if "pop_total" in cols:
        return "residents"
    if {"hour", "count"} <= cols:
        return "presence"
    for role, prefixes in ROLE_PREFIXES.items():
        if info.name.startswith(prefixes):
            return role
    if "level" in cols:
        return "zones"
    return "dataset"


def _column_names(info) -> list[str]:
    cols = getattr(info, "columns", ()) or ()
    names = [c[0] if isinstance(c, (tuple, list)) else c for c in cols]
    if names:
        return names
    from beffroi.crossing import engine

    try:
        return engine.columns(info.parquet_path)
    except Exception:  # noqa: BLE001 - a missing or broken file: not a layer
        log.warning("crossing: cannot read the columns of %s", info.parquet_path, exc_info=True)
        return []


def catalogue() -> list:
    return [d for d in list_datasets() if Path(d.parquet_path).exists()]


def by_role(datasets: list) -> dict[str, list]:
    out: dict[str, list] = {}
    for d in datasets:
        role = role_of(d)
        if role:
            out.setdefault(role, []).append(d)
    return out


def source_ref(info) -> dict:
    updated = getattr(info, "updated_at", None)
    return {
        "dataset": info.name,
        "title": getattr(info, "title", info.name),
        "updated_at": updated.isoformat() if updated else None,
        "synthetic": bool(getattr(info, "synthetic", False)),
        "licence": getattr(info, "licence", ""),
        "origin": getattr(info, "origin", ""),
    }
