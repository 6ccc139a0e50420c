"""Geographic imports: GeoJSON (read here), GeoPackage and zipped Shapefile (read by DuckDB's GDAL).

Every geometry is checked (valid, not too many vertices, inside WGS84 bounds once reprojected);
invalid ones are refused, or repaired with ``repair=True`` (and the repair is reported).
Output: the attribute columns plus ``geometry`` as WKB in EPSG:4326.
"""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from shapely.geometry import shape
from shapely.validation import explain_validity

from beffroi.core.errors import Problem, UserError
from beffroi.sources.imports.columns import to_table
from beffroi.sources.imports.csvfile import check_header
from beffroi.sources.imports.limits import Limits
from beffroi.sources.imports.reasons import geometry_reason, json_reason
from beffroi.sources.imports.safety import check_zip, refuse, too_deep

log = logging.getLogger(__name__)

GEOMETRY_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}
CRS_RE = re.compile(r"EPSG:{1,2}(?:[\d.]*:)?(\d+)", re.IGNORECASE)


def _crs_of(doc: dict, label: str) -> int:
    crs = doc.get("crs")
    if not crs:
        return 4326
    name = str((crs.get("properties") or {}).get("name", "")) if isinstance(crs, dict) else ""
    if "CRS84" in name.upper():
        return 4326
    m = CRS_RE.search(name)
    if not m:
        raise refuse(label, _("système de coordonnées inconnu « %(name)s »") % {"name": name}, field="crs")
    return int(m.group(1))


def _transformer(epsg: int, label: str):
    if epsg == 4326:
        return None
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        return Transformer.from_crs(CRS.from_epsg(epsg), CRS.from_epsg(4326), always_xy=True)
    except CRSError:
        raise refuse(
            label, _("EPSG:%(epsg)s n'est pas un système de coordonnées connu") % {"epsg": epsg}, field="crs"
        ) from None


class GeometryChecker:
    def __init__(self, label: str, limits: Limits, repair: bool, epsg: int):
        self.label, self.limits, self.repair = label, limits, repair
        self.transformer = _transformer(epsg, label)
        self.problems: list[Problem] = []
        self.total = 0
        self.repaired = 0
        self.closed_rings = 0

    def problem(self, n: int, message: str) -> None:
        self.total += 1
        if len(self.problems) < self.limits.max_problems:
            self.problems.append(
                Problem(
                    _("entité %(n)s : %(message)s") % {"n": n, "message": message},
                    file=self.label,
                    field="geometry",
                )
            )

    def check(self, n: int, geom) -> bytes | None:
        if geom is None or geom.is_empty:
            return None
        vertices = shapely.get_num_coordinates(geom)
        if vertices > self.limits.max_vertices:
            self.problem(
                n,
                _("%(vertices)s sommets (limite : %(limit)s) ; simplifiez-la d'abord")
                % {"vertices": vertices, "limit": self.limits.max_vertices},
            )
            return None
        coords = shapely.get_coordinates(geom)
        if not all(math.isfinite(v) for v in coords.flat):
            self.problem(n, _("les coordonnées ne sont pas des nombres finis"))
            return None
        if self.transformer is not None:
            geom = shapely.transform(geom, lambda xy: _apply(self.transformer, xy))
            coords = shapely.get_coordinates(geom)
        if len(coords) and (abs(coords[:, 0]).max() > 180 or abs(coords[:, 1]).max() > 90):
            self.problem(
                n,
                _(
                    "coordonnées hors des bornes longitude/latitude (coordonnées projetées sans "
                    "système de coordonnées déclaré ?)"
                ),
            )
            return None
        if not geom.is_valid:
            reason = explain_validity(geom)
            if not self.repair:
                self.problem(
                    n,
                    _("géométrie invalide (%(reason)s) ; utilisez --repair pour la réparer")
                    % {"reason": geometry_reason(reason)},
                )
                return None
            geom = shapely.make_valid(geom)
            self.repaired += 1
        return shapely.to_wkb(geom)

    def raise_if_any(self) -> None:
        if self.total:
            raise UserError(
                ngettext(
                    "%(file)s : %(n)s problème de géométrie ; rien n'a été enregistré.",
                    "%(file)s : %(n)s problèmes de géométrie ; rien n'a été enregistré.",
                    self.total,
                )
                % {"file": self.label, "n": self.total},
                self.problems,
                total=self.total,
            )


