"""Reads other apps may use (contract in COMMON.md): ``points_in_area`` and ``exposure``.

Other apps never query DuckDB directly: they call these functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely

from beffroi.crossing.geometry import Area, parse_area


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
