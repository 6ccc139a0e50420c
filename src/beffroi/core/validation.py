"""The last line of defence against bad input: no Beffroi row is saved with a text longer than its
column, a value outside its field's choices, or a NUL byte (PostgreSQL refuses the first and the
last with a server error, SQLite stores them silently).

Forms, API schemas and actions validate first, with messages that fit their page; this check runs
on every ``save()`` of a model of a Beffroi app (``pre_save``, connected by ``CoreConfig.ready``) and
raises a located ``UserError`` (field named by its label), so the action's transaction rolls back
and the caller answers 400 / exit 2 instead of a 500 or a stored value nobody chose. Bulk writes
(``bulk_create``, ``update()``) are not seen: the code that uses them validates its rows itself.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import pre_save
from django.utils.translation import gettext as _

from beffroi.core.errors import Problem, UserError

NUL = "\x00"


def has_nul(value: Any) -> bool:
    """Whether a text, or any text inside a JSON-like value, holds a NUL byte."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    return False


def nul_problem(field: str, label: str | None = None) -> Problem:
    return Problem(
        _("« %(label)s » contient un caractère nul (\\0) : retirez-le.") % {"label": label or field},
        field=field,
    )


def field_problems(instance: models.Model) -> list[Problem]:
    """What in ``instance`` its columns cannot hold or its choices do not allow."""
    problems: list[Problem] = []
    for field in instance._meta.concrete_fields:
        if field.primary_key:
            continue
        value = getattr(instance, field.attname, None)
        if value is None:
            continue
        label = str(field.verbose_name)
        if isinstance(field, (models.CharField, models.TextField)) and isinstance(value, str):
            if NUL in value:
                problems.append(nul_problem(field.name, label))
                continue
            if field.max_length and len(value) > field.max_length:
                problems.append(
                    Problem(
                        _("« %(label)s » : %(n)s caractères, au plus %(max)s.")
                        % {"label": label, "n": len(value), "max": field.max_length},
                        field=field.name,
                    )
                )
                continue
        elif isinstance(field, models.JSONField) and has_nul(value):
            problems.append(nul_problem(field.name, label))
            continue
        if field.choices and value not in field.empty_values:
            allowed = {str(k) for k, _label in field.flatchoices}
            if str(value) not in allowed:
                problems.append(
                    Problem(
                        _("« %(label)s » : valeur inconnue « %(value)s » (attendu : %(allowed)s).")
                        % {
                            "label": label,
                            "value": str(value)[:40],
                            "allowed": ", ".join(sorted(allowed)[:12]),
                        },
                        field=field.name,
                    )
                )
    return problems


def _check(sender, instance: models.Model, raw: bool = False, **kwargs) -> None:
    if raw:  # loading fixtures
        return
    problems = field_problems(instance)
    if problems:
        raise UserError(_("Données refusées : %(n)s champ(s) invalide(s).") % {"n": len(problems)}, problems)


def connect() -> None:
    """Check the models of the Beffroi apps (``beffroi.*``), not Django's or libraries'."""
    from django.apps import apps

    for model in apps.get_models():
        if model.__module__.startswith("beffroi."):
            pre_save.connect(_check, sender=model, dispatch_uid=f"beffroi-validate-{model._meta.label}")
