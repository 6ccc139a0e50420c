"""What the registry releases to a crossing: counts only, registered in ``RegistryConfig.ready``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.core.permissions import has_perm

if TYPE_CHECKING:
    from beffroi.crossing.geometry import Area

# The registry's selectors are imported where they are called: this module is registered by every
# process at start-up (RegistryConfig.ready), the outbox workers included, and they bring the
# geometry libraries and numpy.


def registry_count_layer(area: Area, user: Any) -> dict | None:
    if not has_perm(user, "registry.view_counts"):
        return None
    from beffroi.registry import selectors

    try:
        released = selectors.count_in_area(area.geojson, user=user)
    except PermissionDenied:
        return None
    # The disclosure control decides what is shown: the number, or « moins de 5 » / « non
    # communiqué » with the reason.
    method = _(
        "Personnes du registre dont l'adresse localisée est dans la zone, dans vos communes, comptées "
        "par mailles fixes. Nombre seulement : aucun nom ne sort du registre."
    )
    return {
        "layer": "registry",
        "title": _("Registre des personnes vulnérables"),
        "figures": {"total": released.shown},
        "method": " ".join(filter(None, [method, released.message])),
        "sources": [
            {
                "dataset": "registry",
                "title": "Registre (R121-4 CASF)",
                "updated_at": timezone.now().isoformat(),
                "synthetic": False,
                "licence": "",
                "origin": "beffroi.registry",
            }
        ],
        "details": {},
    }


def registry_commune_counts(user: Any) -> dict[str, int | None] | None:
    """Per commune, the exact count when it may be shown, ``None`` for a small one."""
    if not has_perm(user, "registry.view_counts"):
        return None
    from beffroi.registry import selectors

    try:
        return {code: released.value for code, released in selectors.counts_by_commune(user=user).items()}
    except PermissionDenied:
        return None