def _open_rings(geometry: dict) -> list[list]:
    """The rings of a GeoJSON geometry (polygons, also inside multi-polygons and collections) whose
    first position is not their last: RFC 7946 requires closed rings, and shapely would close them
    silently, so the file's author would never know their polygon was not what they drew."""
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        return (
            [r for g in members if isinstance(g, dict) for r in _open_rings(g)]
            if isinstance(members, list)
            else []
        )
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    if not isinstance(polygons, list):
        return []
    return [
        ring
        for polygon in polygons
        if isinstance(polygon, list)
        for ring in polygon
        if isinstance(ring, list) and len(ring) >= 2 and ring[0] != ring[-1]
    ]


def _apply(transformer, xy):
    import numpy as np

    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def load_geojson(path: Path, label: str, limits: Limits, target: Path, repair: bool) -> dict:
    data = Path(path).read_bytes()
    if too_deep(data):
        raise refuse(label, _("illisible : le JSON est imbriqué trop profondément"))
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise UserError(
            _("%(file)s : ce n'est pas du JSON valide ; rien n'a été enregistré.") % {"file": label},
            [Problem(json_reason(exc), file=label, line=exc.lineno)],
        ) from None
    except UnicodeDecodeError:
        raise refuse(label, _("illisible : un GeoJSON doit être encodé en UTF-8 (RFC 7946)")) from None
    if not isinstance(doc, dict) or "type" not in doc:
        raise refuse(
            label, _("ce n'est pas du GeoJSON : le niveau supérieur n'a pas de « type »"), field="type"
        )
    features: list
    if doc["type"] == "Feature":
        features = [doc]
    elif doc["type"] == "FeatureCollection":
        features = doc.get("features")  # type: ignore[assignment]
        if not isinstance(features, list):
            raise refuse(label, _("la FeatureCollection n'a pas de liste « features »"), field="features")
    elif doc["type"] in GEOMETRY_TYPES:
        features = [{"type": "Feature", "geometry": doc, "properties": {}}]
    else:
        raise refuse(label, _("type GeoJSON inconnu « %(type)s »") % {"type": doc["type"]}, field="type")
    if not features:
        raise refuse(label, _("la collection ne contient aucune entité"), field="features")
    checker = GeometryChecker(label, limits, repair, _crs_of(doc, label))
    keys: dict[str, None] = {}
    props_list, wkbs = [], []
    for n, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            checker.problem(n, _("ce n'est pas un objet Feature"))
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            checker.problem(n, _("« properties » n'est pas un objet"))
            continue
        for k in props:
            keys.setdefault(str(k), None)
        geometry = feature.get("geometry")
        geom = None
        if geometry is not None:
            if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
                checker.problem(
                    n,
                    _("type de géométrie inconnu « %(type)s »")
                    % {"type": geometry.get("type") if isinstance(geometry, dict) else geometry},
                )
                continue
            open_rings = _open_rings(geometry)
            if open_rings and not repair:
                checker.problem(
                    n,
                    _(
                        "%(n)s anneau(x) non fermé(s) : le premier point diffère du dernier "
                        "(RFC 7946) ; corrigez le fichier ou importez avec --repair (case « Réparer »)"
                    )
                    % {"n": len(open_rings)},
                )
                continue
            checker.closed_rings += len(open_rings)  # shapely closes them when it reads the geometry
            try:
                geom = shape(geometry)
            except Exception as exc:  # shapely raises several kinds on malformed coordinates
                # reported to the importing user row by row; the log keeps the detail for maintainers
                log.debug("imports: %s feature %s has malformed coordinates", label, n, exc_info=True)
                checker.problem(
                    n, _("coordonnées mal formées (%(error)s)") % {"error": f"{type(exc).__name__}: {exc}"}
                )
                continue
        wkbs.append(checker.check(n, geom))
        props_list.append(props)
    checker.raise_if_any()
    names = [k for k in keys if k != "geometry"]
    check_header(names, label) if names else None
    columns = [[p.get(k) for p in props_list] for k in names]
    table, types = to_table(names, columns) if names else (pa.table({}), {})
    table = (
        table.append_column("geometry", pa.array(wkbs, type=pa.binary()))
        if names
        else pa.table({"geometry": pa.array(wkbs, type=pa.binary())})
    )
    pq.write_table(table, target, compression="zstd")
    notes = (
        [
            ngettext("%(n)s géométrie réparée", "%(n)s géométries réparées", checker.repaired)
            % {"n": checker.repaired}
        ]
        if checker.repaired
        else []
    )
    if checker.closed_rings:
        notes.append(
            _("%(n)s anneau(x) non fermé(s) refermé(s) (dernier point ajouté, égal au premier)")
            % {"n": checker.closed_rings}
        )
    return {
        "rows": table.num_rows,
        "types": types | {"geometry": "geometry"},
        "geometry_column": "geometry",
        "notes": notes,
    }


