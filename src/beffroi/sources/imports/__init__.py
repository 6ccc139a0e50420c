"""File imports into the catalogue: CSV, XLSX, GeoJSON, GeoPackage, zipped Shapefile.

``stage_file`` checks and converts a file into a staging Parquet file without touching the
catalogue (used for the web preview); ``import_file`` then adopts it as a dataset in one step.
Any problem raises ``UserError`` (file, line or feature, field); nothing partial is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor
from beffroi.core.errors import Problem, UserError
from beffroi.sources import storage
from beffroi.sources.imports.limits import Limits
from beffroi.sources.imports.limits import limits as current_limits
from beffroi.sources.imports.safety import refuse

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "shapefile",
}


@dataclass
class Staged:
    path: Path  # staging Parquet file
    label: str
    format: str
    rows: int
    types: dict[str, str]
    raw_sha256: str
    geometry_column: str | None = None
    encoding: str | None = None
    separator: str | None = None
    notes: list[str] = field(default_factory=list)
    # The table's columns that became the geometry (longitude, latitude); None when the geometry is
    # the file's own (GeoJSON, Shapefile…) or there is none.
    geometry_from: list[str] | None = None

    def preview(self, n: int = 10) -> tuple[list[str], list[list]]:
        pf = pq.ParquetFile(self.path)
        batch = next(pf.iter_batches(batch_size=n), None)
        names = pf.schema_arrow.names
        if batch is None:
            return names, []
        rows = batch.to_pylist()
        out = []
        for r in rows:
            out.append(
                ["<géométrie>" if k == self.geometry_column and r[k] is not None else r[k] for k in names]
            )
        return names, out

    def discard(self) -> None:
        Path(self.path).unlink(missing_ok=True)


def _is_gtfs(path: Path) -> bool:
    from beffroi.sources.imports.gtfs import is_gtfs

    return is_gtfs(path)


def detect_format(path: Path, label: str) -> str:
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise refuse(
            label, _("les anciens fichiers Excel .xls ne sont pas lus : enregistrez-le en .xlsx ou en CSV")
        )
    if suffix == ".shp":
        raise refuse(
            label, _("donnez le Shapefile dans un .zip contenant ses fichiers .shp, .shx, .dbf et .prj")
        )
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise refuse(
            label,
            _(
                "type de fichier non pris en charge (%(suffix)s) : CSV, XLSX, GeoJSON, GeoPackage ou "
                "Shapefile zippé"
            )
            % {"suffix": suffix or _("sans extension")},
        )
    return fmt


def stage_file(
    path: str | Path,
    *,
    label: str | None = None,
    schema_path: str | Path | None = None,
    repair: bool = False,
    limits: Limits | None = None,
) -> Staged:
    path = Path(path)
    label = label or path.name
    limits = limits or current_limits()
    if not path.is_file():
        raise UserError(
            _("%(file)s : fichier introuvable.") % {"file": label},
            [Problem(_("fichier introuvable"), file=str(path))],
        )
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise refuse(
            label,
            _(
                "le fichier fait %(size)s octets, au-delà de la limite d'import de %(limit)s octets "
                "(BEFFROI_IMPORT_MAX_MB)"
            )
            % {"size": size, "limit": limits.max_bytes},
        )
    if size == 0:
        raise refuse(label, _("le fichier est vide"))
    fmt = detect_format(path, label)
    descriptor = None
    if schema_path:
        if fmt not in ("csv", "xlsx"):
            raise UserError(
                _("%(file)s : --schema ne s'applique qu'aux fichiers CSV et XLSX.") % {"file": label},
                [Problem(_("schéma inapplicable à ce format"), file=label)],
            )
        from beffroi.sources.imports.schema import load_schema

        descriptor = load_schema(Path(schema_path))
    storage.clean_staging()
    target = storage.staging_path(".parquet")
    extra: list[Path] = []

    def staging(suffix: str) -> Path:
        p = storage.staging_path(suffix)
        extra.append(p)
        return p

    try:
        encoding = separator = None
        if fmt == "csv":
            from beffroi.sources.imports import csvfile

            dialect = csvfile.open_dialect(path, label, staging)
            encoding, separator = dialect.encoding, dialect.separator
            fields = None
            if descriptor is not None:
                from beffroi.sources.imports.schema import validate

                validate(
                    dialect.utf8_path,
                    descriptor,
                    label,
                    fmt="csv",
                    separator=separator,
                    max_problems=limits.max_problems,
                )
                fields = {f["name"]: f for f in descriptor["fields"]}
            info = csvfile.load_csv(dialect, label, limits, target, fields)
        elif fmt == "xlsx":
            from beffroi.sources.imports.xlsx import load_xlsx

            info = load_xlsx(path, label, limits, target)
            if descriptor is not None:
                from beffroi.sources.imports.schema import validate

                validate(path, descriptor, label, fmt="xlsx", max_problems=limits.max_problems)
        elif fmt == "geojson":
            from beffroi.sources.imports.geo import load_geojson

            info = load_geojson(path, label, limits, target, repair)
        elif fmt == "shapefile" and _is_gtfs(path):
            from beffroi.sources.imports.gtfs import load_gtfs

            fmt = "gtfs"
            info = load_gtfs(path, label, limits, target, staging)
        else:
            from beffroi.sources.imports.geo import load_gdal

            info = load_gdal(path, label, limits, target, repair, zipped=fmt == "shapefile")
        geometry_from = None
        if fmt in ("csv", "xlsx"):
            from beffroi.sources.imports.points import add_points

            info["notes"] = list(info.get("notes", []))
            found = add_points(target, info["notes"])
            if found is not None:
                info["geometry_column"] = "geometry"
                info["types"] = {**info["types"], "geometry": "geometry"}
                geometry_from = found.geometry_from
        digest = storage.store_raw_file(path)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        for p in extra:
            p.unlink(missing_ok=True)
    return Staged(
        path=target,
        label=label,
        format=fmt,
        rows=info["rows"],
        types=info["types"],
        raw_sha256=digest,
        geometry_column=info.get("geometry_column"),
        encoding=encoding,
        separator=separator,
        notes=info.get("notes", []),
        geometry_from=geometry_from,
    )


def import_file(
    path: str | Path,
    dataset: str,
    *,
    schema_path=None,
    replace: bool = False,
    repair: bool = False,
    title: str = "",
    licence: str = "",
    origin: str = "",
    actor: Actor,
    limits: Limits | None = None,
):
    """Import a file as dataset ``dataset``: everything is checked before the catalogue changes."""
    from beffroi.core.permissions import (
        require,
    )  # local: the reader subprocess imports this module without Django set up
    from beffroi.sources.actions import check_name
    from beffroi.sources.models import Dataset

    require(actor, "sources.import_dataset", system=("cli", "demo"))
    check_name(dataset)
    if not replace and Dataset.objects.filter(name=dataset).exists():
        raise UserError(
            _("Le jeu de données « %(name)s » existe déjà ; ajoutez --replace pour le remplacer.")
            % {"name": dataset},
            [Problem(_("ce jeu de données existe déjà"), field="dataset")],
        )
    staged = stage_file(path, schema_path=schema_path, repair=repair, limits=limits)
    return adopt(
        staged,
        dataset,
        replace=replace,
        title=title,
        licence=licence,
        origin=origin or f"file:{Path(path).name}",
        actor=actor,
    ), staged


def adopt(
    staged: Staged, dataset: str, *, replace: bool, title: str, licence: str, origin: str, actor: Actor
):
    from beffroi.sources.actions import do_store_parquet_dataset

    try:
        return do_store_parquet_dataset(
            dataset,
            staged.path,
            title=title or dataset,
            origin=origin,
            licence=licence,
            geometry_column=staged.geometry_column,
            replace=replace,
            raw_sha256=staged.raw_sha256,
            actor=actor,
        )
    finally:
        staged.discard()
