# ruff: noqa: S608 - SQL is built from quoted identifiers (ident), quoted paths (literal) and numbers;
# every value from a user (the area) is a bound parameter.
"""The DuckDB engine: spatial queries on the catalogue's Parquet files.

One in-memory DuckDB connection per thread, with the spatial extension loaded from the installed
PyPI package (no download). Areas are passed as WKB parameters; datasets as Parquet paths. Point
layers with ``lon``/``lat`` columns are filtered on the area's bounding box before the exact
``ST_Intersects`` test (a point on the outline counts as inside, as in ``points_in_area``).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import duckdb
import shapely

_local = threading.local()
TO_L93 = "'EPSG:4326', 'EPSG:2154', always_xy := true"


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    import duckdb_extension_spatial

    base = Path(duckdb_extension_spatial.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    con.execute(f"LOAD '{base / 'spatial.duckdb_extension'}'")


def connection() -> duckdb.DuckDBPyConnection:
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(config={"threads": 2})
        load_spatial(con)
        _local.con = con
    return con


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def columns(path: Path) -> list[str]:
    """Column names of a Parquet file (cached until the file changes)."""
    st = Path(path).stat()
    return list(_columns(str(path), st.st_mtime_ns, st.st_size))


@lru_cache(maxsize=256)
def _columns(path: str, _mtime: int, _size: int) -> tuple[str, ...]:
    import pyarrow.parquet as pq

    return tuple(pq.read_schema(path).names)


def geom_expr(cols: list[str], geometry_column: str | None) -> str:
    """SQL for a row's geometry: lon/lat columns when present (fast), else the WKB/GeoJSON column."""
    if "lon" in cols and "lat" in cols:
        return "ST_Point(lon, lat)"
    if geometry_column:
        return f"ST_GeomFromWKB({ident(geometry_column)})"
    raise ValueError("no geometry")


def point_filter(cols: list[str], geometry_column: str | None, bounds) -> str:
    """WHERE clause for rows intersecting the area (parameter $area), bbox-prefiltered when possible."""
    minx, miny, maxx, maxy = bounds
    if "lon" in cols and "lat" in cols:
        return (
            f"lon BETWEEN {minx!r} AND {maxx!r} AND lat BETWEEN {miny!r} AND {maxy!r} "
            "AND ST_Intersects($area, ST_Point(lon, lat))"
        )
    return f"ST_Intersects($area, {geom_expr(cols, geometry_column)})"


def _area_param(geometry) -> dict:
    return {"area": shapely.to_wkb(geometry)}


def count(path: Path, geometry_column: str | None, geometry, *, group_by: str | None = None) -> dict:
    """Rows of a dataset intersecting the area; per value of ``group_by`` when given."""
    cols = columns(path)
    where = point_filter(cols, geometry_column, geometry.bounds)
    src = f"read_parquet({literal(path)})"
    params = {"area": shapely.to_wkb(geometry)}
    con = connection()
    if group_by and group_by in cols:
        sql = (
            f"SELECT CAST({ident(group_by)} AS VARCHAR) AS k, count(*) FROM {src} "
            f"WHERE {where.replace('$area', 'ST_GeomFromWKB($area)')} "
            "GROUP BY k ORDER BY k"
        )
        return {str(k): int(n) for k, n in con.execute(sql, params).fetchall()}
    sql = f"SELECT count(*) FROM {src} WHERE {where.replace('$area', 'ST_GeomFromWKB($area)')}"
    row = con.execute(sql, params).fetchone()
    return {"total": int(row[0]) if row else 0}


def rows_in_area(
    path: Path, geometry_column: str | None, geometry, select: list[str], limit: int = 200
) -> list[tuple]:
    cols = columns(path)
    wanted = [c for c in select if c in cols]
    if not wanted:
        return []
    where = point_filter(cols, geometry_column, geometry.bounds).replace("$area", "ST_GeomFromWKB($area)")
    sql = (
        f"SELECT {', '.join(ident(c) for c in wanted)} FROM read_parquet({literal(path)}) WHERE {where} "
        f"ORDER BY {', '.join(ident(c) for c in wanted)} LIMIT {int(limit)}"
    )
    return con_fetch(sql, _area_param(geometry))


