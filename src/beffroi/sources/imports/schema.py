"""Table Schema (frictionless) validation, e.g. the schemas published on schema.data.gouv.fr."""

from __future__ import annotations

import json
from pathlib import Path

from beffroi.core.errors import Problem, UserError


def load_schema(path: Path) -> dict:
    label = Path(path).name
    try:
        if Path(path).stat().st_size > 2 * 1024 * 1024:
            raise UserError(f"{label}: the schema file is over 2 MB.", [Problem("too large", file=label)])
        descriptor = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise UserError(f"{label}: schema file not found.", [Problem("not found", file=str(path))]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise UserError(
            f"{label}: the schema is not valid JSON.", [Problem(str(exc), file=label, line=line)]
        ) from None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("fields"), list):
        raise UserError(
            f"{label}: not a Table Schema (no 'fields' list).",
            [Problem("missing fields", file=label, field="fields")],
        )
    from frictionless import FrictionlessException, Schema

    try:
        Schema.from_descriptor(descriptor)
    except FrictionlessException as exc:
        raise UserError(
            f"{label}: not a valid Table Schema.", [Problem(str(exc.error.message), file=label)]
        ) from None
    for i, field in enumerate(descriptor["fields"]):
        if not isinstance(field, dict) or not field.get("name"):
            raise UserError(
                f"{label}: field {i + 1} has no name.", [Problem("no name", file=label, field=f"fields[{i}]")]
            )
    return descriptor


def validate(
    path: Path,
    descriptor: dict,
    label: str,
    *,
    fmt: str,
    separator: str | None = None,
    max_problems: int = 20,
) -> None:
    """Validate the whole file against the schema; raise UserError with located problems."""
    from frictionless import Dialect, Resource, Schema, formats

    schema = Schema.from_descriptor(descriptor)
    kwargs: dict = {}
    if fmt == "csv":
        kwargs["dialect"] = Dialect(controls=[formats.CsvControl(delimiter=separator or ",")])
        kwargs["encoding"] = "utf-8"
    path = Path(path)
    resource = Resource(path=path.name, basepath=str(path.parent), schema=schema, format=fmt, **kwargs)
    report = resource.validate(limit_errors=10_000)
    if report.valid:
        return
    errors = [e for task in report.tasks for e in task.errors] + list(report.errors)
    problems = []
    for e in errors[:max_problems]:
        line = getattr(e, "row_number", None)
        if line is None and getattr(e, "type", "").endswith("label"):
            line = 1
        problems.append(
            Problem(
                _message(e),
                file=label,
                line=line,
                field=getattr(e, "field_name", None) or getattr(e, "label", None),
            )
        )
    raise UserError(
        f"{label}: {len(errors)} problem(s) against the schema; nothing was stored.",
        problems,
        total=len(errors),
    )


def _message(error) -> str:
    note = getattr(error, "note", "") or ""
    cell = getattr(error, "cell", None)
    base = {
        "type-error": f"value {cell!r} is not of the expected type",
        "constraint-error": f"value {cell!r} breaks a constraint",
        "missing-label": "column required by the schema is missing",
        "extra-label": "column not in the schema",
        "incorrect-label": "column name differs from the schema",
        "missing-cell": "value missing",
        "extra-cell": "too many values",
        "blank-row": "empty row",
        "primary-key": "duplicate primary key",
        "unique-error": f"value {cell!r} should be unique",
    }.get(error.type, error.title)
    return f"{base} ({note})" if note else base
