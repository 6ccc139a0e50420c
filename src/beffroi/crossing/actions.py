"""Writes of the crossing app: saved crossings (a named area and its layers, kept up to date)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor, SystemActor, user_or_none
from beffroi.core.audit import record
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import require
from beffroi.crossing.models import SavedCrossing


def _summary(result: dict) -> dict:
    return {
        "area": {k: v for k, v in result["area"].items() if k != "geometry"},
        "computed_at": result["computed_at"],
        "layers": [{k: v for k, v in layer.items() if k != "details"} for layer in result["layers"]],
    }


def do_save_crossing(
    name: str, area: Any, layers: list[str] | None = None, *, actor: Actor, repair: bool = False
) -> SavedCrossing:
    """Save an area and its layers as a named crossing, with its figures computed now."""
    from beffroi.crossing.selectors import exposure

    require(actor, "crossing.add_savedcrossing")
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise UserError(
            _("Un croisement enregistré demande un nom de 1 à 120 caractères."),
            [Problem(_("nom invalide"), field="name")],
        )
    result = exposure(area, layers, user=actor, repair=repair)
    with transaction.atomic():
        saved = SavedCrossing.objects.create(
            name=name,
            commune_code=",".join(result["area"]["communes"])[:5]
            if len(result["area"]["communes"]) == 1
            else "",
            area=result["area"]["geometry"],
            layers=list(layers or []),
            result=_summary(result),
            created_by=user_or_none(actor),
            created_at=timezone.now(),
            computed_at=timezone.now(),
        )
        record(actor, "crossing.save", saved, detail={"name": name, "layers": saved.layers})
    return saved


def do_recompute_crossing(saved: SavedCrossing, *, actor: Actor) -> SavedCrossing:
    """Recompute a saved crossing's figures, with the rights of a user ``actor`` or, for the
    periodic refresh, of the crossing's author (so it never shows more than its author may see)."""
    from beffroi.crossing.selectors import exposure

    require(actor, "crossing.change_savedcrossing", system=("recompute_crossings",))
    user = saved.created_by if isinstance(actor, SystemActor) else actor
    if user is None:
        raise UserError(_("Ce croisement enregistré n'a plus d'auteur au nom duquel le recalculer."))
    result = exposure(saved.area, saved.layers or None, user=user, repair=True)
    with transaction.atomic():
        saved.result = _summary(result)
        saved.computed_at = timezone.now()
        saved.save(update_fields=["result", "computed_at"])
        record(actor, "crossing.recompute", saved, detail={"name": saved.name})
    return saved


def do_delete_crossing(saved: SavedCrossing, *, actor: Actor) -> None:
    require(actor, "crossing.delete_savedcrossing")
    with transaction.atomic():
        record(actor, "crossing.delete", saved, detail={"name": saved.name})
        saved.delete()
