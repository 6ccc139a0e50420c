"""Import the registry a CCAS already keeps in a spreadsheet (xlsx or csv): all or nothing.

Columns are recognised from the headers CCAS spreadsheets use (« NOM », « Né(e) le », « Tél. fixe »,
« Portable », « Tél. personne à prévenir », « Service d'aide à domicile », « Demandeur »…), or chosen
by the agent (one choice per column on the web page, ``--mapping "Tél=phone"`` on the command line).
The category is read from the usual wordings (the R121-3 text, the app's own labels, 65+, 60+ inapte,
AAH, PH…) and the requester from « l'intéressée », « tuteur (UDAF 92) », « Département (APA) »…; the
report shows how each distinct value was read, for the agent to confirm before importing.

Every row is validated (dates, French phone numbers, eligibility, duplicates in the file and in the
registry, addresses against the address layer when there is one); any error stops the whole import and
names its line, column and value, in French. Columns R121-4 does not allow (remarks, health notes, the
attending doctor…) are ignored and listed in the report: they are never stored.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from beffroi.core.actors import Actor
from beffroi.core.audit import record as audit
from beffroi.core.errors import Problem, UserError
from beffroi.registry import crypto
from beffroi.registry.actions import (
    _attach_proof,
    _check_writer,
    category_label,
    clean_extension,
    clean_person,
    initial_consent,
    seal,
)
from beffroi.registry.addresses import load_index
from beffroi.registry.models import Person
from beffroi.registry.models.people import Source
from beffroi.registry.schema import (
    FIELD_LABELS,
    R121_4_FIELDS,
    dedup_text,
    fold,
    interpret_category,
    interpret_requester,
    parse_date,
    pcs_extension_enabled,
    words,
)
from beffroi.territory.selectors import territory_codes

IGNORE = "ignore"
# Beyond the person's fields: the request's date and requester, coordinates, an address split over
# several columns, and the PCS extension when it is switched on.
EXTRA_LABELS = {
    "source": gettext_lazy("Demandeur (origine de la demande)"),
    "request_date": gettext_lazy("Date de la demande"),
    "postcode": gettext_lazy("Code postal (ajouté à l'adresse)"),
    "city": gettext_lazy("Ville (ajoutée à l'adresse)"),
    "lon": gettext_lazy("Longitude"),
    "lat": gettext_lazy("Latitude"),
    "lives_alone": gettext_lazy("Vit seul(e) (extension PCS)"),
    "floor": gettext_lazy("Étage (extension PCS)"),
}
TARGETS = set(R121_4_FIELDS) | set(EXTRA_LABELS)
REQUIRED = ("last_name", "first_names", "birth_date", "category", "address")
PHONES = ("phone", "mobile")
PREVIEW_ROWS = 200
MAX_VALUE = 60


def target_choices() -> list[tuple[str, str]]:
    """The fields a column can be imported into, in the order of the form."""
    order = [
        "last_name",
        "first_names",
        "birth_date",
        "category",
        "address",
        "postcode",
        "city",
        "phone",
        "mobile",
        "emergency_contact",
        "emergency_contact_phone",
        "home_care_service",
        "home_care_service_phone",
        "source",
        "third_party_name",
        "third_party_capacity",
        "request_date",
        "lon",
        "lat",
    ]
    if pcs_extension_enabled():
        order += ["lives_alone", "floor"]
    return [(t, str(FIELD_LABELS.get(t) or EXTRA_LABELS[t])) for t in order]


def target_label(target: str) -> str:
    return str(FIELD_LABELS.get(target) or EXTRA_LABELS.get(target) or target)


# --- headers ------------------------------------------------------------------------------------

HEADER_ALIASES = {
    "nom": "last_name",
    "nom de famille": "last_name",
    "nom d usage": "last_name",
    "nom usage": "last_name",
    "nom de naissance": "last_name",
    "nom marital": "last_name",
    "prenom": "first_names",
    "prenoms": "first_names",
    "prenom s": "first_names",
    "date de naissance": "birth_date",
    "naissance": "birth_date",
    "ne e le": "birth_date",
    "ne le": "birth_date",
    "nee le": "birth_date",
    "ddn": "birth_date",
    "date naiss": "birth_date",
    "adresse": "address",
    "adresse postale": "address",
    "adresse complete": "address",
    "domicile": "address",
    "code postal": "postcode",
    "cp": "postcode",
    "ville": "city",
    "commune": "city",
    "localite": "city",
    "longitude": "lon",
    "lon": "lon",
    "x": "lon",
    "latitude": "lat",
    "lat": "lat",
    "y": "lat",
    "vit seul": "lives_alone",
    "vit seul e": "lives_alone",
    "isole": "lives_alone",
    "isole e": "lives_alone",
    "etage": "floor",
}
# « N° » and « numéro » alone are as often the house number as the phone: not enough to say "phone".
_PHONE_WORDS = ("tel", "telephone", "fixe", "portable", "mobile", "gsm")
_MOBILE_WORDS = ("portable", "mobile", "gsm", "cellulaire", "port")
# Columns a CCAS file often has that R121-4 does not allow: named in the report, never read.
_NOT_ALLOWED = (
    "medecin",
    "docteur",
    "observation",
    "remarque",
    "commentaire",
    "pathologie",
    "traitement",
    "sante",
    "maladie",
    "gir",
    "regime",
    "allergie",
    "note",
    "religion",
    "nationalite",
    "revenu",
    "securite sociale",
    "nir",
)
NOT_ALLOWED_NOTE = gettext_lazy("non prévue par l'article R121-4 : jamais enregistrée")
UNKNOWN_NOTE = gettext_lazy("non reconnue : choisissez un champ, ou laissez « ignorer »")
COMBINED_NAME_NOTE = gettext_lazy(
    "nom et prénom dans une même colonne : séparez-les en deux colonnes « Nom » et « Prénom »"
)
CHOSEN_NOTE = gettext_lazy("ignorée à votre demande")


def _padded_has(text: str, *items: str) -> bool:
    padded = f" {text} "
    return any(f" {item} " in padded for item in items)


def recognise_header(title: str) -> tuple[str | None, str]:
    """(field, "") for a header CCAS files use; (None, why) otherwise."""
    text = words(title)
    if not text:
        return None, ""
    if text in HEADER_ALIASES:
        return HEADER_ALIASES[text], ""
    if text.replace(" ", "_") in TARGETS:
        return text.replace(" ", "_"), ""
    phone_like = _padded_has(text, *_PHONE_WORDS) or "telephone" in text
    if any(stem in text for stem in ("prevenir", "urgence", "contact", "referent")):
        if phone_like and not _padded_has(text, "nom"):
            return "emergency_contact_phone", ""
        return "emergency_contact", ""
    if any(stem in text for stem in ("medecin", "docteur")):
        return None, str(NOT_ALLOWED_NOTE)
    if "tiers" in text or "demandeur" in text:
        if _padded_has(text, "qualite", "lien") or "lien" in text:
            return "third_party_capacity", ""
        if _padded_has(text, "nom", "identite"):
            return "third_party_name", ""
        return "source", ""
    if _padded_has(text, "lien", "lien de parente") or text.startswith("lien "):
        return "third_party_capacity", ""
    if any(
        stem in text
        for stem in (
            "origine",
            "demande faite par",
            "inscrit par",
            "inscrite par",
            "a la demande",
            "demande par",
        )
    ):
        return "source", ""
    if "date" in text and any(stem in text for stem in ("demande", "inscription", "signalement")):
        return "request_date", ""
    if text.startswith("inscrit") and _padded_has(text, "le"):
        return "request_date", ""
    if "naissance" in text or _padded_has(text, "ne e le", "nee le", "ne le"):
        return "birth_date", ""
    if any(
        stem in text
        for stem in (
            "service",
            "saad",
            "ssiad",
            "aide a domicile",
            "intervenant",
            "auxiliaire",
            "aide menagere",
            "prestataire",
            "aide soignant",
        )
    ):
        return ("home_care_service_phone" if phone_like else "home_care_service"), ""
    if any(stem in text for stem in _NOT_ALLOWED):
        return None, str(NOT_ALLOWED_NOTE)
    if "adresse" in text or _padded_has(text, "rue", "voie"):
        return "address", ""
    if _padded_has(text, *_MOBILE_WORDS):
        return "mobile", ""
    if phone_like:
        return "phone", ""
    if "prenom" in text:
        if _padded_has(text, "nom"):
            return None, str(COMBINED_NAME_NOTE)
        return "first_names", ""
    if _padded_has(text, "nom"):
        return "last_name", ""
    if any(
        stem in text
        # not « situation », « statut » or « type »: as often family situation or housing as the criterion
        for stem in ("qualite", "categorie", "critere", "motif", "eligibilite")
    ):
        return "category", ""
    return None, str(UNKNOWN_NOTE)


# --- report -------------------------------------------------------------------------------------


@dataclass
class Column:
    index: int
    title: str
    target: str  # "" when the column is not imported
    note: str = ""  # why it is not imported
    recognised: bool = False  # chosen from the header alone

    @property
    def label(self) -> str:
        return target_label(self.target) if self.target else ""


@dataclass
class Reading:
    """How one distinct value of a column was read, for the agent to confirm."""

    column: str
    value: str
    key: str
    meaning: str = ""
    code: str = ""  # the category or source read
    problem: str = ""
    lines: list = field(default_factory=list)
    chosen: bool = False  # the agent chose it on the form


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    to_import: int = 0
    by_source: dict = field(default_factory=dict)
    ignored_columns: list = field(default_factory=list)
    columns: dict = field(default_factory=dict)  # file header -> field
    column_list: list = field(default_factory=list)  # every column of the file (Column)
    categories: list = field(default_factory=list)  # Reading per distinct category value
    requesters: list = field(default_factory=list)  # Reading per distinct requester value
    address_layer: str | None = None
    addresses_located: int = 0
    addresses_not_found: list = field(default_factory=list)  # line numbers (warnings)
    preview: list = field(default_factory=list)  # masked, for terminals
    rows_clear: list = field(default_factory=list)  # in clear, for the nominated agent's page only
    imported: int = 0
    dry_run: bool = False

    @property
    def mapping(self) -> dict[str, str]:
        """Header (folded) -> field or IGNORE: what the agent chose, to offer it again next time."""
        return {fold(c.title): (c.target or IGNORE) for c in self.column_list if c.title}


@dataclass
class ImportProblem(Problem):
    """A located problem that also carries the value found, so the message can quote it."""

    value: str | None = None

    def french(self) -> str:
        return describe(self)


def describe(problem: Problem) -> str:
    """« Ligne 3, colonne « Né(e) le », valeur « 1931-13-45 » : date attendue au format JJ/MM/AAAA »."""
    where = []
    if problem.line is not None:
        where.append(_("ligne %(n)d") % {"n": problem.line})
    if problem.field:
        where.append(_("colonne « %(c)s »") % {"c": problem.field})
    value = getattr(problem, "value", None)
    if value not in (None, ""):
        where.append(_("valeur « %(v)s »") % {"v": value})
    text = f"{', '.join(where)} : {problem.message}" if where else str(problem.message)
    return text[:1].upper() + text[1:]


@dataclass
class ImportRejected(UserError):
    """The file cannot be imported as it is; ``report`` still shows its columns and readings."""

    report: ImportReport | None = None


def french_lines(exc: UserError) -> list[str]:
    """The error as French lines, whatever raised it (an import problem or a key error)."""
    lines = [exc.message]
    lines.extend(f"  - {describe(p)}" for p in exc.problems[: exc.MAX_SHOWN])
    total = exc.total if exc.total is not None else len(exc.problems)
    if total > exc.MAX_SHOWN:
        lines.append("  " + _("… et %(n)d autres problèmes") % {"n": total - exc.MAX_SHOWN})
    return lines


def mask(text: str) -> str:
    text = str(text or "")
    return text[:1] + "•" * max(0, min(len(text) - 1, 6)) if text else ""


# --- reading the file ---------------------------------------------------------------------------


def read_table(path: Path, content: bytes | None = None) -> list[list]:
    """Rows of the first sheet (xlsx) or the csv (';', ',' or tab separated, UTF-8 or Windows-1252)."""
    data = content if content is not None else path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl  # only an xlsx import needs it (import cost)

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise ImportRejected(
                _("%(f)s : ce n'est pas un fichier xlsx lisible (%(e)s).")
                % {"f": path.name, "e": exc.__class__.__name__},
                [Problem(_("fichier illisible"), file=path.name)],
            ) from None
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    if path.suffix.lower() not in (".csv", ".txt"):
        raise ImportRejected(
            _("%(f)s : fichier .xlsx ou .csv attendu.") % {"f": path.name},
            [Problem(_("format non pris en charge"), file=path.name)],
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def parse_mapping(items: list[str] | dict[str, str] | None) -> dict[str, str]:
    """``["Tél=phone"]`` (command line) or ``{header: field}`` → {folded header: field or IGNORE}."""
    if isinstance(items, dict):
        return {fold(k): v for k, v in items.items() if v in TARGETS or v == IGNORE}
    mapping = {}
    for item in items or []:
        if "=" not in item:
            raise ImportRejected(
                _("Correspondance « %(m)s » : COLONNE=champ attendu.") % {"m": item},
                [Problem(_("correspondance invalide"), field="mapping")],
            )
        column, target = (part.strip() for part in item.rsplit("=", 1))
        if target not in TARGETS and target != IGNORE:
            raise ImportRejected(
                _("Correspondance « %(m)s » : champ « %(t)s » inconnu.") % {"m": item, "t": target},
                [
                    Problem(
                        _("champs : %(f)s") % {"f": ", ".join(sorted(TARGETS | {IGNORE}))}, field="mapping"
                    )
                ],
            )
        mapping[fold(column)] = target
    return mapping


PHONE_TARGETS = ("phone", "mobile", "emergency_contact_phone", "home_care_service_phone")


def _phone_cell(value) -> str | object:
    """A number typed in a spreadsheet cell loses its leading 0 (0147081122 → 147081122): put it back."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        digits = str(int(value))
        return "0" + digits if len(digits) == 9 else digits
    return _cell(value)


