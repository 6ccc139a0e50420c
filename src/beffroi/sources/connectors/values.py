"""Small typed conversions shared by connectors (values often arrive as strings)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from django.utils.translation import gettext as _


def as_datetime(value) -> datetime | None:
    """ISO 8601 (with Z, +01:00 or +0100) or epoch milliseconds → aware UTC datetime.

    Anything else (a bool, a list, an epoch out of range, a date that cannot be moved to UTC) is
    None: the caller reports the row, the run goes on.
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=UTC)
        if not isinstance(value, str):
            return None
        text = value.strip()
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
    except (OverflowError, OSError, ValueError):  # epoch or offset beyond what datetime holds
        return None


def as_float(value) -> float | None:
    """A finite number from a number or its text ("2,5" too); None for anything else (NaN included)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            number = float(value)
        elif isinstance(value, str):
            number = float(value.strip().replace(",", "."))
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def as_int(value) -> int | None:
    """An integer from an integer, a whole float or its text ("3"); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    number = as_float(value)
    return int(number) if number is not None and number.is_integer() else None


def as_code(value) -> str | None:
    """A code (station, territory, INSEE...): a non-empty text, or an integer written as text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def as_text(value) -> str:
    """A label or a free text: a string as is, a number as text, anything else (null, list) empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def obj(value) -> dict:
    """An object, or an empty one when the member is absent or of another type."""
    return value if isinstance(value, dict) else {}


def objects(value, where: str, parsed) -> list[dict]:
    """The objects of a list (absent: none); other items are reported as problems of ``parsed``."""
    from beffroi.sources.connectors.errors import RowProblem

    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        parsed.problems.append(RowProblem(where, expected(_("une liste"), value)))
        return []
    out = []
    for n, item in enumerate(value, start=1):
        if isinstance(item, dict):
            out.append(item)
        else:
            parsed.problems.append(RowProblem(f"{where} {n}", expected(_("un objet"), item)))
    return out


TEXT_OR_NULL = (str, type(None))


def member(body, key: str, url: str, kind: type | tuple[type, ...] = TEXT_OR_NULL):
    """``body[key]`` when ``body`` is an object and the value has the expected type, else a PayloadError
    naming the URL, the key and what came instead (used by fetch to follow pages and log in)."""
    from beffroi.sources.connectors.errors import PayloadError

    if not isinstance(body, dict):
        raise PayloadError(
            _("%(url)s : objet JSON attendu, reçu %(got)s") % {"url": url, "got": type_name(body)}
        )
    value = body.get(key)
    if not isinstance(value, kind):
        raise PayloadError(
            _("%(url)s : '%(key)s' devrait être %(kind)s, reçu %(got)s")
            % {"url": url, "key": key, "kind": _kind_name(kind), "got": type_name(value)}
        )
    return value


def geometry_of(value):
    """A non-empty shapely geometry from a GeoJSON geometry object, or None if it is not one."""
    import shapely
    from shapely.errors import ShapelyError
    from shapely.geometry import shape

    if not isinstance(value, dict):
        return None
    try:
        geom = shape(value)
        # a geometry WKB cannot write (NaN coordinates, say) is no better than none
        shapely.to_wkb(geom)
    except (ShapelyError, TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError):
        return None
    return None if geom.is_empty else geom


def expected(what: str, value) -> str:
    """« attendu : un objet, reçu : une liste »: a row problem naming what came instead."""
    return _("attendu : %(what)s, reçu : %(got)s") % {"what": what, "got": type_name(value)}


def type_name(value) -> str:
    """The JSON name of a value's type, for messages (in the active language)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return _("un booléen")
    if isinstance(value, (int, float)):
        return _("un nombre (%(value)r)") % {"value": value}
    if isinstance(value, str):
        return _("un texte (%(value)r)") % {"value": value[:40]}
    if isinstance(value, list):
        return _("une liste")
    if isinstance(value, dict):
        return _("un objet")
    return type(value).__name__


def _kind_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        str: _("un texte"),
        dict: _("un objet"),
        list: _("une liste"),
        int: _("un entier"),
        type(None): "null",
    }
    return _(" ou ").join(names.get(k, k.__name__) for k in kinds)


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
