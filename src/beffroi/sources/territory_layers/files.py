"""The raw files a layer build reads: where they are found, how they are opened, what they were.

Offline (``--from FOLDER``) the files are looked up in FOLDER (and its sub-folders, so an unpacked
IGN archive can be given as is) under their official names; online they are downloaded through the
sources app's HTTP client (SSRF guard, size cap) into a temporary folder first. Either way each file
becomes a ``RawFile`` whose provenance (origin, name, vintage, licence, sha256) travels with the
dataset built from it.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.utils.translation import gettext as _

from beffroi.core.env import env_int
from beffroi.core.errors import Problem, UserError

LICENCE = "Licence Ouverte 2.0 (Etalab)"


@dataclass(frozen=True)
class Expected:
    """One kind of raw file: how its official name looks, who publishes it, where it is online."""

    key: str
    label: str  # French, shown in errors
    pattern: str  # regular expression on the file name (case-insensitive)
    example: str
    producer: str
    url: str = ""  # "" when the file has no stable direct address (see docs/crossing.md)
    licence: str = LICENCE


EXPECTED = {
    "population": Expected(
        "population",
        "population par IRIS (INSEE, base infracommunale « évolution et structure de la population »)",
        r"^base-ic-evol-struct-pop-\d{4}(_csv)?\.(csv|zip)$",
        "base-ic-evol-struct-pop-2021.csv (ou base-ic-evol-struct-pop-2021_csv.zip)",
        "INSEE, recensement de la population",
        "https://www.insee.fr/fr/statistiques/fichier/8268806/base-ic-evol-struct-pop-2021_csv.zip",
    ),
    "contours": Expected(
        "contours",
        "contours des IRIS (IGN, CONTOURS-IRIS)",
        r"^(contours[-_]?iris.*|iris)\.(gpkg|geojson|json|zip)$",
        "CONTOURS-IRIS.gpkg (extrait de CONTOURS-IRIS_3-0__GPKG_LAMB93_FXX_<édition>.7z), "
        "contours-iris.geojson ou un Shapefile zippé",
        "IGN / INSEE, CONTOURS-IRIS",
    ),
    "ban": Expected(
        "ban",
        "adresses de la Base Adresse Nationale (un fichier par département)",
        r"^adresses-(?P<dep>\d[\dab]\d?)\.csv(\.gz)?$",
        "adresses-92.csv ou adresses-92.csv.gz",
        "Base Adresse Nationale (adresse.data.gouv.fr)",
        "https://adresse.data.gouv.fr/data/ban/adresses/latest/csv/adresses-{dep}.csv.gz",
    ),
    "bpe": Expected(
        "bpe",
        "base permanente des équipements (INSEE, BPE)",
        r"^bpe\d{2,4}.*\.(csv|zip)$",
        "bpe21_ensemble_xy.csv (ou bpe21_ensemble_xy_csv.zip, BPE23.csv …)",
        "INSEE, base permanente des équipements",
        "https://www.insee.fr/fr/statistiques/fichier/3568638/bpe21_ensemble_xy_csv.zip",
    ),
    "finess": Expected(
        "finess",
        "établissements FINESS (extraction Etalab du fichier des établissements)",
        r"^etalab[-_].*\.csv$|^finess.*\.csv$",
        "etalab-cs1100507-stock-20230502-0337.csv",
        "Ministère de la santé, FINESS (data.gouv.fr)",
        # Resolved through the data.gouv.fr API (resource names change with each extraction).
        "https://www.data.gouv.fr/api/1/datasets/finess-extraction-du-fichier-des-etablissements/",
    ),
}


@dataclass(frozen=True)
class RawFile:
    key: str
    path: Path
    name: str
    origin: str  # URL, or file:<name> offline
    sha256: str
    vintage: str = ""
    licence: str = LICENCE
    producer: str = ""

    def provenance(self, role: str) -> dict:
        out = asdict(self)
        out.pop("path")
        out["role"] = role
        return out


def error(file: str, message: str, *, line: int | None = None, column: str | None = None) -> UserError:
    return UserError(
        _("%(file)s : fichier refusé, rien n'a été enregistré.") % {"file": file},
        [Problem(message, file=file, line=line, field=column)],
    )


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            h.update(chunk)
    return h.hexdigest()


def vintage_from_name(name: str) -> str:
    """An edition date or a year written in an official file name, or ""."""
    if m := re.search(r"(20\d\d)-(\d\d)-(\d\d)", name):
        return m.group(0)
    if m := re.search(r"(?<!\d)(20\d\d)(\d\d)(\d\d)(?!\d)", name):
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    if m := re.search(r"(?<!\d)(20\d\d)(?!\d)", name):
        return m.group(1)
    if m := re.match(r"^bpe(\d\d)", name, re.IGNORECASE):
        return f"20{m.group(1)}"
    return ""


def raw_file(key: str, path: Path, *, origin: str = "", vintage: str = "") -> RawFile:
    spec = EXPECTED[key]
    if not vintage:
        vintage = vintage_from_name(path.name)
    if not vintage:
        # Files without an edition in their name (the BAN is rebuilt daily): the file's own date.
        stamp = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        vintage = _("fichier du %(date)s") % {"date": stamp.date().isoformat()}
    return RawFile(
        key=key,
        path=path,
        name=path.name,
        origin=origin or f"file:{path.name}",
        sha256=sha256_of(path),
        vintage=vintage,
        licence=spec.licence,
        producer=spec.producer,
    )


def find(folder: Path, key: str, *, dep: str | None = None) -> Path:
    """The file of kind ``key`` in ``folder`` (recursively); the latest edition when several match."""
    spec = EXPECTED[key]
    rx = re.compile(spec.pattern, re.IGNORECASE)
    found = []
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        m = rx.match(p.name)
        if m and (dep is None or (m.groupdict().get("dep") or "").upper() == dep.upper()):
            found.append(p)
    if not found:
        example = spec.example.replace("92", dep) if dep else spec.example
        raise UserError(
            _("Fichier manquant dans %(folder)s : %(what)s.") % {"folder": folder, "what": spec.label},
            [Problem(_("attendu : %(example)s") % {"example": example}, file=str(folder))],
        )
    # Official names carry their edition: the greatest name is the latest edition.
    return sorted(found, key=lambda p: (vintage_from_name(p.name), p.name))[-1]


def open_text(path: Path, *, member: str = r"\.csv$", label: str | None = None) -> io.TextIOBase:
    """A text stream over a plain, gzipped or zipped CSV, in UTF-8 (with or without BOM) or,
    failing that, Windows-1252 / ISO-8859-1 (older INSEE and FINESS files)."""
    label = label or path.name
    raw: io.BufferedIOBase
    if path.name.lower().endswith(".gz"):
        raw = gzip.open(path, "rb")  # type: ignore[assignment]  # noqa: SIM115 - returned, closed by the caller
    elif path.name.lower().endswith(".zip"):
        from beffroi.sources.imports.limits import limits
        from beffroi.sources.imports.safety import check_zip

        archive = check_zip(path, limits(), label)
        names = [n for n in archive.namelist() if re.search(member, n, re.IGNORECASE)]
        if len(names) != 1:
            raise error(
                label, _("l'archive doit contenir un seul fichier CSV (trouvés : %(n)d)") % {"n": len(names)}
            )
        raw = archive.open(names[0])  # type: ignore[assignment]
    else:
        raw = open(path, "rb")  # noqa: SIM115 - returned, closed by the caller
    buffered = io.BufferedReader(raw) if not isinstance(raw, io.BufferedReader) else raw  # type: ignore[arg-type]
    try:
        sample = buffered.peek(64 * 1024)[: 64 * 1024]
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise error(label, _("fichier illisible (%(reason)s)") % {"reason": exc}) from None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1252"
    return io.TextIOWrapper(buffered, encoding=encoding, newline="")


def csv_rows(
    path: Path, *, label: str, separator: str = ";", header: bool = True
) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of a CSV file; decoding and size problems become located errors."""
    max_line = env_int("BEFFROI_IMPORT_MAX_LINE_KB", 1024) * 1024
    with open_text(path, label=label) as text:
        reader = csv.reader(
            text, delimiter=separator, quoting=csv.QUOTE_MINIMAL if header else csv.QUOTE_NONE
        )
        line = 0
        try:
            for row in reader:
                line = reader.line_num
                if sum(len(c) for c in row) > max_line:
                    raise error(label, _("ligne trop longue"), line=line)
                yield line, row
        except UnicodeDecodeError:
            raise error(label, _("caractères illisibles (encodage inconnu)"), line=line + 1) from None
        except csv.Error as exc:
            raise error(
                label, _("CSV mal formé (%(reason)s)") % {"reason": exc}, line=reader.line_num
            ) from None
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise error(
                label, _("fichier tronqué ou illisible (%(reason)s)") % {"reason": exc}, line=line + 1
            ) from None


def number(text: str, *, label: str, line: int, column: str) -> float:
    value = (text or "").strip().replace(",", ".")
    try:
        out = float(value)
    except ValueError:
        raise error(
            label, _("nombre attendu, lu %(value)r") % {"value": text}, line=line, column=column
        ) from None
    if out != out or out in (float("inf"), float("-inf")):
        raise error(label, _("nombre attendu, lu %(value)r") % {"value": text}, line=line, column=column)
    return out


def header_index(
    header: list[str], wanted: list[str], *, label: str, optional: tuple[str, ...] = ()
) -> dict[str, int]:
    """Column positions by (case-insensitive) name; a missing required column is a located error."""
    names = {h.strip().lstrip("\ufeff").lower(): i for i, h in enumerate(header)}
    out = {}
    for w in wanted:
        if w.lower() not in names:
            raise error(label, _("colonne %(column)s absente de l'en-tête") % {"column": w}, line=1, column=w)
        out[w] = names[w.lower()]
    for w in optional:
        if w.lower() in names:
            out[w] = names[w.lower()]
    return out


def department(commune: str) -> str:
    return commune[:3] if commune.startswith("97") else commune[:2]
