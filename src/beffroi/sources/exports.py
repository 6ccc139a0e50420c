"""Exports of datasets. Cells a spreadsheet would run as formulas are neutralised (CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Prefix a text cell starting with = + - @ (or tab/CR) with a quote, as OWASP recommends."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(header: list[str], rows: Iterable[Iterable], *, separator: str = ";") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return out.getvalue()


def dataset_csv(parquet_path, *, limit: int | None = None, separator: str = ";") -> str:
    import pyarrow.parquet as pq

    table = pq.read_table(parquet_path)
    if limit is not None:
        table = table.slice(0, limit)
    names = table.column_names
    rows = ([r[n] if not isinstance(r[n], bytes) else None for n in names] for r in table.to_pylist())
    return to_csv(names, rows, separator=separator)