def _cell(value) -> str | object:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, date) else str(value).strip()


def _shown(value) -> str:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value or "").strip()
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _columns(
    header: list[str], explicit: dict[str, str], chosen: dict[int, str] | None, name: str
) -> tuple[list[Column], list[Problem]]:
    extension = pcs_extension_enabled()
    out: list[Column] = []
    for index, title in enumerate(header):
        auto, note = recognise_header(title)
        target = (chosen or {}).get(index) or explicit.get(fold(title)) or ""
        if target == IGNORE:
            target, note = "", (note if note == str(NOT_ALLOWED_NOTE) else str(CHOSEN_NOTE))
        elif not target and auto:
            target = auto
        recognised = bool(target) and target == auto  # said "recognised" even once posted back
        if target in ("lives_alone", "floor") and not extension:
            target, note = "", str(NOT_ALLOWED_NOTE)
        if target and target not in TARGETS:
            target, note = "", str(UNKNOWN_NOTE)
        out.append(Column(index, title, target, "" if target else note, recognised))
    problems: list[Problem] = []
    seen: dict[str, Column] = {}
    for column in out:
        if not column.target:
            continue
        if column.target in seen:
            problems.append(
                ImportProblem(
                    _(
                        "les colonnes « %(a)s » et « %(b)s » vont toutes deux dans « %(f)s » : "
                        "choisissez-en une"
                    )
                    % {"a": seen[column.target].title, "b": column.title, "f": column.label},
                    file=name,
                    line=1,
                    field=column.title,
                )
            )
        seen.setdefault(column.target, column)
    for target in REQUIRED:
        if target not in seen:
            problems.append(
                ImportProblem(
                    _("aucune colonne pour « %(f)s » : choisissez la colonne qui la contient")
                    % {"f": target_label(target)},
                    file=name,
                    line=1,
                )
            )
    if not any(t in seen for t in PHONES):
        problems.append(
            ImportProblem(
                _("aucune colonne de téléphone (fixe ou portable) : choisissez celle qui le contient"),
                file=name,
                line=1,
            )
        )
    return out, problems


