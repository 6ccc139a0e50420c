"""Disclosure control for counts of registered people: fixed cells, minimum area, small counts.

Pure policy and geometry, no query: ``registry.access.release_count`` applies it (it is the only
place that reads the registry and writes the access log). The method and its parameters are
explained in docs/registry.md.

- Each person carries a *cell*: the square of ``REGISTRY_CELL_M`` metres (at least 200) of the
  Lambert-93 grid (EPSG:2154) that holds their located address, computed when the record is written.
  Its id says nothing finer than the cell: ``"<size>:<column>:<row>"``.
- An area's count is the sum over the cells **whose centre lies in the area**: moving an edge
  inside a cell changes nothing, so no answer depends on sub-cell detail.
- No count for an area under ``REGISTRY_MIN_AREA_M2`` (1 km²), measured both as the polygon's own
  area and as the area of the cells it covers (a thin snake of 1 km² that catches one centre is
  refused too).
- A count under ``REGISTRY_SMALL_COUNT`` (5, never below 3) is shown as « moins de 5 ».
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from pyproj import Transformer

MIN_CELL_M = 200
MIN_SMALL_COUNT = 3

DEFAULTS = {
    "REGISTRY_CELL_M": 200,
    "REGISTRY_MIN_AREA_M2": 1_000_000,
    "REGISTRY_SMALL_COUNT": 5,
    "REGISTRY_COUNT_RATE_PER_HOUR": 30,
    "REGISTRY_DIFFERENCING_HOURS": 24,
}


def setting(name: str) -> int:
    return int(getattr(settings, name, None) or DEFAULTS[name])


def configuration_errors() -> list[str]:
    """What is wrong with the disclosure settings (used by the system check and before a count)."""
    errors = []
    if setting("REGISTRY_SMALL_COUNT") < MIN_SMALL_COUNT:
        errors.append(
            f"BEFFROI_REGISTRY_SMALL_COUNT={setting('REGISTRY_SMALL_COUNT')}: le seuil des petits effectifs "
            f"ne peut pas être inférieur à {MIN_SMALL_COUNT}."
        )
    if setting("REGISTRY_CELL_M") < MIN_CELL_M:
        errors.append(
            f"BEFFROI_REGISTRY_CELL_M={setting('REGISTRY_CELL_M')}: les mailles de comptage font au moins "
            f"{MIN_CELL_M} m."
        )
    if setting("REGISTRY_MIN_AREA_M2") < setting("REGISTRY_CELL_M") ** 2:
        errors.append("BEFFROI_REGISTRY_MIN_AREA_M2 doit être au moins la surface d'une maille.")
    return errors


def check_configuration() -> None:
    errors = configuration_errors()
    if errors:
        raise ImproperlyConfigured(" ".join(errors))


@lru_cache(maxsize=2)
def _transformer(forward: bool) -> Transformer:
    if forward:
        return Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    return Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)


def cell_of(lon: float | None, lat: float | None, size: int | None = None) -> str:
    """The cell id of a point (empty when the address is not located)."""
    if lon is None or lat is None:
        return ""
    size = size or setting("REGISTRY_CELL_M")
    x, y = _transformer(True).transform(lon, lat)
    if not (math.isfinite(x) and math.isfinite(y)):
        return ""
    return f"{size}:{math.floor(x / size)}:{math.floor(y / size)}"


_parsed: dict = {}


def parse_cells(cells: list[str], size: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Centres (Lambert-93) of the cells of ``size``; also the indexes of the ids that parsed."""
    key = (id(cells), len(cells), size)
    if _parsed.get("key") == key and _parsed.get("cells") is cells:
        return _parsed["value"]
    xs, ys, kept = [], [], []
    for i, cell in enumerate(cells):
        parts = cell.split(":")
        if len(parts) != 3 or parts[0] != str(size):
            continue  # a cell of another grid size: `beffroi registry reindex-cells` recomputes it
        try:
            col, row = int(parts[1]), int(parts[2])
        except ValueError:
            continue
        xs.append((col + 0.5) * size)
        ys.append((row + 0.5) * size)
        kept.append(i)
    value = (np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), kept)
    _parsed.update(key=key, cells=cells, value=value)  # the same cached list: parse it once
    return value


def grid_cells_in(geom_l93, size: int) -> set[tuple[int, int]]:
    """Every cell of the grid (occupied or not) whose centre lies in the Lambert-93 geometry."""
    import shapely

    minx, miny, maxx, maxy = geom_l93.bounds
    cols = np.arange(math.floor(minx / size), math.floor(maxx / size) + 1)
    rows = np.arange(math.floor(miny / size), math.floor(maxy / size) + 1)
    if cols.size * rows.size > 4_000_000:  # ~6,400 km² at 200 m: the caller refuses larger areas
        raise ValueError("area too large for the cell grid")
    grid_c, grid_r = np.meshgrid(cols, rows)
    cc, rr = grid_c.ravel(), grid_r.ravel()
    shapely.prepare(geom_l93)
    inside = shapely.intersects_xy(geom_l93, (cc + 0.5) * size, (rr + 0.5) * size)
    return {(int(c), int(r)) for c, r in zip(cc[inside], rr[inside], strict=True)}


@dataclass(frozen=True)
class ReleasedCount:
    """What the disclosure control lets out for one count query.

    ``status``: ``exact`` (``value`` is the count), ``small`` (below the threshold: « moins de N »),
    ``withheld`` (too close to an earlier query of the same user), ``too_small`` (area under the
    minimum) or ``rate_limited``. ``label`` is what to show; ``message`` says why in French.
    """

    status: str
    value: int | None
    label: str
    message: str = ""

    @property
    def exact(self) -> bool:
        return self.status == "exact"

    @property
    def shown(self) -> int | str:
        """The figure to display: the number when exact, else the label."""
        return self.value if self.exact and self.value is not None else self.label

    def as_dict(self) -> dict:
        return {"count": self.value, "status": self.status, "label": self.label, "message": self.message}


def small_label(threshold: int) -> str:
    return _("moins de %(n)d") % {"n": threshold}


def exact(n: int) -> ReleasedCount:
    return ReleasedCount("exact", n, str(n))


def small(threshold: int) -> ReleasedCount:
    return ReleasedCount(
        "small",
        None,
        small_label(threshold),
        _("Effectif inférieur au seuil de %(n)d : le nombre exact n'est pas communiqué.") % {"n": threshold},
    )


def too_small(min_area_m2: int) -> ReleasedCount:
    return ReleasedCount(
        "too_small",
        None,
        _("non communiqué"),
        _(
            "Zone trop petite : le registre ne donne pas d'effectif pour moins de %(km2)s km² "
            "(mailles de comptage comprises). Agrandissez la zone."
        )
        % {"km2": f"{min_area_m2 / 1_000_000:g}".replace(".", ",")},
    )


def withheld() -> ReleasedCount:
    return ReleasedCount(
        "withheld",
        None,
        _("non communiqué"),
        _(
            "Cette zone diffère trop peu d'une zone déjà demandée dans les dernières 24 heures : "
            "l'écart permettrait de situer des personnes, le nombre n'est pas communiqué."
        ),
    )


def rate_limited(per_hour: int) -> ReleasedCount:
    return ReleasedCount(
        "rate_limited",
        None,
        _("non communiqué"),
        _("Trop de demandes d'effectifs : au plus %(n)d par heure. Réessayez plus tard.") % {"n": per_hour},
    )
