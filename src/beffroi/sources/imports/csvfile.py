"""CSV import: encoding and separator detection, French number and date formats, DuckDB parsing.

The file is decoded once (UTF-8, UTF-8 with BOM, UTF-16 with BOM, else Windows-1252, else Latin-1)
and, unless already plain UTF-8, transcoded to a staging copy; DuckDB then reads every cell as text
(structural problems come back with their line number), each column gets the narrowest type all its
values fit, and the converted table is written to Parquet.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beffroi.core.errors import Problem, UserError
from beffroi.sources.imports.duck import connect, ident, literal
from beffroi.sources.imports.limits import Limits
from beffroi.sources.imports.safety import refuse

CHUNK = 4 * 1024 * 1024
SEPARATORS = (";", ",", "\t", "|")


@dataclass
class CsvDialect:
    encoding: str
    separator: str
    header: list[str]
    utf8_path: Path
    transcoded: bool
    notes: list[str] = field(default_factory=list)


def detect_encoding(path: Path, label: str) -> str:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        raise refuse(label, _("le fichier est vide"))
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise refuse(
            label,
            _("le fichier contient des octets NUL : c'est un fichier binaire, pas un fichier texte CSV"),
            line=1,
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Not UTF-8: Windows-1252 if it uses its extra characters (0x80-0x9F: € ’ « œ …), else Latin-1.
    c1 = bytes(range(0x80, 0xA0))
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            if len(chunk.translate(None, c1)) != len(chunk):
                break
        else:
            return "latin-1"
    decoder2 = codecs.getincrementaldecoder("cp1252")()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                decoder2.decode(chunk)
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def transcode(path: Path, encoding: str, target: Path) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(CHUNK):
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))


def sniff(text_head: str, label: str) -> tuple[str, list[str]]:
    lines = text_head.splitlines()
    if len(lines) > 1 and not text_head.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of the sample may be cut
    lines = [ln for ln in lines[:50] if ln.strip()]
    if not lines:
        raise refuse(label, _("le fichier est vide"))
    best, best_score = None, (0, 0)
    for sep in SEPARATORS:
        try:
            counts = [len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=sep)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = sep, score
    if best is None:
        header = next(csv.reader(io.StringIO(lines[0]), delimiter=";"))
        if len(header) == 1 and len(lines) > 1:
            return ";", header  # a one-column file is a valid CSV
        raise refuse(label, _("aucun séparateur de colonnes trouvé (essayés : ; , tabulation |)"), line=1)
    header = next(csv.reader(io.StringIO(lines[0]), delimiter=best))
    return best, header


def check_header(header: list[str], label: str) -> list[str]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    names = [h.strip() for h in header]
    for i, name in enumerate(names, start=1):
        if not name:
            problems.append(Problem(_("la colonne %(n)s n'a pas de nom") % {"n": i}, file=label, line=1))
        elif name.lower() in seen:
            problems.append(
                Problem(
                    _("le nom de colonne « %(name)s » apparaît deux fois (colonnes %(first)s et %(second)s)")
                    % {"name": name, "first": seen[name.lower()], "second": i},
                    file=label,
                    line=1,
                    field=name,
                )
            )
        else:
            seen[name.lower()] = i
    if problems:
        raise UserError(
            _("%(file)s : la ligne d'en-tête est inutilisable ; rien n'a été enregistré.") % {"file": label},
            problems,
        )
    return names


def open_dialect(path: Path, label: str, staging) -> CsvDialect:
    encoding = detect_encoding(path, label)
    with open(path, "rb") as fh:
        raw_head = fh.read(256 * 1024)
    head = raw_head.decode(encoding, errors="ignore")
    if "\x00" in head:
        raise refuse(
            label,
            _("le fichier contient des caractères NUL : c'est un fichier binaire, pas un fichier texte CSV"),
        )
    sep, header = sniff(head, label)
    names = check_header(header, label)
    if encoding in ("utf-8", "utf-8-sig", "latin-1"):  # DuckDB reads both natively
        return CsvDialect(encoding, sep, names, path, False)
    target = staging(".csv")
    transcode(path, encoding, target)
    return CsvDialect(encoding, sep, names, target, True)


# --- types ------------------------------------------------------------------------------------


def _x(col: str) -> str:
    return f"NULLIF(trim({ident(col)}), '')"


CANDIDATES: list[tuple[str, str]] = [
    (
        "integer",
        "CASE WHEN regexp_full_match({x}, '[+-]?(0|[1-9][0-9]{{0,17}})') THEN CAST({x} AS BIGINT) END",
    ),
    (
        "number",
        "CASE WHEN regexp_full_match({x}, '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?') THEN TRY_CAST({x} AS DOUBLE) END",  # noqa: E501
    ),
    (
        "number_comma",
        "CASE WHEN regexp_full_match({x}, '[+-]?[0-9]+(,[0-9]+)?') THEN TRY_CAST(replace({x}, ',', '.') AS DOUBLE) END",  # noqa: E501
    ),
    ("date_fr", "CAST(TRY_STRPTIME({x}, '%d/%m/%Y') AS DATE)"),
    (
        "date",
        "CASE WHEN regexp_full_match({x}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') THEN TRY_CAST({x} AS DATE) END",
    ),
    ("datetime_fr", "TRY_STRPTIME({x}, ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M'])"),
    (
        "datetime",
        "CASE WHEN regexp_full_match({x}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[T ][0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}([.][0-9]+)?)?') THEN TRY_CAST({x} AS TIMESTAMP) END",  # noqa: E501
    ),
]
EXPR = dict(CANDIDATES)


def schema_expression(field_desc: dict, col: str) -> str:
    """DuckDB conversion for a Table Schema field (already validated by frictionless)."""
    x = _x(col)
    ftype = field_desc.get("type", "string")
    if ftype in ("integer", "year"):
        return f"TRY_CAST({x} AS BIGINT)"
    if ftype == "number":
        dec = field_desc.get("decimalChar", ".")
        group = field_desc.get("groupChar", "")
        v = x
        if group:
            v = f"replace({v}, {literal(group)}, '')"
        if dec != ".":
            v = f"replace({v}, {literal(dec)}, '.')"
        return f"TRY_CAST({v} AS DOUBLE)"
    if ftype == "boolean":
        trues = field_desc.get("trueValues", ["true", "True", "TRUE", "1"])
        falses = field_desc.get("falseValues", ["false", "False", "FALSE", "0"])
        t = ", ".join(literal(v) for v in trues)
        f = ", ".join(literal(v) for v in falses)
        return f"CASE WHEN {x} IN ({t}) THEN TRUE WHEN {x} IN ({f}) THEN FALSE END"
    if ftype in ("date", "datetime"):
        fmt = field_desc.get("format", "default")
        if fmt not in ("default", "any") and "%" in fmt:
            conv = f"TRY_STRPTIME({x}, {literal(fmt)})"
            return f"CAST({conv} AS DATE)" if ftype == "date" else conv
        return f"TRY_CAST({x} AS {'DATE' if ftype == 'date' else 'TIMESTAMP'})"
    return x


IDENTIFIER_RE = re.compile(r"code|insee|siret|siren|postal|iris|^cp$|t[ée]l[ée]phone|^tel", re.IGNORECASE)


def infer_types(con, names: list[str], separator: str, source: str = "raw") -> dict[str, str]:
    """Pick per column the first candidate type every non-empty value of a sample fits.

    Columns named like identifiers (INSEE code, SIRET, postal code, phone) stay text: "01001".
    """
    sample_rows = 2000
    types = {}
    candidates = [c for c in CANDIDATES if not (c[0] == "number_comma" and separator == ",")]
    checks = []
    for col in names:
        x = _x(col)
        for kind, template in candidates:
            checks.append((col, kind, f"count({x}) = count({template.format(x=x)})"))
    sql = ", ".join(f"{expr} AS c{i}" for i, (_c, _k, expr) in enumerate(checks))
    row = con.execute(
        f"SELECT count(*) AS n, {sql} FROM (SELECT * FROM {source} LIMIT {sample_rows})"  # noqa: S608
    ).fetchone()
    nonempty = con.execute(
        "SELECT "  # noqa: S608
        + ", ".join(f"count({_x(c)})" for c in names)
        + f" FROM (SELECT * FROM {source} LIMIT {sample_rows})"  # noqa: S608
    ).fetchone()
    for i, (col, kind, _expr) in enumerate(checks):
        if col in types:
            continue
        if row[i + 1] and nonempty[names.index(col)] and not IDENTIFIER_RE.search(col):
            types[col] = kind
    return {c: types.get(c, "string") for c in names}


STRICT = {  # conversions that raise on a misfit (used when DuckDB cannot read the column natively)
    "number": "CAST({x} AS DOUBLE)",
    "number_comma": "CAST(replace({x}, ',', '.') AS DOUBLE)",
    "date": "CAST({x} AS DATE)",
    "date_fr": "CAST(strptime({x}, '%d/%m/%Y') AS DATE)",
    "datetime": "CAST({x} AS TIMESTAMP)",
    "datetime_fr": "strptime({x}, ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M'])",
}


def plan(names: list[str], types: dict[str, str]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Which columns DuckDB parses natively (fast, misfits reported as CAST rejects with their line),
    with which global options (one decimal separator, one date format), and which are converted from
    text by an expression."""
    kinds = set(types.values())
    options = {}
    decimal = "," if "number_comma" in kinds else "."
    if decimal == ",":
        options["decimal_separator"] = "','"
    datefmt = "%d/%m/%Y" if "date_fr" in kinds else None
    if datefmt:
        options["dateformat"] = "'%d/%m/%Y'"
    native, exprs = {}, {}
    for c in names:
        t = types[c]
        if t == "integer":
            native[c] = "BIGINT"
        elif (t == "number" and decimal == ".") or (t == "number_comma" and decimal == ","):
            native[c] = "DOUBLE"
        elif (t == "date_fr" and datefmt) or (t == "date" and not datefmt):
            native[c] = "DATE"
        else:
            native[c] = "VARCHAR"
            if t != "string":
                exprs[c] = STRICT[t].format(x=_x(c))
    return native, exprs, options


