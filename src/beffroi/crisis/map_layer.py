"""The crisis cell's located facts for the monitoring map (registered in ``CrisisConfig.ready``)."""

from __future__ import annotations

from typing import Any

from beffroi.core.permissions import ALL_COMMUNES, has_perm, user_communes
from beffroi.crisis import selectors


def crisis_map_layer(user: Any, *, limit: int = 200) -> dict:
    """Main-courante entries with a position (open crises the user may see) and shelters of the
    user's communes; empty for a user who may not see crises."""
    if not has_perm(user, "crisis.view_crisis"):
        return {"crises": [], "entries": [], "shelters": []}
    crises = selectors.active_crises(user)
    entries = []
    for c in crises:
        for e in selectors.entries(c).filter(lat__isnull=False, lon__isnull=False).order_by("-seq")[:limit]:
            entries.append(
                {
                    "crisis": c.pk,
                    "crisis_title": c.title,
                    "exercise": c.exercise,
                    "seq": e.seq,
                    "text": e.text[:200],
                    "location": e.location_label,
                    "at": e.occurred_at.isoformat(),
                    "lat": float(e.lat),
                    "lon": float(e.lon),
                }
            )
    communes = user_communes(user)
    codes = None if ALL_COMMUNES in communes else sorted(communes)
    shelters = []
    if codes is not None:
        for s in selectors.shelters(codes):
            if s.lat is not None and s.lon is not None:
                shelters.append({"name": s.name, "capacity": s.capacity, "lat": s.lat, "lon": s.lon})
    return {
        "crises": [
            {"id": c.pk, "title": c.title, "level": c.level, "exercise": c.exercise, "communes": c.communes}
            for c in crises
        ],
        "entries": entries,
        "shelters": shelters,
    }
