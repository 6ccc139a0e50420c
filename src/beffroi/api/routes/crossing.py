"""Crossing API: "who and what is in this area" (GeoJSON in, JSON out), profiles, scenarios."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema, Status

from beffroi.crossing import selectors

router = Router(tags=["crossing"])


class ExposureIn(Schema):
    area: dict[str, Any] | None = None
    commune: str | None = None
    iris: list[str] | None = None
    zone_dataset: str | None = None
    zone_level: float | None = None
    layers: list[str] | None = None
    buffer_m: float | None = None
    repair: bool = False
    at_hour: int | None = None


@router.post("/exposure", response=dict)
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


@router.get("/profile", response=dict)
def profile(request):
    """Territorial profile per commune of the user: age bands, 75+ share, facilities, index."""
    return selectors.territorial_profile(user=request.user)


@router.get("/scenario/{dataset}", response=dict)
def scenario(request, dataset: str):
    """What is in the hazard zone at each level of a zones-per-level dataset."""
    return selectors.scenario(dataset, user=request.user)


class ScenarioIn(Schema):
    area: dict[str, Any]
    repair: bool = False


@router.post("/scenario/{dataset}", response=dict)
def scenario_in_area(request, dataset: str, payload: ScenarioIn):
    """What is in the part of ``area`` reached by the hazard zone at each level."""
    return selectors.scenario(dataset, user=request.user, area=payload.area, repair=payload.repair)


class SaveIn(Schema):
    name: str
    area: dict[str, Any]
    layers: list[str] | None = None
    repair: bool = False


@router.get("/saved", response=dict)
def saved_list(request):
    """Saved crossings as a GeoJSON FeatureCollection (a map layer), headline figures as properties."""
    return {
        "type": "FeatureCollection",
        "features": [selectors.saved_layer(s) for s in selectors.saved_crossings(user=request.user)],
    }


@router.post("/saved", response={201: dict})
def saved_create(request, payload: SaveIn):
    from beffroi.crossing.actions import do_save_crossing

    saved = do_save_crossing(
        payload.name, payload.area, payload.layers, actor=request.user, repair=payload.repair
    )
    return Status(201, selectors.saved_layer(saved))


@router.post("/saved/{saved_id}/recompute", response=dict)
def saved_recompute(request, saved_id: int):
    from django.http import Http404

    from beffroi.crossing.actions import do_recompute_crossing

    saved = next((s for s in selectors.saved_crossings(user=request.user) if s.pk == saved_id), None)
    if saved is None:
        raise Http404
    return selectors.saved_layer(do_recompute_crossing(saved, actor=request.user))