def _read_sql(
    dialect: CsvDialect,
    limits: Limits,
    *,
    sample: bool = False,
    native: dict | None = None,
    options: dict | None = None,
) -> str:
    native = native or {}
    columns = "{" + ", ".join(f"{literal(n)}: '{native.get(n, 'VARCHAR')}'" for n in dialect.header) + "}"
    encoding = ", encoding='latin-1'" if dialect.encoding == "latin-1" else ""
    errors = "ignore_errors=true" if sample else "store_rejects=true"
    extra = "".join(f", {k}={v}" for k, v in (options or {}).items())
    return (
        f"read_csv({literal(str(dialect.utf8_path))}, delim={literal(dialect.separator)}, quote='\"', escape='\"', "  # noqa: E501
        f"header=false, skip=1, columns={columns}, auto_detect=false, strict_mode=true, {errors}, "
        f"max_line_size={limits.max_line_bytes}{encoding}{extra})"
    )


def load_csv(
    dialect: CsvDialect, label: str, limits: Limits, target: Path, schema_fields: dict | None = None
) -> dict:
    """One streaming pass file → Parquet with the types inferred on a sample; a column with a value
    that does not fit its type falls back to text (second pass, only then)."""
    import duckdb

    con = connect()
    try:
        con.execute(
            f"CREATE TABLE sample AS SELECT * FROM {_read_sql(dialect, limits, sample=True)} LIMIT 2000"  # noqa: S608
        )
        if schema_fields:
            types = {c: "string" for c in dialect.header}
        else:
            types = infer_types(con, dialect.header, dialect.separator, "sample")
        for _attempt in range(len(dialect.header) + 2):
            if schema_fields:
                native: dict[str, str]
                options: dict[str, str]
                native, exprs, options = (
                    {},
                    {c: schema_expression(schema_fields[c], c) for c in dialect.header if c in schema_fields},
                    {},
                )
            else:
                native, exprs, options = plan(dialect.header, types)
            select = ", ".join(
                f"{exprs[c]} AS {ident(c)}" if c in exprs else ident(c) for c in dialect.header
            )
            con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
            try:
                con.execute(
                    f"COPY (SELECT {select} FROM {_read_sql(dialect, limits, native=native, options=options)}) "  # noqa: E501, S608
                    f"TO {literal(str(target))} (FORMAT PARQUET, COMPRESSION ZSTD)"
                )
            except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
                if (
                    not exprs
                    or "Could not convert" not in str(exc)
                    and "Could not parse" not in str(exc)
                    and "strptime" not in str(exc)
                ):
                    raise
                for c in exprs:  # a text-converted column has a misfit: keep them as text
                    types[c] = "string"
                continue
            rejects = con.execute(
                "SELECT line, column_name, error_type, error_message FROM reject_errors ORDER BY line"
            ).fetchall()
            structural = [r for r in rejects if r[2] != "CAST"]
            if structural:
                problems = [
                    Problem(_reject_message(etype, msg, limits), file=label, line=line, field=colname)
                    for line, colname, etype, msg in structural[: limits.max_problems]
                ]
                raise UserError(
                    ngettext(
                        "%(file)s : %(n)s ligne mal formée ; rien n'a été enregistré.",
                        "%(file)s : %(n)s lignes mal formées ; rien n'a été enregistré.",
                        len(structural),
                    )
                    % {"file": label, "n": len(structural)},
                    problems,
                    total=len(structural),
                )
            misfits = {r[1] for r in rejects if r[2] == "CAST"}
            if not misfits:
                break
            for c in misfits:
                types[c] = "string"
        import pyarrow.parquet as pq

        rows = pq.read_metadata(target).num_rows
        if rows == 0:
            raise refuse(label, _("le fichier a une ligne d'en-tête mais aucune ligne de données"), line=2)
    except UserError:
        raise
    except Exception as exc:  # duckdb raises its own error classes for unreadable files
        raise refuse(
            label, _("le CSV n'a pas pu être lu (%(error)s)") % {"error": str(exc).splitlines()[0]}
        ) from None
    finally:
        con.close()
    return {"rows": rows, "types": types}


COUNTS_RE = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _reject_message(etype: str, message: str, limits: Limits) -> str:
    """The French reason of a line DuckDB rejected; its own (English) message only when unknown."""
    counts = COUNTS_RE.search(message)
    expected = (
        _(" (%(expected)s attendus, %(found)s trouvés)")
        % {
            "expected": counts.group(1),
            "found": counts.group(2),
        }
        if counts
        else ""
    )
    messages = {
        "TOO MANY COLUMNS": _("trop de champs sur cette ligne") + expected,
        "MISSING COLUMNS": _("pas assez de champs sur cette ligne") + expected,
        "UNQUOTED VALUE": _("un guillemet est ouvert et jamais fermé"),
        "LINE SIZE OVER MAXIMUM": _("ligne plus longue que %(limit)s octets")
        % {"limit": limits.max_line_bytes},
        "INVALID ENCODING": _("des octets qui ne sont pas du texte valide"),
    }
    if etype in messages:
        return messages[etype]
    return _("ligne illisible (%(error)s)") % {"error": message}
