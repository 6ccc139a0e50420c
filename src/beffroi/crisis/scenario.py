"""Exercise scenarios (YAML): loading and validation with located errors (file, line, field).

A scenario::

    name: Crue de la Marne à Nogent-sur-Marne
    hazard: inondation           # a crisis hazard
    communes: ["94052"]
    level: 2                     # level the exercise crisis opens at
    start: "2026-01-20T06:00:00+01:00"   # optional: scenario time of offset 00:00 (default: start of the run)
    injects:
      - at: "00:15"              # offset HH:MM (or HH:MM:SS) on the scenario clock
        kind: call               # observation | call | field | radio | prefecture | media | note | level
        text: "..."
        source: telephone        # optional, defaults by kind
        category: info           # optional, defaults by kind
        # observation: series, value, unit (and optional text)
        # level: level (1-4), text is the reason
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _

from beffroi.core.errors import Problem, UserError
from beffroi.crisis.models import Hazard
from beffroi.crisis.models.crisis import LEVELS

KINDS = {
    # kind: (default source, default category)
    "observation": ("systeme", "info"),
    "call": ("telephone", "info"),
    "field": ("terrain", "info"),
    "radio": ("radio", "info"),
    "prefecture": ("prefecture", "info"),
    "media": ("media", "demande"),
    "note": ("cellule", "info"),
    "level": ("prefecture", "decision"),
}
TOP_FIELDS = {"name", "description", "hazard", "communes", "level", "start", "injects"}
INJECT_FIELDS = {"at", "kind", "text", "source", "category", "series", "value", "unit", "level", "location"}


@dataclass(frozen=True)
class Inject:
    index: int
    offset: timedelta
    kind: str
    text: str
    source: str
    category: str
    series: str = ""
    value: float | None = None
    unit: str = ""
    level: int | None = None
    location: str = ""


def _line_map(node, path=(), out=None) -> dict[tuple, int]:
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value
            out[path + (k,)] = key.start_mark.line + 1
            _line_map(value, path + (k,), out)
            out[path + (k,)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, path + (i,), out)
    return out


def parse_offset(value: Any) -> timedelta | None:
    if isinstance(value, int):  # YAML reads 01:30 unquoted as sexagesimal minutes: accept as minutes
        return timedelta(minutes=value)
    parts = str(value).strip().lstrip("+").split(":")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    h, m, *rest = (int(p) for p in parts)
    if m >= 60 or (rest and rest[0] >= 60):
        return None
    return timedelta(hours=h, minutes=m, seconds=rest[0] if rest else 0)


def load(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise UserError(
            _("%(path)s : fichier de scénario introuvable.") % {"path": path},
            [Problem(_("fichier introuvable"), file=str(path))],
        )
    return validate(path.read_text(encoding="utf-8"), filename=str(path))


def validate(text: str, *, filename: str = "scenario.yaml") -> dict[str, Any]:
    """Parse and check a scenario; return it normalised (JSON-serialisable) or raise located errors."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise UserError(
            _("%(filename)s : YAML invalide.") % {"filename": filename},
            [Problem(str(getattr(exc, "problem", exc)), file=filename, line=mark.line + 1 if mark else None)],
        )
    if not isinstance(data, dict):
        raise UserError(
            _("%(filename)s : un scénario est un dictionnaire (name, hazard, communes, injects).")
            % {"filename": filename},
            [Problem(_("un dictionnaire est attendu"), file=filename, line=1)],
        )
    lines = _line_map(node)
    problems: list[Problem] = []

    def bad(message: str, path: tuple, field: str) -> None:
        line = lines.get(path) or lines.get(path[:-1]) or lines.get(path[:1])
        problems.append(Problem(message, file=filename, line=line, field=field))

    for key in data:
        if key not in TOP_FIELDS:
            bad(f"unknown field (expected {', '.join(sorted(TOP_FIELDS))})", (key,), str(key))
    name = str(data.get("name") or "").strip()
    if not name:
        bad("a name is required", ("name",), "name")
    hazard = data.get("hazard")
    if hazard not in Hazard.values:
        bad(f"unknown hazard {hazard!r} (one of {', '.join(Hazard.values)})", ("hazard",), "hazard")
    communes = data.get("communes")
    if isinstance(communes, str | int):
        communes = [communes]
    communes = [str(c).zfill(5) for c in communes] if isinstance(communes, list) else []
    if not communes or not all(c.isdigit() or c[:2] in ("2A", "2B") for c in communes):
        bad('communes: a list of INSEE codes, e.g. ["94052"]', ("communes",), "communes")
    level = data.get("level", 2)
    if level not in LEVELS:
        bad("level is 1 to 4", ("level",), "level")
    start = data.get("start")
    if start is not None:
        if isinstance(start, datetime):
            start_dt = start
        else:
            try:
                start_dt = datetime.fromisoformat(str(start))
            except ValueError:
                start_dt = None
        if start_dt is None or start_dt.tzinfo is None:
            bad(
                "start is an ISO date-time with its offset, e.g. 2026-01-20T06:00:00+01:00",
                ("start",),
                "start",
            )
            start = None
        else:
            start = start_dt.isoformat()
    raw_injects = data.get("injects")
    injects: list[dict[str, Any]] = []
    if not isinstance(raw_injects, list) or not raw_injects:
        bad("injects: a non-empty list", ("injects",), "injects")
        raw_injects = []
    for i, raw in enumerate(raw_injects):
        where = ("injects", i)
        if not isinstance(raw, dict):
            bad("an inject is a mapping (at, kind, text…)", where, f"injects[{i}]")
            continue
        for key in raw:
            if key not in INJECT_FIELDS:
                bad(
                    f"unknown field (expected {', '.join(sorted(INJECT_FIELDS))})",
                    where + (key,),
                    f"injects[{i}].{key}",
                )
        offset = parse_offset(raw.get("at", ""))
        if offset is None:
            bad(
                'at is an offset HH:MM from the scenario start, e.g. "01:30"',
                where + ("at",),
                f"injects[{i}].at",
            )
        kind = raw.get("kind")
        if kind not in KINDS:
            bad(f"unknown kind {kind!r} (one of {', '.join(KINDS)})", where + ("kind",), f"injects[{i}].kind")
            continue
        text = str(raw.get("text") or "").strip()
        item: dict[str, Any] = {
            "index": i,
            "offset_seconds": int(offset.total_seconds()) if offset else 0,
            "kind": kind,
            "text": text,
            "source": raw.get("source") or KINDS[kind][0],
            "category": raw.get("category") or KINDS[kind][1],
            "location": str(raw.get("location") or ""),
        }
        if kind == "observation":
            for key in ("series", "unit"):
                if not str(raw.get(key) or "").strip():
                    bad(f"an observation needs {key}", where + (key,), f"injects[{i}].{key}")
            if not isinstance(raw.get("value"), int | float) or isinstance(raw.get("value"), bool):
                bad("value is a number", where + ("value",), f"injects[{i}].value")
            item.update(
                series=str(raw.get("series") or ""), value=raw.get("value"), unit=str(raw.get("unit") or "")
            )
        elif kind == "level":
            if raw.get("level") not in LEVELS:
                bad("level is 1 to 4", where + ("level",), f"injects[{i}].level")
            item["level"] = raw.get("level")
        elif not text:
            bad("text is required", where + ("text",), f"injects[{i}].text")
        _check_choice(item, where, i, bad)
        injects.append(item)
    if problems:
        raise UserError(_("%(filename)s : le scénario n'est pas valide.") % {"filename": filename}, problems)
    injects.sort(key=lambda it: (it["offset_seconds"], it["index"]))
    return {
        "name": name,
        "description": str(data.get("description") or ""),
        "hazard": hazard,
        "communes": communes,
        "level": level,
        "start": start,
        "injects": injects,
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def _check_choice(item, where, i, bad) -> None:
    from beffroi.crisis.actions import CATEGORY_ALIASES, SOURCE_ALIASES
    from beffroi.crisis.models.log import Category, Source

    src = str(item["source"]).lower()
    if src not in Source.values and src not in SOURCE_ALIASES:
        bad(f"unknown source {item['source']!r}", where + ("source",), f"injects[{i}].source")
    cat = str(item["category"]).lower()
    if cat not in Category.values and cat not in CATEGORY_ALIASES:
        bad(f"unknown category {item['category']!r}", where + ("category",), f"injects[{i}].category")


def as_inject(item: dict[str, Any]) -> Inject:
    return Inject(
        index=item["index"],
        offset=timedelta(seconds=item["offset_seconds"]),
        kind=item["kind"],
        text=item["text"],
        source=item["source"],
        category=item["category"],
        series=item.get("series", ""),
        value=item.get("value"),
        unit=item.get("unit", ""),
        level=item.get("level"),
        location=item.get("location", ""),
    )
