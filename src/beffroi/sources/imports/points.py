"""Points from the longitude and latitude columns of a table (CSV, XLSX).

A table of facilities or addresses with « Longitude » and « Latitude » columns is a layer: its rows
become points (WGS84) in a ``geometry`` column, so the dataset shows on the maps and is crossed with
areas. The columns are recognised by name (any case and accents: lon, lng, longitude, x / lat,
latitude, y); they are kept as they are. A pair of columns whose values are not longitudes and
latitudes (Lambert-93 metres, say) makes no geometry, and the import says why: reproject first.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

LONGITUDE_NAMES = ("longitude", "lon", "lng", "long", "x", "coord_x", "coordonnee_x")
LATITUDE_NAMES = ("latitude", "lat", "y", "coord_y", "coordonnee_y")


@dataclass
class Points:
    geometry_from: list[str]  # [longitude column, latitude column] that became the geometry
    located: int
    missing: int


def _key(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return plain.strip().lower().replace(" ", "_").replace("-", "_")


def coordinate_columns(names: list[str]) -> tuple[str, str] | None:
    """The (longitude, latitude) columns by name, preferring the explicit names to x/y."""
    keys = {_key(n): n for n in names}
    lon = next((keys[k] for k in LONGITUDE_NAMES if k in keys), None)
    lat = next((keys[k] for k in LATITUDE_NAMES if k in keys), None)
    if lon is None or lat is None:
        return None
    return lon, lat


def add_points(target: Path, notes: list[str]) -> Points | None:
    """Add a ``geometry`` column of points to the staged Parquet file when it has longitude and
    latitude columns holding WGS84 values; append what was done (or why not) to ``notes``."""
    table = pq.read_table(target)
    if "geometry" in table.column_names:
        return None
    pair = coordinate_columns(table.column_names)
    if pair is None:
        return None
    lon_name, lat_name = pair
    columns = {}
    for name in pair:
        column = table.column(name)
        if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
            notes.append(
                _(
                    "Les colonnes %(lon)s et %(lat)s n'ont pas été converties en points : la colonne "
                    "%(name)s contient autre chose que des nombres."
                )
                % {"lon": lon_name, "lat": lat_name, "name": name}
            )
            return None
        columns[name] = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    lon, lat = columns[lon_name], columns[lat_name]
    present = ~(np.isnan(lon) | np.isnan(lat))
    inside = present & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    if present.any() and not inside[present].all():
        outside = int((present & ~inside).sum())
        notes.append(
            ngettext(
                "Les colonnes %(lon)s et %(lat)s n'ont pas été converties en points : %(n)s ligne a des "
                "valeurs hors des bornes longitude/latitude (coordonnées projetées, en Lambert-93 par "
                "exemple ?). Reprojetez le fichier en WGS84 (EPSG:4326).",
                "Les colonnes %(lon)s et %(lat)s n'ont pas été converties en points : %(n)s lignes ont "
                "des valeurs hors des bornes longitude/latitude (coordonnées projetées, en Lambert-93 "
                "par exemple ?). Reprojetez le fichier en WGS84 (EPSG:4326).",
                outside,
            )
            % {"lon": lon_name, "lat": lat_name, "n": outside}
        )
        return None
    geometries = np.full(len(lon), None, dtype=object)
    geometries[inside] = shapely.to_wkb(shapely.points(lon[inside], lat[inside]))
    pq.write_table(
        table.append_column("geometry", pa.array(geometries.tolist(), type=pa.binary())),
        target,
        compression="zstd",
    )
    located, missing = int(inside.sum()), int((~inside).sum())
    notes.append(
        _(
            "Les colonnes %(lon)s et %(lat)s sont devenues la géométrie (points WGS84) : "
            "%(located)s, %(missing)s."
        )
        % {
            "lon": lon_name,
            "lat": lat_name,
            "located": ngettext("%(n)s ligne localisée", "%(n)s lignes localisées", located) % {"n": located},
            "missing": ngettext("%(n)s sans coordonnées", "%(n)s sans coordonnées", missing) % {"n": missing},
        }
    )
    return Points([lon_name, lat_name], located, missing)
