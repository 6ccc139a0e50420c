"""Writes on the territory."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor
from beffroi.core.audit import record
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import require
from beffroi.territory import reference
from beffroi.territory.models import Commune


def _normalise(code: str) -> str:
    return code.strip().upper()


def do_add_communes(
    codes: Iterable[str], *, actor: Actor, progress: Callable[[str], None] | None = None
) -> list[Commune]:
    """Add communes to the territory from the reference list; all or nothing.

    A code that is not a commune raises ``UserError`` naming it and suggesting close matches.
    Adding a commune already present refreshes it from the reference.
    """
    require(actor, "territory.manage_territory", system=("cli", "demo"))
    wanted = list(dict.fromkeys(_normalise(c) for c in codes))
    if not wanted:
        raise UserError(_("Donnez au moins un code INSEE, par ex. beffroi territory add 92063."))
    found = reference.find_communes(wanted)
    missing = [c for c in wanted if c not in found]
    if missing:
        problems = []
        for code in missing:
            close = reference.suggest(code)
            hint = ", ".join(f"{c} {n} ({d})" for c, n, d in close) or "no close match"
            problems.append(
                Problem(
                    _("%(code)s n'est pas le code INSEE d'une commune. Codes proches : %(hint)s")
                    % {"code": repr(code), "hint": hint},
                    field="code",
                )
            )
        raise UserError(_("Code(s) INSEE inconnu(s) ; le territoire est inchangé."), problems)
    epcis = reference.epci_names()
    added = []
    with transaction.atomic():
        for code in wanted:
            ref = found[code]
            point = ref.town_hall_point()
            commune, created = Commune.objects.update_or_create(
                code=code,
                defaults={
                    "name": ref.name,
                    "department": ref.department,
                    "population": ref.population,
                    "epci_name": epcis.get(ref.epci_id, ""),
                    "boundary": ref.geometry_geojson(),
                    "town_hall_address": ref.town_hall_address,
                    "town_hall_phone": ref.town_hall_phone,
                    "town_hall_email": ref.town_hall_email,
                    "town_hall_website": ref.town_hall_website,
                    "town_hall_hours": reference.hours_as_text(ref.town_hall_hours),
                    "town_hall_lat": point[0] if point else None,
                    "town_hall_lon": point[1] if point else None,
                },
            )
            record(
                actor,
                "territory.add_commune" if created else "territory.refresh_commune",
                commune,
                commune=code,
            )
            added.append(commune)
            if progress:
                progress(code)
    return added