def _reading(readings: dict, column: str, value, line: int, **kw) -> Reading:
    key = words(value)
    reading = readings.get(key)
    if reading is None:
        reading = readings[key] = Reading(column=column, value=_shown(value), key=key, **kw)
    reading.lines.append(line)
    return reading


def prepare(
    path: Path,
    commune: str,
    *,
    mapping: list[str] | dict[str, str] | None = None,
    columns: dict[int, str] | None = None,
    categories: dict[str, str] | None = None,
    content: bytes | None = None,
    proofs_on_paper: bool = False,
    today: date | None = None,
):
    """Validate the file; return (report, rows ready to seal). Raises ImportRejected with every problem.

    ``mapping`` maps headers to fields; ``columns`` (the web form) maps column positions to fields or
    IGNORE; ``categories`` maps a category wording (``schema.words``) to the category the agent chose."""
    name = path.name
    rows = read_table(path, content)
    while rows and not any(str(c or "").strip() for c in rows[0]):
        rows.pop(0)
    report = ImportReport(file=name)
    if not rows:
        raise ImportRejected(
            _("%(f)s : le fichier est vide.") % {"f": name},
            [Problem(_("pas de ligne d'en-tête"), file=name, line=1)],
            report=report,
        )
    header = [str(h or "").strip() for h in rows[0]]
    report.column_list, problems = _columns(header, parse_mapping(mapping), columns, name)
    for column in report.column_list:
        if column.target:
            report.columns[column.title] = column.target
        elif column.title:
            report.ignored_columns.append(column.title)
    if problems:
        raise ImportRejected(
            _("%(f)s : choisissez les colonnes à importer ; rien n'a été importé.") % {"f": name},
            problems,
            report=report,
        )
    index_of = {c.target: c.index for c in report.column_list if c.target}
    title_of = {c.target: c.title for c in report.column_list if c.target}
    title_of["lon/lat"] = title_of.get("lon", "lon/lat")
    chosen_categories = {k: v for k, v in (categories or {}).items() if v}
    address_index = load_index(commune)
    report.address_layer = address_index.name if address_index else None
    existing = set(Person.objects.filter(commune_code=commune).values_list("dedup_key", flat=True))
    ring = crypto.keyring()
    seen: dict[str, int] = {}
    ready = []
    category_readings: dict[str, Reading] = {}
    requester_readings: dict[str, Reading] = {}
    today = today or timezone.localdate()
    for line, row in enumerate(rows[1:], start=2):
        values = {
            target: ((_phone_cell if target in PHONE_TARGETS else _cell)(row[i]) if i < len(row) else "")
            for target, i in index_of.items()
        }
        if not any(str(v).strip() for v in values.values()):
            continue
        report.rows += 1
        row_problems: list[tuple[str, str, object]] = []  # (field, message, value)

        # The category, as the agent confirmed it (or as read from the wording).
        raw_category = values.get("category", "")
        key = words(str(raw_category))
        if key in chosen_categories:
            category, why, was_chosen = chosen_categories[key], "", True
        else:
            found, why = interpret_category(raw_category)
            category, was_chosen = found or "", False
        reading = _reading(
            category_readings, title_of["category"], raw_category, line, code=category, problem=why
        )
        reading.chosen = was_chosen
        reading.meaning = category_label(category) if category else ""
        if why:
            row_problems.append(("category", why, raw_category))
        values["category"] = category

        # Who asked, and the third party's name and capacity.
        raw_source = values.get("source", "")
        requester, why = interpret_requester(raw_source)
        source = requester.source if requester else Source.SELF
        if requester:
            values["third_party_name"] = str(values.get("third_party_name") or "").strip() or requester.name
            values["third_party_capacity"] = (
                str(values.get("third_party_capacity") or "").strip() or requester.capacity
            )
        if "source" in index_of:
            reading = _reading(
                requester_readings, title_of["source"], raw_source, line, code=str(source), problem=why
            )
            if requester:
                reading.meaning = _requester_label(source, requester.capacity, requester.name)
        if why:
            row_problems.append(("source", why, raw_source))
        elif source == Source.THIRD_PARTY:
            if not values["third_party_name"]:
                row_problems.append(
                    (
                        "source",
                        _(
                            "demande d'un tiers sans son nom : écrivez-le entre parenthèses, "
                            "« fille (Mme Durand) », ou dans une colonne « Nom du tiers »"
                        ),
                        raw_source,
                    )
                )
            if not proofs_on_paper:
                row_problems.append(
                    (
                        "source",
                        _(
                            "demande d'un tiers : sa demande écrite est obligatoire (R121-6) ; confirmez "
                            "que les demandes écrites sont conservées au dossier papier du CCAS"
                        ),
                        raw_source,
                    )
                )

        raw_date = values.get("request_date", "")
        request_date = today
        if raw_date not in ("", None):
            try:
                request_date = parse_date(raw_date)
                if request_date > today:
                    row_problems.append(("request_date", _("date dans le futur"), raw_date))
            except ValueError as exc:
                row_problems.append(("request_date", str(exc), raw_date))

        address = str(values.get("address") or "").strip()
        tail = " ".join(str(values.get(k) or "").strip() for k in ("postcode", "city")).strip()
        if tail and tail not in address:
            values["address"] = f"{address}, {tail}" if address else tail

        data, person_problems = clean_person(values, source=source, today=today)
        for p in person_problems:
            if p.field == "category" and any(f == "category" for f, _m, _v in row_problems):
                continue  # already said why the wording was not read
            if p.field in ("third_party_name", "third_party_capacity") and "source" in index_of:
                continue  # said on the requester's column
            row_problems.append((p.field or "", p.message, values.get(p.field or "", "")))
        if data.lon is None and address_index is not None and data.address:
            located = address_index.locate(data.address)
            if located:
                data.lon, data.lat = located
            else:
                report.addresses_not_found.append(line)
        if data.lon is not None:
            report.addresses_located += 1
        if not person_problems:
            dedup = crypto.blind_index(
                dedup_text(data.last_name, data.first_names, data.birth_date), ring=ring
            )
            if dedup in seen:
                row_problems.append(
                    (
                        "last_name",
                        _("doublon de la ligne %(n)d (même nom et date de naissance)") % {"n": seen[dedup]},
                        values.get("last_name"),
                    ),
                )
            elif dedup in existing:
                row_problems.append(
                    (
                        "last_name",
                        _("déjà inscrite au registre (même nom et date de naissance)"),
                        values.get("last_name"),
                    ),
                )
            seen.setdefault(dedup, line)
        for target, message, value in row_problems:
            problems.append(
                ImportProblem(
                    message,
                    file=name,
                    line=line,
                    field=title_of.get(target, target_label(target)) if target else None,
                    value=_shown(value),
                )
            )
        if row_problems:
            continue
        try:
            extension = clean_extension({k: values.get(k) for k in ("lives_alone", "floor")})
        except UserError:
            problems.append(
                ImportProblem(
                    _("nombre entier attendu"),
                    file=name,
                    line=line,
                    field=title_of.get("floor"),
                    value=_shown(values.get("floor")),
                )
            )
            continue
        ready.append((line, source, request_date, data, extension))
        report.by_source[source] = report.by_source.get(source, 0) + 1
        if len(report.rows_clear) < PREVIEW_ROWS:
            report.rows_clear.append(_clear_row(line, data, source, request_date, today))
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
    report.categories = sorted(category_readings.values(), key=lambda r: r.lines[0])
    report.requesters = sorted(requester_readings.values(), key=lambda r: r.lines[0])
    if problems:
        raise ImportRejected(
            ngettext(
                "%(f)s : %(n)d problème ; rien n'a été importé.",
                "%(f)s : %(n)d problèmes ; rien n'a été importé.",
                len(problems),
            )
            % {"f": name, "n": len(problems)},
            problems,
            total=len(problems),
            report=report,
        )
    if not ready:
        raise ImportRejected(
            _("%(f)s : aucune ligne à importer.") % {"f": name},
            [Problem(_("pas de ligne de données"), file=name, line=2)],
            report=report,
        )
    report.to_import = len(ready)
    return report, ready


