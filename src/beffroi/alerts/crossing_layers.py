"""What the alerts app adds to a crossing: subscriber counts, registered in ``AlertsConfig.ready``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from beffroi.crossing.geometry import Area


def subscribers_count_layer(area: Area, user: Any) -> dict | None:
    # Imported here: this module is registered by every process at start-up, the outbox workers
    # included, and the selectors bring the geometry libraries (a worker's start is citizens' wait).
    from beffroi.alerts import selectors

    try:
        n = selectors.count_subscribers_in_area(area.geojson, user=user)
    except PermissionDenied:
        return None
    return {
        "layer": "subscribers",
        "title": _("Abonnés aux alertes"),
        "figures": {"total": int(n)},
        "method": _(
            "Abonnés aux alertes dont l'adresse ou la zone suivie est dans la zone (nombre seulement)."
        ),
        "sources": [
            {
                "dataset": "alerts",
                "title": _("Abonnements aux alertes"),
                "updated_at": timezone.now().isoformat(),
                "synthetic": False,
                "licence": "",
                "origin": "beffroi.alerts",
            }
        ],
        "details": {},
    }