def con_fetch(sql: str, params: dict | None = None) -> list[tuple]:
    return connection().execute(sql, params or {}).fetchall()


def population_bands(cols: list[str]) -> list[str]:
    return [c for c in cols if c.startswith("pop_") and c != "pop_total"]


def residents_by_area(path: Path, geometry_column: str, geometry) -> tuple[dict, list[dict]]:
    """Apportion each population zone (IRIS) by the share of its surface inside the area (Lambert-93)."""
    cols = columns(path)
    bands = population_bands(cols) + (["pop_total"] if "pop_total" in cols else [])
    code = "iris_code" if "iris_code" in cols else None
    g = ident(geometry_column)
    sql = f"""
        WITH a AS (SELECT ST_GeomFromWKB($area) AS g),
        z AS (SELECT *, ST_GeomFromWKB({g}) AS zg FROM read_parquet({literal(path)})),
        hit AS (
            SELECT z.*, ST_Area(ST_Transform(ST_Intersection(ST_MakeValid(z.zg), a.g), {TO_L93}))
                        / NULLIF(ST_Area(ST_Transform(z.zg, {TO_L93})), 0) AS share
            FROM z, a WHERE ST_Intersects(z.zg, a.g)
        )
        SELECT {ident(code) if code else "NULL"} AS code, share, {", ".join(ident(b) for b in bands)} FROM hit
    """
    rows = con_fetch(sql, _area_param(geometry))
    zones = []
    totals = dict.fromkeys(bands, 0.0)
    for row in rows:
        share = min(float(row[1] or 0.0), 1.0)
        values = dict(zip(bands, row[2:], strict=True))
        for b in bands:
            totals[b] += share * float(values[b] or 0)
        zones.append({"code": row[0], "share": share, "method": "area"})
    return totals, zones


def residents_by_addresses(
    pop_path: Path, pop_geom: str, addr_path: Path, addr_geom: str | None, geometry
) -> tuple[dict, list[dict]]:
    """Apportion each zone by the share of its addresses inside the area; zones without any
    address fall back to the surface share."""
    cols = columns(pop_path)
    bands = population_bands(cols) + (["pop_total"] if "pop_total" in cols else [])
    code = ident("iris_code") if "iris_code" in cols else "NULL"
    acols = columns(addr_path)
    apt = geom_expr(acols, addr_geom)
    g = ident(pop_geom)
    minx, miny, maxx, maxy = geometry.bounds
    sql = f"""
        WITH a AS (SELECT ST_GeomFromWKB($area) AS g),
        z AS (SELECT row_number() OVER () AS zid, *, ST_GeomFromWKB({g}) AS zg
              FROM read_parquet({literal(pop_path)})),
        hit AS (SELECT z.* FROM z, a WHERE ST_Intersects(z.zg, a.g)),
        box AS (SELECT min(ST_XMin(zg)) x0, min(ST_YMin(zg)) y0, max(ST_XMax(zg)) x1, max(ST_YMax(zg)) y1
                FROM hit),
        pts AS (SELECT {apt} AS pg FROM read_parquet({literal(addr_path)}), box
                WHERE ST_X({apt}) BETWEEN box.x0 AND box.x1 AND ST_Y({apt}) BETWEEN box.y0 AND box.y1),
        per AS (
            SELECT hit.zid, count(*) AS n_all,
                   count(*) FILTER (WHERE ST_Intersects(a.g, pts.pg)) AS n_in
            FROM hit JOIN pts ON ST_Intersects(hit.zg, pts.pg), a GROUP BY hit.zid
        )
        SELECT {code} AS code,
               coalesce(per.n_all, 0), coalesce(per.n_in, 0),
               ST_Area(ST_Transform(ST_Intersection(ST_MakeValid(hit.zg), a.g), {TO_L93}))
                   / NULLIF(ST_Area(ST_Transform(hit.zg, {TO_L93})), 0) AS share,
               {", ".join("hit." + ident(b) for b in bands)}
        FROM hit LEFT JOIN per USING (zid), a
    """
    del minx, miny, maxx, maxy
    rows = con_fetch(sql, _area_param(geometry))
    zones = []
    totals = dict.fromkeys(bands, 0.0)
    for row in rows:
        n_all, n_in, area_share = int(row[1]), int(row[2]), float(row[3] or 0.0)
        if n_all:
            share, method = n_in / n_all, "addresses"
        else:
            share, method = min(area_share, 1.0), "area"
        values = dict(zip(bands, row[4:], strict=True))
        for b in bands:
            totals[b] += share * float(values[b] or 0)
        zones.append({"code": row[0], "share": share, "method": method, "addresses": n_all})
    return totals, zones


