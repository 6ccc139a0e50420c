"""Table Schema (frictionless) validation, e.g. the schemas published on schema.data.gouv.fr."""

from __future__ import annotations

import json
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beffroi.core.errors import Problem, UserError
from beffroi.sources.imports.reasons import is_required_note, json_reason, schema_note


def load_schema(path: Path) -> dict:
    label = Path(path).name
    try:
        if Path(path).stat().st_size > 2 * 1024 * 1024:
            raise UserError(
                _("%(file)s : le fichier de schéma dépasse 2 Mo.") % {"file": label},
                [Problem(_("fichier trop gros"), file=label)],
            )
        descriptor = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise UserError(
            _("%(file)s : fichier de schéma introuvable.") % {"file": label},
            [Problem(_("fichier introuvable"), file=str(path))],
        ) from None
    except json.JSONDecodeError as exc:
        raise UserError(
            _("%(file)s : le schéma n'est pas du JSON valide.") % {"file": label},
            [Problem(json_reason(exc), file=label, line=exc.lineno)],
        ) from None
    except UnicodeDecodeError:
        raise UserError(
            _("%(file)s : le schéma n'est pas du JSON valide.") % {"file": label},
            [Problem(_("le fichier n'est pas encodé en UTF-8"), file=label)],
        ) from None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("fields"), list):
        raise UserError(
            _("%(file)s : ce n'est pas un Table Schema (pas de liste « fields »).") % {"file": label},
            [Problem(_("liste « fields » absente"), file=label, field="fields")],
        )
    from frictionless import FrictionlessException, Schema

    try:
        Schema.from_descriptor(descriptor)
    except FrictionlessException as exc:
        raise UserError(
            _("%(file)s : ce n'est pas un Table Schema valide.") % {"file": label},
            [Problem(_("schéma invalide (%(error)s)") % {"error": exc.error.message}, file=label)],
        ) from None
    for i, field in enumerate(descriptor["fields"]):
        if not isinstance(field, dict) or not field.get("name"):
            raise UserError(
                _("%(file)s : le champ %(n)s n'a pas de nom.") % {"file": label, "n": i + 1},
                [Problem(_("champ sans nom"), file=label, field=f"fields[{i}]")],
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
        ngettext(
            "%(file)s : %(n)s problème par rapport au schéma ; rien n'a été enregistré.",
            "%(file)s : %(n)s problèmes par rapport au schéma ; rien n'a été enregistré.",
            len(errors),
        )
        % {"file": label, "n": len(errors)},
        problems,
        total=len(errors),
    )


def _message(error) -> str:
    note = getattr(error, "note", "") or ""
    cell = getattr(error, "cell", None)
    if error.type == "constraint-error" and is_required_note(note):
        return _("valeur obligatoire manquante")
    value = {"value": cell}
    base = {
        "type-error": _("la valeur « %(value)s » n'est pas du type attendu") % value,
        "constraint-error": _("la valeur « %(value)s » ne respecte pas une contrainte") % value,
        "missing-label": _("une colonne exigée par le schéma est absente"),
        "extra-label": _("colonne absente du schéma"),
        "incorrect-label": _("le nom de la colonne diffère du schéma"),
        "missing-cell": _("valeur manquante"),
        "extra-cell": _("trop de valeurs"),
        "blank-row": _("ligne vide"),
        "primary-key": _("clé primaire en double"),
        "unique-error": _("la valeur « %(value)s » devrait être unique") % value,
    }.get(error.type, error.title)
    # frictionless's note says which constraint, which type: the detail the user needs
    return f"{base} ({schema_note(note)})" if note else base
