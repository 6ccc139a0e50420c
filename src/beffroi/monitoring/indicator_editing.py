"""Editing an indicator: its definition and thresholds, created or changed by a user."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from beffroi.core import audit
from beffroi.core.actors import Actor
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import require
from beffroi.monitoring.models import (
    Indicator,
    IndicatorState,
    Threshold,
)


def do_save_indicator(
    *,
    key: str,
    label: str,
    unit: str,
    source: str,
    series: str,
    commune: str,
    actor: Actor,
    thresholds: list[dict] | None = None,
    create_only: bool = False,
    **fields,
) -> Indicator:
    """Create or update an indicator and (if given) replace its thresholds.

    ``thresholds``: [{"level": 1, "name": "vigilance", "label": "Vigilance", "value": 3.2,
    "colour": "#f2c200", "hysteresis": 0.1, "min_duration": timedelta(minutes=30)}, ...]

    ``create_only``: refuse (``UserError`` on field ``key``) when an indicator already has this key,
    so a creation form can never overwrite an existing indicator and its levels. A series followed by
    another indicator is refused either way (field ``series``) rather than left to the database.
    """
    require(actor, "monitoring.manage_indicator", commune, system=("demo", "cli"))
    problems = _taken(key=key, series=series, create_only=create_only)
    if problems:
        raise UserError(_("clé ou série d'indicateur déjà utilisée"), problems)
    if thresholds:
        ordered = sorted(thresholds, key=lambda t: t["level"])
        sign = -1 if fields.get("direction") == Indicator.Direction.BELOW else 1
        for a, b in zip(ordered, ordered[1:], strict=False):
            if b["value"] * sign <= a["value"] * sign:
                problems.append(
                    Problem(
                        _("le seuil du niveau %(level)s doit dépasser celui du niveau %(level2)s")
                        % {"level": b["level"], "level2": a["level"]},
                        field="thresholds",
                    )
                )
        for t in ordered:
            if t.get("hysteresis", 0) < 0:
                problems.append(
                    Problem(
                        _("l'hystérésis doit être positive ou nulle"),
                        field=f"thresholds[{t['level']}].hysteresis",
                    )
                )
    if problems:
        raise UserError("invalid thresholds", problems)
    values = {"label": label, "unit": unit, "source": source, "series": series, "commune": commune}
    try:
        with transaction.atomic():
            if create_only:
                indicator, created = Indicator.objects.create(key=key, **values, **fields), True
            else:
                indicator, created = Indicator.objects.update_or_create(
                    key=key, defaults={**values, **fields}
                )
            if thresholds is not None:
                indicator.thresholds.all().delete()
                Threshold.objects.bulk_create(
                    [
                        Threshold(
                            indicator=indicator,
                            level=t["level"],
                            name=t.get("name", f"n{t['level']}"),
                            label=t.get("label", t.get("name", "")),
                            colour=t.get("colour", "#f2c200"),
                            value=t["value"],
                            hysteresis=t.get("hysteresis", 0),
                            min_duration=t.get("min_duration") or timedelta(0),
                        )
                        for t in thresholds
                    ]
                )
            IndicatorState.objects.get_or_create(indicator=indicator)
            audit.record(
                actor,
                "monitoring.indicator_created" if created else "monitoring.indicator_updated",
                indicator,
                commune=commune,
                detail={"series": series, "thresholds": len(thresholds or [])},
            )
    except IntegrityError:
        # Another request took the key or the series between the check above and the write.
        taken = _taken(key=key, series=series, create_only=create_only)
        if not taken:
            raise
        raise UserError(_("clé ou série d'indicateur déjà utilisée"), taken) from None
    return indicator


def _taken(*, key: str, series: str, create_only: bool) -> list[Problem]:
    """The key (when creating) and the series are each one indicator's: say which one is in use."""
    problems = []
    if create_only and Indicator.objects.filter(key=key).exists():
        problems.append(
            Problem(_("un indicateur de clé %(key)s existe déjà") % {"key": repr(key)}, field="key")
        )
    if Indicator.objects.filter(series=series).exclude(key=key).exists():
        problems.append(
            Problem(
                _("la série %(series)s est déjà suivie par un autre indicateur") % {"series": repr(series)},
                field="series",
            )
        )
    return problems
