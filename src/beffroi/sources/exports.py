"""Exports of datasets. Cells a spreadsheet would run as formulas are neutralised (CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from beffroi.core.spreadsheet import neutralise_cell

# One shared rule for every export (core/spreadsheet.py); the old name stays for callers.
neutralise = neutralise_cell


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


def iter_dataset_csv(
    parquet_path, *, separator: str = ";", geometry_column: str | None = None, row_filter=None
):
    """Stream a dataset as CSV, batch by batch (large exports do not time out or fill memory),
    keeping the rows ``row_filter`` keeps (sources/scoping.py: the reader's communes)."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(parquet_path)
    names = pf.schema_arrow.names
    yield to_csv(names, [], separator=separator)
    for batch in pf.iter_batches(batch_size=5000):
        if row_filter is not None:
            batch = row_filter(batch)
        rows = batch.to_pylist()
        yield to_csv_rows(
            ([_cell(r[n], n == geometry_column) for n in names] for r in rows), separator=separator
        )


def _cell(value, is_geometry: bool):
    if isinstance(value, bytes):
        if is_geometry:
            import shapely

            return shapely.to_wkt(shapely.from_wkb(value), rounding_precision=6)
        return None
    return value


def to_csv_rows(rows, *, separator: str = ";") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return out.getvalue()
