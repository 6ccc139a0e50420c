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
        raise refuse(label, "the file is empty")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise refuse(label, "the file holds NUL bytes: it is binary, not a CSV text file", line=1)
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
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
        raise refuse(label, "the file is empty")
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
        raise refuse(label, "no column separator found (tried ; , tab |)", line=1)
    header = next(csv.reader(io.StringIO(lines[0]), delimiter=best))
    return best, header


def check_header(header: list[str], label: str) -> list[str]:
    problems, seen = [], {}
    names = [h.strip() for h in header]
    for i, name in enumerate(names, start=1):
        if not name:
            problems.append(Problem(f"column {i} has no name", file=label, line=1))
        elif name.lower() in seen:
            problems.append(Problem(f"column name {name!r} appears twice (columns {seen[name.lower()]} and {i})", file=label, line=1, field=name))
        else:
            seen[name.lower()] = i
    if problems:
        raise UserError(f"{label}: the header line is not usable; nothing was stored.", problems)
    return names


def open_dialect(path: Path, label: str, staging) -> CsvDialect:
    encoding = detect_encoding(path, label)
    with open(path, "rb") as fh:
        raw_head = fh.read(256 * 1024)
    head = raw_head.decode(encoding, errors="ignore")
    if "\x00" in head:
        raise refuse(label, "the file holds NUL characters: it is binary, not a CSV text file")
    sep, header = sniff(head, label)
    names = check_header(header, label)
    if encoding == "utf-8":
        return CsvDialect(encoding, sep, names, path, False)
    target = staging(".csv")
    transcode(path, encoding, target)
    return CsvDialect(encoding, sep, names, target, True)


# --- types ------------------------------------------------------------------------------------

def _x(col: str) -> str:
    return f"NULLIF(trim({ident(col)}), '')"


CANDIDATES: list[tuple[str, str]] = [
    ("integer", "CASE WHEN regexp_full_match({x}, '[+-]?(0|[1-9][0-9]{{0,17}})') THEN CAST({x} AS BIGINT) END"),
    ("number", "CASE WHEN regexp_full_match({x}, '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?') THEN TRY_CAST({x} AS DOUBLE) END"),
    ("number_comma", "CASE WHEN regexp_full_match({x}, '[+-]?[0-9]+(,[0-9]+)?') THEN TRY_CAST(replace({x}, ',', '.') AS DOUBLE) END"),
    ("date_fr", "CAST(TRY_STRPTIME({x}, '%d/%m/%Y') AS DATE)"),
    ("date", "CASE WHEN regexp_full_match({x}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') THEN TRY_CAST({x} AS DATE) END"),
    ("datetime_fr", "TRY_STRPTIME({x}, ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M'])"),
    ("datetime", "CASE WHEN regexp_full_match({x}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[T ][0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}([.][0-9]+)?)?') THEN TRY_CAST({x} AS TIMESTAMP) END"),
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


def infer_types(con, names: list[str], separator: str) -> dict[str, str]:
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
    row = con.execute(f"SELECT count(*) AS n, {sql} FROM (SELECT * FROM raw LIMIT {sample_rows})").fetchone()
    nonempty = con.execute(
        "SELECT " + ", ".join(f"count({_x(c)})" for c in names) + f" FROM (SELECT * FROM raw LIMIT {sample_rows})"
    ).fetchone()
    for i, (col, kind, _expr) in enumerate(checks):
        if col in types:
            continue
        if row[i + 1] and nonempty[names.index(col)] and not IDENTIFIER_RE.search(col):
            types[col] = kind
    return {c: types.get(c, "string") for c in names}


def convert_expressions(con, names: list[str], types: dict[str, str], schema_fields: dict | None) -> tuple[dict[str, str], dict[str, str]]:
    """Verify the chosen conversions on the whole table; a column with a misfit falls back to text."""
    exprs = {}
    for col in names:
        if schema_fields and col in schema_fields:
            exprs[col] = schema_expression(schema_fields[col], col)
        elif types[col] == "string":
            exprs[col] = ident(col)
        else:
            exprs[col] = EXPR[types[col]].format(x=_x(col))
    typed = [c for c in names if exprs[c] != ident(c)]
    if typed:
        sql = ", ".join(f"count({_x(c)}) = count({exprs[c]})" for c in typed)
        ok = con.execute(f"SELECT {sql} FROM raw").fetchone()
        for col, fits in zip(typed, ok):
            if not fits:
                exprs[col] = ident(col)
                types[col] = "string"
    return exprs, types


def load_csv(dialect: CsvDialect, label: str, limits: Limits, target: Path, schema_fields: dict | None = None) -> dict:
    con = connect()
    columns = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in dialect.header) + "}"
    try:
        con.execute(
            f"""CREATE TABLE raw AS SELECT * FROM read_csv({literal(str(dialect.utf8_path))},
                delim={literal(dialect.separator)}, quote='"', escape='"', header=false, skip=1,
                columns={columns}, auto_detect=false, strict_mode=true, store_rejects=true,
                max_line_size={limits.max_line_bytes})"""
        )
    except Exception as exc:  # duckdb raises its own error classes for unreadable files
        raise refuse(label, f"the CSV could not be read: {str(exc).splitlines()[0]}") from None
    rejects = con.execute(
        "SELECT line, column_name, error_type, error_message FROM reject_errors ORDER BY line LIMIT ?",
        [limits.max_problems],
    ).fetchall()
    if rejects:
        total = con.execute("SELECT count(*) FROM reject_errors").fetchone()[0]
        problems = [Problem(_reject_message(etype, msg, limits), file=label, line=line, field=colname) for line, colname, etype, msg in rejects]
        raise UserError(f"{label}: {total} malformed line(s); nothing was stored.", problems, total=total)
    rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    if rows == 0:
        raise refuse(label, "the file has a header but no data rows", line=2)
    types = infer_types(con, dialect.header, dialect.separator) if not schema_fields else {c: "string" for c in dialect.header}
    exprs, types = convert_expressions(con, dialect.header, types, schema_fields)
    select = ", ".join(f"{exprs[c]} AS {ident(c)}" for c in dialect.header)
    con.execute(f"COPY (SELECT {select} FROM raw) TO {literal(str(target))} (FORMAT PARQUET, COMPRESSION ZSTD)")
    con.close()
    return {"rows": rows, "types": types}


def _reject_message(etype: str, message: str, limits: Limits) -> str:
    messages = {
        "TOO MANY COLUMNS": "too many fields on this line",
        "MISSING COLUMNS": "too few fields on this line",
        "UNQUOTED VALUE": "a quote is opened and never closed",
        "LINE SIZE OVER MAXIMUM": f"line longer than {limits.max_line_bytes} bytes",
        "INVALID ENCODING": "bytes that are not valid text",
    }
    return f"{messages.get(etype, etype.lower())} ({message})"
