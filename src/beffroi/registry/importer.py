"""Import the registry a CCAS already keeps in a spreadsheet (xlsx or csv): all or nothing.

Columns are recognised by their usual French headers or mapped explicitly (``--mapping "Tél=phone"``).
Every row is validated (dates, French phone numbers, eligibility, duplicates in the file and in the
registry, addresses against the address layer when there is one); any error stops the whole import and
names its line and column. Columns that R121-4 does not allow (remarks, health notes…) are ignored and
listed in the report: they are never stored.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from beffroi.core.actors import Actor
from beffroi.core.audit import record as audit
from beffroi.core.errors import Problem, UserError
from beffroi.registry import crypto
from beffroi.registry.actions import (
    _attach_proof,
    _check_writer,
    clean_extension,
    clean_person,
    initial_consent,
    seal,
)
from beffroi.registry.addresses import load_index
from beffroi.registry.models import Person
from beffroi.registry.models.people import Source
from beffroi.registry.schema import R121_4_FIELDS, dedup_text, fold, parse_date, pcs_extension_enabled
from beffroi.territory.selectors import territory_codes

TARGETS = set(R121_4_FIELDS) | {"request_date", "source", "lon", "lat", "lives_alone", "floor"}
HEADER_ALIASES = {
    "nom": "last_name",
    "nom de famille": "last_name",
    "nom d'usage": "last_name",
    "last_name": "last_name",
    "prenom": "first_names",
    "prenoms": "first_names",
    "prenom(s)": "first_names",
    "first_names": "first_names",
    "date de naissance": "birth_date",
    "naissance": "birth_date",
    "ne(e) le": "birth_date",
    "birth_date": "birth_date",
    "qualite": "category",
    "categorie": "category",
    "qualite d'inscription": "category",
    "category": "category",
    "adresse": "address",
    "adresse postale": "address",
    "address": "address",
    "telephone": "phone",
    "tel": "phone",
    "tel.": "phone",
    "numero de telephone": "phone",
    "phone": "phone",
    "service a domicile": "home_care_service",
    "service intervenant a domicile": "home_care_service",
    "home_care_service": "home_care_service",
    "personne a prevenir": "emergency_contact",
    "contact d'urgence": "emergency_contact",
    "emergency_contact": "emergency_contact",
    "date de la demande": "request_date",
    "date demande": "request_date",
    "date d'inscription": "request_date",
    "request_date": "request_date",
    "origine": "source",
    "origine de la demande": "source",
    "demandeur": "source",
    "source": "source",
    "tiers": "third_party_name",
    "nom du tiers": "third_party_name",
    "third_party_name": "third_party_name",
    "qualite du tiers": "third_party_capacity",
    "lien du tiers": "third_party_capacity",
    "third_party_capacity": "third_party_capacity",
    "longitude": "lon",
    "lon": "lon",
    "latitude": "lat",
    "lat": "lat",
    "vit seul": "lives_alone",
    "vit seul(e)": "lives_alone",
    "lives_alone": "lives_alone",
    "etage": "floor",
    "floor": "floor",
}
SOURCE_ALIASES = {
    "": Source.SELF,
    "self": Source.SELF,
    "personne": Source.SELF,
    "elle-meme": Source.SELF,
    "lui-meme": Source.SELF,
    "interesse": Source.SELF,
    "tiers": Source.THIRD_PARTY,
    "third_party": Source.THIRD_PARTY,
    "representant legal": Source.LEGAL_REP,
    "tuteur": Source.LEGAL_REP,
    "legal_rep": Source.LEGAL_REP,
    "departement": Source.DEPARTEMENT,
    "apa": Source.DEPARTEMENT,
    "pch": Source.DEPARTEMENT,
    "carsat": Source.CARSAT,
}
REQUIRED = ("last_name", "first_names", "birth_date", "category", "address", "phone")


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    to_import: int = 0
    by_source: dict = field(default_factory=dict)
    ignored_columns: list = field(default_factory=list)
    columns: dict = field(default_factory=dict)  # file header -> field
    address_layer: str | None = None
    addresses_located: int = 0
    addresses_not_found: list = field(default_factory=list)  # line numbers (warnings)
    preview: list = field(default_factory=list)  # masked
    imported: int = 0
    dry_run: bool = False


def mask(text: str) -> str:
    text = str(text or "")
    return text[:1] + "•" * max(0, min(len(text) - 1, 6)) if text else ""


def read_table(path: Path, content: bytes | None = None) -> list[list]:
    """Rows of the first sheet (xlsx) or the csv (';' or ',' separated, UTF-8 or Windows-1252)."""
    data = content if content is not None else path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise UserError(
                f"{path.name}: not a readable xlsx file ({exc.__class__.__name__}).",
                [Problem("unreadable", file=path.name)],
            ) from None
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    if path.suffix.lower() not in (".csv", ".txt"):
        raise UserError(
            f"{path.name}: expected a .xlsx or .csv file.", [Problem("unsupported format", file=path.name)]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    mapping = {}
    for item in items or []:
        if "=" not in item:
            raise UserError(
                f"--mapping {item!r}: expected COLUMN=field.", [Problem("bad mapping", field="mapping")]
            )
        column, target = (part.strip() for part in item.rsplit("=", 1))
        if target not in TARGETS:
            raise UserError(
                f"--mapping {item!r}: unknown field {target!r}.",
                [Problem(f"fields: {', '.join(sorted(TARGETS))}", field="mapping")],
            )
        mapping[fold(column)] = target
    return mapping


def _cell(value) -> str | object:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, date) else str(value).strip()


def prepare(
    path: Path,
    commune: str,
    *,
    mapping: list[str] | None = None,
    content: bytes | None = None,
    proofs_on_paper: bool = False,
    today: date | None = None,
):
    """Validate the file; return (report, rows ready to seal). Raises UserError with every problem."""
    name = path.name
    rows = read_table(path, content)
    while rows and not any(str(c or "").strip() for c in rows[0]):
        rows.pop(0)
    if not rows:
        raise UserError(f"{name}: the file is empty.", [Problem("no header row", file=name, line=1)])
    explicit = parse_mapping(mapping)
    header = [str(h or "").strip() for h in rows[0]]
    columns: dict[int, str] = {}
    report = ImportReport(file=name)
    for index, title in enumerate(header):
        key = fold(title)
        target = explicit.get(key) or HEADER_ALIASES.get(key)
        if target in ("lives_alone", "floor") and not pcs_extension_enabled():
            target = None
        if target and target in columns.values():
            raise UserError(
                f"{name}: two columns map to {target!r}.",
                [Problem("duplicate column", file=name, line=1, field=title)],
            )
        if target:
            columns[index] = target
            report.columns[title] = target
        elif title:
            report.ignored_columns.append(title)
    problems = [
        Problem(f"missing column for {f!r} (use --mapping COLUMN={f})", file=name, line=1, field=f)
        for f in REQUIRED
        if f not in columns.values()
    ]
    if problems:
        raise UserError(f"{name}: columns missing.", problems)
    title_of = {target: header[i] for i, target in columns.items()}
    address_index = load_index(commune)
    report.address_layer = address_index.name if address_index else None
    existing = set(Person.objects.filter(commune_code=commune).values_list("dedup_key", flat=True))
    ring = crypto.keyring()
    seen: dict[str, int] = {}
    ready = []
    today = today or timezone.localdate()
    for line, row in enumerate(rows[1:], start=2):
        values = {target: _cell(row[i]) if i < len(row) else "" for i, target in columns.items()}
        if not any(str(v).strip() for v in values.values()):
            continue
        report.rows += 1
        row_problems = []
        source = SOURCE_ALIASES.get(fold(str(values.get("source", ""))))
        if source is None:
            row_problems.append(
                Problem(
                    "unknown source (personne, tiers, représentant légal, département, carsat)",
                    field="source",
                )
            )
            source = Source.SELF
        if source == Source.THIRD_PARTY and not proofs_on_paper:
            row_problems.append(
                Problem(
                    "third-party request: the written proof is required; attach it in the "
                    "web form, or pass --proofs-on-paper if the CCAS keeps the written requests",
                    field="source",
                )
            )
        raw_date = values.get("request_date", "")
        request_date = today
        if raw_date not in ("", None):
            try:
                request_date = parse_date(raw_date)
                if request_date > today:
                    row_problems.append(Problem("in the future", field="request_date"))
            except ValueError as exc:
                row_problems.append(Problem(str(exc), field="request_date"))
        data, person_problems = clean_person(values, source=source, today=today)
        row_problems.extend(person_problems)
        if data.lon is None and address_index is not None and data.address:
            located = address_index.locate(data.address)
            if located:
                data.lon, data.lat = located
            else:
                report.addresses_not_found.append(line)
        if data.lon is not None:
            report.addresses_located += 1
        if not person_problems:
            key = crypto.blind_index(dedup_text(data.last_name, data.first_names, data.birth_date), ring=ring)
            if key in seen:
                row_problems.append(Problem(f"duplicate of line {seen[key]}", field="last_name"))
            elif key in existing:
                row_problems.append(Problem("already in the registry", field="last_name"))
            seen.setdefault(key, line)
        for p in row_problems:
            problems.append(
                Problem(
                    p.message, file=name, line=line, field=title_of.get(p.field, p.field) if p.field else None
                )
            )
        if not row_problems:
            extension = clean_extension({k: values.get(k) for k in ("lives_alone", "floor")})
            ready.append((line, source, request_date, data, extension))
            report.by_source[source] = report.by_source.get(source, 0) + 1
            if len(report.preview) < 5:
                report.preview.append(
                    {
                        "line": line,
                        "nom": mask(data.last_name),
                        "prénoms": mask(data.first_names),
                        "âge": data.age(today),
                        "source": source,
                        "localisée": data.lon is not None,
                    }
                )
    if problems:
        raise UserError(
            f"{name}: {len(problems)} problem(s); nothing was imported.", problems, total=len(problems)
        )
    if not ready:
        raise UserError(f"{name}: no row to import.", [Problem("no data row", file=name, line=2)])
    report.to_import = len(ready)
    return report, ready


def import_file(
    path: Path,
    commune: str,
    *,
    actor: Actor,
    mapping: list[str] | None = None,
    dry_run: bool = False,
    content: bytes | None = None,
    proofs_on_paper: bool = False,
    progress=None,
) -> ImportReport:
    _check_writer(actor, commune, "registry.add_person")

    if commune not in territory_codes():
        raise UserError(
            f"Commune {commune} is not in the territory.", [Problem("unknown commune", field="commune")]
        )
    report, ready = prepare(path, commune, mapping=mapping, content=content, proofs_on_paper=proofs_on_paper)
    report.dry_run = dry_run
    if dry_run:
        return report
    ring = crypto.keyring()
    with transaction.atomic():
        for _line, source, request_date, data, extension in ready:
            person = Person(
                commune_code=commune,
                source=source,
                consent=initial_consent(source),
                request_date=request_date,
            )
            seal(person, data, extension, ring)
            person.save()
            if source == Source.THIRD_PARTY:
                _attach_proof(
                    person,
                    (
                        "demande-papier.txt",
                        "text/plain",
                        f"Demande écrite conservée au dossier papier du CCAS (import {path.name}).".encode(),
                    ),
                    ring,
                )
            if progress:
                progress()
        report.imported = len(ready)
        audit(
            actor,
            "registry.import",
            object_type="registry.import",
            object_id=path.name[:100],
            commune=commune,
            detail={
                "rows": report.imported,
                "by_source": report.by_source,
                "ignored_columns": report.ignored_columns,
            },
        )
    return report