def _requester_label(source: str, capacity: str, name: str) -> str:
    """« Son représentant légal : tuteur, UDAF 92 »; a transmission says only who sent it."""
    label = str(Source(source).label)
    if source in (Source.DEPARTEMENT, Source.CARSAT):
        return label
    detail = ", ".join(x for x in (capacity, name) if x)
    return _("%(who)s : %(detail)s") % {"who": label, "detail": detail} if detail else label


def _clear_row(line: int, data, source: str, request_date: date, today: date) -> dict:
    requester = _requester_label(source, data.third_party_capacity, data.third_party_name)
    return {
        "line": line,
        "last_name": data.last_name,
        "first_names": data.first_names,
        "birth_date": date.fromisoformat(data.birth_date).strftime("%d/%m/%Y"),
        "age": data.age(today),
        "category": category_label(data.category),
        "address": data.address,
        "phones": [p for p in (data.phone, data.mobile) if p],
        "emergency_contact": " ".join(x for x in (data.emergency_contact, data.emergency_contact_phone) if x),
        "home_care_service": " ".join(x for x in (data.home_care_service, data.home_care_service_phone) if x),
        "requester": requester,
        "request_date": request_date.strftime("%d/%m/%Y"),
        "located": data.lon is not None,
    }


def import_file(
    path: Path,
    commune: str,
    *,
    actor: Actor,
    mapping: list[str] | dict[str, str] | None = None,
    columns: dict[int, str] | None = None,
    categories: dict[str, str] | None = None,
    dry_run: bool = False,
    content: bytes | None = None,
    proofs_on_paper: bool = False,
    progress=None,
) -> ImportReport:
    _check_writer(actor, commune, "registry.add_person")

    if commune not in territory_codes():
        raise ImportRejected(
            _("La commune %(c)s n'est pas dans le territoire.") % {"c": commune},
            [Problem(_("commune inconnue"), field="commune")],
        )
    report, ready = prepare(
        path,
        commune,
        mapping=mapping,
        columns=columns,
        categories=categories,
        content=content,
        proofs_on_paper=proofs_on_paper,
    )
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
