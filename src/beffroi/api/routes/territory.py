from typing import Any

from ninja import Router, Schema

from beffroi.api.errors import responses
from beffroi.core.permissions import require
from beffroi.territory.selectors import boundaries_feature_collection, communes_for_user

router = Router(tags=["territory"])


class CommuneOut(Schema):
    code: str
    name: str
    department: str
    population: int | None
    epci_name: str
    town_hall_address: str
    town_hall_phone: str
    town_hall_email: str


class FeatureCollectionOut(Schema):
    """GeoJSON FeatureCollection (EPSG:4326), one Feature per commune with its code and name."""

    type: str
    features: list[dict[str, Any]]


@router.get("/communes", response=responses(list[CommuneOut], 403))
def list_communes(request):
    """The communes of the territory the caller may see."""
    require(request.user, "territory.view_commune")
    return communes_for_user(request.user)


@router.get("/communes.geojson", response=responses(FeatureCollectionOut, 403))
def communes_geojson(request):
    require(request.user, "territory.view_commune")
    return boundaries_feature_collection(communes_for_user(request.user))
