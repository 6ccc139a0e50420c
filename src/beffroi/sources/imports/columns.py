"""Build an Arrow table from Python values, giving each column the narrowest type all values fit."""

from __future__ import annotations

import json
from datetime import date, datetime

import pyarrow as pa

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _int64(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX


def column_type(values: list) -> pa.DataType:
    present = [v for v in values if v is not None and v != ""]
    if not present:
        return pa.string()
    if all(isinstance(v, bool) for v in present):
        return pa.bool_()
    # integers past int64 (a JSON source may send any) fall through to text, kept exactly
    if all(_int64(v) for v in present):
        return pa.int64()
    if all(isinstance(v, float) or _int64(v) for v in present):
        return pa.float64()
    if all(isinstance(v, datetime) for v in present):
        return pa.timestamp("us")
    if all(isinstance(v, date) and not isinstance(v, datetime) for v in present):
        return pa.date32()
    return pa.string()


def as_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def to_table(names: list[str], columns: list[list]) -> tuple[pa.Table, dict[str, str]]:
    arrays, types = [], {}
    for name, values in zip(names, columns, strict=True):
        typ = column_type(values)
        if pa.types.is_string(typ):
            values = [as_text(v) for v in values]
        elif pa.types.is_floating(typ):
            values = [None if v is None or v == "" else float(v) for v in values]
        else:
            values = [None if v == "" else v for v in values]
        arrays.append(pa.array(values, type=typ))
        types[name] = str(typ)
    return pa.Table.from_arrays(arrays, names=names), types