def load_gdal(path: Path, label: str, limits: Limits, target: Path, repair: bool, *, zipped: bool) -> dict:
    """GeoPackage or zipped Shapefile, read with DuckDB spatial (GDAL), any CRS."""
    source = str(path)
    if zipped:
        archive = check_zip(path, limits, label)
        with archive:
            members = [i.filename for i in archive.infolist()]
        shps = [m for m in members if m.lower().endswith(".shp")]
        if len(shps) != 1:
            raise refuse(
                label,
                _("l'archive doit contenir exactement un fichier .shp (%(n)s trouvés)") % {"n": len(shps)},
            )
        stem = shps[0][:-4]
        missing = [
            ext for ext in (".shx", ".dbf") if not any(m.lower() == (stem + ext).lower() for m in members)
        ]
        if missing:
            raise refuse(
                label,
                _("le Shapefile est incomplet : il manque %(missing)s") % {"missing": ", ".join(missing)},
            )
        source = f"/vsizip/{path}/{shps[0]}"
    else:
        with open(path, "rb") as fh:
            if not fh.read(16).startswith(b"SQLite format 3"):
                raise refuse(label, _("ce n'est pas un GeoPackage (pas d'en-tête SQLite)"))
    table, epsg = _read_in_child(source, label)
    geom_cols = [
        f.name
        for f in table.schema
        if pa.types.is_binary(f.type) and f.name.lower() in ("geom", "geometry", "wkb_geometry", "shape")
    ]
    if epsg is None:
        epsg = 4326  # no .prj: coordinates are checked against WGS84 bounds below
    if not geom_cols:
        raise refuse(label, _("la couche n'a pas de colonne de géométrie"))
    gcol = geom_cols[0]
    checker = GeometryChecker(label, limits, repair, epsg)
    wkbs = []
    for n, raw in enumerate(table.column(gcol).to_pylist(), start=1):
        try:
            geom = shapely.from_wkb(raw) if raw is not None else None
        except Exception:  # a broken WKB blob
            log.debug("imports: %s row %s has an unreadable geometry", label, n, exc_info=True)
            checker.problem(n, _("géométrie illisible"))
            continue
        wkbs.append(checker.check(n, geom))
    checker.raise_if_any()
    props = table.drop_columns(
        [gcol] + [c for c in ("fid", "geometry") if c in table.column_names and c != gcol]
    )
    if props.num_columns:
        check_header(props.column_names, label)
    out = props.append_column("geometry", pa.array(wkbs, type=pa.binary()))
    pq.write_table(out, target, compression="zstd")
    notes = [_("reprojeté depuis EPSG:%(epsg)s") % {"epsg": epsg}] if epsg != 4326 else []
    if checker.repaired:
        notes.append(
            ngettext("%(n)s géométrie réparée", "%(n)s géométries réparées", checker.repaired)
            % {"n": checker.repaired}
        )
    types = {f.name: str(f.type) for f in props.schema} | {"geometry": "geometry"}
    return {"rows": out.num_rows, "types": types, "geometry_column": "geometry", "notes": notes}


def _read_in_child(source: str, label: str):
    import subprocess
    import sys

    from beffroi.sources import storage

    out = storage.staging_path(".gdal.parquet")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "beffroi.sources.imports.gdal_child", source, str(out)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            raise refuse(
                label,
                _("le fichier n'a pas pu être lu (le lecteur s'est arrêté avec le code %(code)s)")
                % {"code": proc.returncode},
            )
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        info = json.loads(lines[-1]) if lines else {"error": _("pas de réponse du lecteur")}
        if "error" in info:
            raise refuse(label, _("le fichier n'a pas pu être lu (%(error)s)") % {"error": _(info["error"])})
        return pq.read_table(out), info.get("epsg")
    except subprocess.TimeoutExpired:
        raise refuse(label, _("le fichier n'a pas pu être lu en 10 minutes")) from None
    finally:
        out.unlink(missing_ok=True)