def zones_intersecting(path: Path, geometry_column: str, geometry, select: list[str]) -> list[tuple]:
    cols = columns(path)
    wanted = [c for c in select if c in cols]
    sel = ", ".join(ident(c) for c in wanted) or "1"
    sql = (
        f"SELECT {sel} FROM read_parquet({literal(path)}) "
        f"WHERE ST_Intersects(ST_GeomFromWKB($area), ST_GeomFromWKB({ident(geometry_column)}))"
    )
    return con_fetch(sql, _area_param(geometry))


def count_points_per_zone(
    points_path: Path, zones_path: Path, *, zone_key: str, zone_geometry: str = "geometry"
) -> dict[str, int]:
    """Assign every point (lon, lat) of a Parquet file to the zone polygon containing it, counted per
    zone (one spatial join in DuckDB). Points outside every zone are not counted."""
    sql = f"""
        WITH z AS (SELECT {ident(zone_key)} AS k, ST_GeomFromWKB({ident(zone_geometry)}) AS zg
                   FROM read_parquet({literal(zones_path)}))
        SELECT z.k, count(*) FROM read_parquet({literal(points_path)}) p
        JOIN z ON ST_Intersects(z.zg, ST_Point(p.lon, p.lat))
        GROUP BY z.k
    """
    return {str(k): int(n) for k, n in con_fetch(sql)}


def presence_by_area(path: Path, geometry_column: str, geometry, hour: int) -> tuple[float, int]:
    """People present at ``hour``: each zone's count apportioned by its surface share in the area."""
    g = ident(geometry_column)
    sql = f"""
        WITH a AS (SELECT ST_GeomFromWKB($area) AS g),
        z AS (SELECT count AS n, ST_GeomFromWKB({g}) AS zg FROM read_parquet({literal(path)})
              WHERE CAST(hour AS INTEGER) = {int(hour)})
        SELECT coalesce(sum(n * ST_Area(ST_Transform(ST_Intersection(ST_MakeValid(z.zg), a.g), {TO_L93}))
                            / NULLIF(ST_Area(ST_Transform(z.zg, {TO_L93})), 0)), 0), count(*)
        FROM z, a WHERE ST_Intersects(z.zg, a.g)
    """
    total, zones = con_fetch(sql, _area_param(geometry))[0]
    return float(total or 0.0), int(zones)


def zones_by_code(path: Path, geometry_column: str, key: str, codes: list[str]) -> list[tuple[str, bytes]]:
    """(code, WKB) of the rows whose ``key`` column is one of ``codes``."""
    sql = (
        f"SELECT {ident(key)}, {ident(geometry_column)} FROM read_parquet({literal(path)}) "
        f"WHERE {ident(key)} IN ({', '.join(literal(c) for c in codes) or 'NULL'})"
    )
    return [(str(k), bytes(w)) for k, w in con_fetch(sql)]


def iris_rows(path: Path, geometry_column: str, communes: list[str], *, with_75: bool) -> list[tuple]:
    over = "pop_75_plus" if with_75 else "NULL"
    sql = (
        f"SELECT iris_code, commune_code, pop_total, {over}, {ident(geometry_column)} "
        f"FROM read_parquet({literal(path)}) "
        f"WHERE commune_code IN ({', '.join(literal(c) for c in communes) or 'NULL'}) ORDER BY iris_code"
    )
    return [
        (str(a), str(b), int(c or 0), None if d is None else int(d), bytes(e))
        for a, b, c, d, e in con_fetch(sql)
    ]
