"""GTFS feeds (a zip with stops.txt, routes.txt, trips.txt, stop_times.txt): the stops as a point
layer, each with the lines that serve it, so a crossing answers "which lines serve this area"."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beffroi.core.errors import Problem, UserError
from beffroi.sources.imports.duck import connect, literal
from beffroi.sources.imports.limits import Limits
from beffroi.sources.imports.safety import check_zip, refuse

FILES = ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt")


def is_gtfs(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return any(Path(n).name == "stops.txt" for n in z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def load_gtfs(path: Path, label: str, limits: Limits, target: Path, staging) -> dict:
    archive = check_zip(path, limits, label)
    folder = staging("")
    folder.unlink(missing_ok=True)
    folder.mkdir()
    try:
        with archive:
            members = {Path(n).name: n for n in archive.namelist() if Path(n).name in FILES}
            for name, member in members.items():
                with archive.open(member) as src, open(folder / name, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
        return _read(folder, label, limits, target, set(members))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _csv(folder: Path, name: str) -> str:
    return f"read_csv({literal(str(folder / name))}, header=true, all_varchar=true, auto_detect=true, strict_mode=false)"  # noqa: E501


def _read(folder: Path, label: str, limits: Limits, target: Path, present: set[str]) -> dict:
    con = connect()
    try:
        columns = {
            r[0]
            for r in con.execute(f"DESCRIBE SELECT * FROM {_csv(folder, 'stops.txt')}").fetchall()  # noqa: S608
        }
        missing = [c for c in ("stop_id", "stop_name", "stop_lat", "stop_lon") if c not in columns]
        if missing:
            raise UserError(
                _(
                    "%(file)s : il manque à stops.txt des colonnes GTFS obligatoires ; "
                    "rien n'a été enregistré."
                )
                % {"file": label},
                [
                    Problem(_("colonne obligatoire absente"), file=f"{label}/stops.txt", line=1, field=c)
                    for c in missing
                ],
            )
        optional = ", ".join(
            f"{c}" if c in columns else f"NULL AS {c}" for c in ("location_type", "parent_station")
        )
        con.execute(
            f"CREATE TABLE stops AS SELECT row_number() OVER () + 1 AS line, stop_id, stop_name, {optional}, "  # noqa: S608
            f"TRY_CAST(stop_lat AS DOUBLE) AS lat, TRY_CAST(stop_lon AS DOUBLE) AS lon FROM {_csv(folder, 'stops.txt')}"  # noqa: E501, S608
        )
        bad = con.execute(
            "SELECT line, stop_id FROM stops WHERE lat IS NULL OR lon IS NULL OR abs(lat) > 90 OR abs(lon) > 180 "  # noqa: E501
            "ORDER BY line"
        ).fetchall()
        if bad:
            problems = [
                Problem(
                    _("l'arrêt « %(stop)s » n'a pas de position valide") % {"stop": sid},
                    file=f"{label}/stops.txt",
                    line=ln,
                    field="stop_lat",
                )
                for ln, sid in bad[: limits.max_problems]
            ]
            raise UserError(
                ngettext(
                    "%(file)s : %(n)s arrêt sans position valide ; rien n'a été enregistré.",
                    "%(file)s : %(n)s arrêts sans position valide ; rien n'a été enregistré.",
                    len(bad),
                )
                % {"file": label, "n": len(bad)},
                problems,
                total=len(bad),
            )
        routes = "NULL"
        if {"routes.txt", "trips.txt", "stop_times.txt"} <= present:
            con.execute(
                f"""CREATE TABLE served AS
                SELECT st.stop_id, string_agg(DISTINCT coalesce(r.route_short_name, r.route_long_name), ', '
                       ORDER BY coalesce(r.route_short_name, r.route_long_name)) AS routes
                FROM {_csv(folder, "stop_times.txt")} st
                JOIN {_csv(folder, "trips.txt")} t USING (trip_id)
                JOIN {_csv(folder, "routes.txt")} r USING (route_id)
                GROUP BY st.stop_id"""  # noqa: S608
            )
            routes = "served.routes"
            join = "LEFT JOIN served USING (stop_id)"
        else:
            join = ""
        table = con.execute(
            f"SELECT stop_id, stop_name, location_type, parent_station, {routes} AS routes, lat, lon "  # noqa: S608
            f"FROM stops {join} ORDER BY stops.line"
        ).to_arrow_table()
    except UserError:
        raise
    except Exception as exc:  # duckdb raises its own error classes for unreadable members
        raise refuse(
            label, _("le flux GTFS n'a pas pu être lu (%(error)s)") % {"error": str(exc).splitlines()[0]}
        ) from None
    finally:
        con.close()
    points = shapely.points(table.column("lon").to_numpy(), table.column("lat").to_numpy())
    out = table.drop_columns(["lat", "lon"]).append_column(
        "geometry", pa.array(shapely.to_wkb(points), pa.binary())
    )
    if out.num_rows == 0:
        raise refuse(label, _("stops.txt ne contient aucun arrêt"), line=2)
    pq.write_table(out, target, compression="zstd")
    types = {f.name: str(f.type) for f in out.schema} | {"geometry": "geometry"}
    notes = (
        []
        if routes != "NULL"
        else [
            _(
                "pas de routes.txt, trips.txt ou stop_times.txt : les lignes qui desservent "
                "chaque arrêt sont inconnues"
            )
        ]
    )
    return {"rows": out.num_rows, "types": types, "geometry_column": "geometry", "notes": notes}
