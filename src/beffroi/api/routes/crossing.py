"""Crossing API: "who and what is in this area" (GeoJSON in, JSON out), profiles, scenarios."""

from __future__ import annotations

from typing import Any

from ninja import Field, Router, Schema, Status

from beffroi.api.errors import StrictIn, responses
from beffroi.crossing import selectors
from beffroi.crossing.actions import do_recompute_crossing, do_save_crossing

router = Router(tags=["crossing"])


COMMUNE = r"^[0-9][0-9AB][0-9]{3}$"
IRIS = r"^[0-9][0-9AB][0-9]{7}$"
# A GeoJSON geometry, Feature or FeatureCollection (EPSG:4326); the server checks its content.
GeoJSON = dict[str, Any]


class ExposureIn(StrictIn):
    area: GeoJSON | None = Field(None, min_length=1)
    commune: str | None = Field(None, pattern=COMMUNE)
    iris: list[str] | None = Field(None, min_length=1, max_length=1000)
    zone_dataset: str | None = Field(None, min_length=1, max_length=80)
    zone_level: float | None = None
    layers: list[str] | None = Field(None, max_length=50)
    buffer_m: float | None = Field(None, ge=0, le=50_000)
    repair: bool = False
    at_hour: int | None = Field(None, ge=0, le=23)


class AreaOut(Schema):
    geometry: GeoJSON
    km2: float
    communes: list[str]
    notes: list[str]
    repaired: bool


class ExposureOut(Schema):
    """Each layer: its figures, the method and the datasets (with dates) used."""

    area: AreaOut
    computed_at: str
    layers: list[dict[str, Any]]


class SourceRefOut(Schema):
    dataset: str
    title: str
    updated_at: str | None
    synthetic: bool
    licence: str
    origin: str


class ProfileOut(Schema):
    communes: list[dict[str, Any]]
    iris: list[dict[str, Any]]
    weights: dict[str, float]
    method: str
    sources: list[SourceRefOut]


class ScenarioOut(Schema):
    dataset: str
    title: str
    source: SourceRefOut
    levels: list[dict[str, Any]]
    in_area: bool


class SavedOut(Schema):
    """A saved crossing as a GeoJSON Feature; headline figures in ``properties``."""

    type: str
    id: int
    geometry: GeoJSON
    properties: dict[str, Any]


class SavedCollectionOut(Schema):
    type: str
    features: list[SavedOut]


@router.post("/exposure", response=responses(ExposureOut, 400, 403))
def exposure(request, payload: ExposureIn):
    """Figures per layer for the area (GeoJSON geometry, Feature or FeatureCollection in EPSG:4326).

    Instead of ``area``: ``commune`` (INSEE code), ``iris`` (IRIS codes) or ``zone_dataset`` and
    ``zone_level`` (e.g. the flood zone at one water height). Points and lines need ``buffer_m``;
    an invalid polygon is refused unless ``repair`` is true. Each layer gives its figures, the method
    and the datasets (with dates) used.
    """
    area = selectors.area_from(
        user=request.user,
        area=payload.area,
        commune=payload.commune,
        iris=payload.iris,
        zone_dataset=payload.zone_dataset,
        zone_level=payload.zone_level,
    )
    return selectors.exposure(
        area,
        payload.layers,
        user=request.user,
        repair=payload.repair,
        buffer_m=payload.buffer_m,
        at_hour=payload.at_hour,
    )


@router.get("/profile", response=responses(ProfileOut, 403))
def profile(request):
    """Territorial profile per commune of the user: age bands, 75+ share, facilities, index."""
    return selectors.territorial_profile(user=request.user)


@router.get("/scenario/{dataset}", response=responses(ScenarioOut, 400, 403))
def scenario(request, dataset: str):
    """What is in the hazard zone at each level of a zones-per-level dataset."""
    return selectors.scenario(dataset, user=request.user)


class ScenarioIn(StrictIn):
    area: GeoJSON = Field(min_length=1)
    repair: bool = False


@router.post("/scenario/{dataset}", response=responses(ScenarioOut, 400, 403))
def scenario_in_area(request, dataset: str, payload: ScenarioIn):
    """What is in the part of ``area`` reached by the hazard zone at each level."""
    return selectors.scenario(dataset, user=request.user, area=payload.area, repair=payload.repair)


class SaveIn(StrictIn):
    name: str = Field(min_length=1, max_length=120)
    area: GeoJSON = Field(min_length=1)
    layers: list[str] | None = Field(None, max_length=50)
    repair: bool = False


@router.get("/saved", response=responses(SavedCollectionOut, 403))
def saved_list(request):
    """Saved crossings as a GeoJSON FeatureCollection (a map layer), headline figures as properties."""
    return {
        "type": "FeatureCollection",
        "features": [selectors.saved_layer(s) for s in selectors.saved_crossings(user=request.user)],
    }


@router.post("/saved", response=responses({201: SavedOut}, 400, 403))
def saved_create(request, payload: SaveIn):
    saved = do_save_crossing(
        payload.name, payload.area, payload.layers, actor=request.user, repair=payload.repair
    )
    return Status(201, selectors.saved_layer(saved))


@router.post("/saved/{saved_id}/recompute", response=responses(SavedOut, 400, 403, 404))
def saved_recompute(request, saved_id: int):
    from django.http import Http404

    saved = next((s for s in selectors.saved_crossings(user=request.user) if s.pk == saved_id), None)
    if saved is None:
        raise Http404
    return selectors.saved_layer(do_recompute_crossing(saved, actor=request.user))
