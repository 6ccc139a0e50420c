"""Reads of the territory other apps may use."""

from __future__ import annotations

from typing import Any

from beffroi.core.permissions import ALL_COMMUNES, user_communes
from beffroi.territory.models import Commune


def territory_codes() -> set[str]:
    return set(Commune.objects.values_list("code", flat=True))


def communes() -> list[Commune]:
    return list(Commune.objects.all())


def commune_names(codes) -> dict[str, str]:
    """Names of the given communes of the territory, by code (no boundaries read)."""
    return dict(Commune.objects.filter(code__in=list(codes)).values_list("code", "name"))


def communes_for_user(user: Any) -> list[Commune]:
    allowed = user_communes(user)
    qs = Commune.objects.all()
    if ALL_COMMUNES not in allowed:
        qs = qs.filter(code__in=allowed)
    return list(qs)


def boundaries_feature_collection(selected: list[Commune]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": c.code,
                "geometry": c.boundary,
                "properties": {"code": c.code, "name": c.name, "population": c.population},
            }
            for c in selected
        ],
    }
