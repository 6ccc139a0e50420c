"""Small typed conversions shared by connectors (values often arrive as strings)."""

from __future__ import annotations

from datetime import UTC, datetime


def as_datetime(value) -> datetime | None:
    """ISO 8601 (with Z, +01:00 or +0100) or epoch milliseconds → aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=UTC)
    text = str(value).strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def as_float(value) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError:
        return None


def flatten(record: dict, prefix: str = "") -> dict:
    """One level of nesting becomes dotted columns; deeper values and lists become JSON text."""
    import json

    out = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not prefix:
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, (dict, list)):
            out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = value
    return out


def records_table(records: list[dict]):
    """A list of flat dicts → Arrow table with per-column narrowest types."""
    from beffroi.sources.imports.columns import to_table

    names: dict[str, None] = {}
    for r in records:
        for k in r:
            names.setdefault(k, None)
    cols = list(names)
    table, _types = to_table(cols, [[r.get(c) for r in records] for c in cols])
    return table
