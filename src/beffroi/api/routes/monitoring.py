"""Monitoring API: push observations, read indicators, decide proposals. Thin: actions and selectors."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.security import SessionAuth

from beffroi.api.auth import TokenAuth
from beffroi.api.errors import StrictIn, responses
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import require
from beffroi.monitoring import actions, selectors

PREFIX = "/"
# Token first: ninja's SessionAuth raises "CSRF check Failed" on any POST without a CSRF cookie,
# before looking for a session, so a token-authenticated POST would never reach TokenAuth.
router = Router(tags=["monitoring"], auth=[TokenAuth(), SessionAuth()])
MAX_BATCH = 10_000


class PointIn(StrictIn):
    series: str = Field(max_length=120)
    # ``at`` and ``value`` are checked by the server point by point (ISO 8601 with a time zone; a
    # finite number), so that a bad batch gets every reason, located as ``points[i].field``.
    at: Any = Field(None, description="ISO 8601 with a time zone")
    value: Any = Field(None, description="a finite number")
    unit: str = Field("", max_length=20)
    kind: Literal["observation", "forecast"] = "observation"
    low: Any = Field(None, description="a forecast's low bound (optional)")
    high: Any = Field(None, description="a forecast's high bound (optional)")
    issued_at: Any = Field(None, description="when the forecast was issued (ISO 8601, optional)")


class ObservationsIn(StrictIn):
    points: list[PointIn] = Field(max_length=MAX_BATCH)
    source: str = Field("api", max_length=60)


class StoredOut(Schema):
    stored: int


class DecisionIn(StrictIn):
    note: str = Field("", max_length=2000)
    exercise: bool = False


class ThresholdOut(Schema):
    level: int
    name: str
    label: str
    value: float
    colour: str
    hysteresis: float
    min_minutes: int


class IndicatorOut(Schema):
    """One indicator's state. Series are ``[iso time, value]`` pairs; ``trend`` rows add the
    lower and upper bounds; ``next_threshold`` is when the next level would be reached, if ever
    (with ``day`` and ``days_ahead`` for a forecast given per day, e.g. the ATMO index for tomorrow)."""

    key: str
    label: str
    unit: str
    source: str
    source_url: str
    series: str
    commune: str
    hazard: str
    public: bool
    demo: bool
    zones_dataset: str
    lat: float | None
    lon: float | None
    direction: str
    value: float | None
    at: str | None
    age_minutes: int | None
    stale: bool
    stale_after_minutes: int
    level: int
    level_label: str
    colour: str
    since: str | None
    pending_level: int | None
    thresholds: list[ThresholdOut]
    observations: list[list[Any]]
    forecast: list[list[Any]]
    forecast_band: list[list[Any]] = []
    forecast_issued_at: str | None = None
    trend: list[list[Any]]
    trend_method: str | None = None
    trend_slope_per_hour: float | None
    next_threshold: dict[str, Any] | None


class DashboardOut(Schema):
    indicators: list[IndicatorOut]
    now: str


class ForecastExposureOut(Schema):
    """``peak`` is null when no forecast (or no zones-per-level dataset) is linked to the station."""

    peak: float | None
    zone: dict[str, Any] | None
    peak_at: str | None = None
    basis: str | None = None
    unit: str | None = None
    dataset: str | None = None
    title: str | None = None
    source: dict[str, Any] | None = None
    first_level: float | None = None


class ProposalOut(Schema):
    id: int
    indicator: str
    commune: str
    action: str
    title: str
    text: str
    level: int
    level_label: str
    status: str
    created_at: datetime
    decided_by: str | None
    result: Any


@router.post("/observations", response=responses(StoredOut, 400, 403))
def push_observations(request, payload: ObservationsIn):
    """Store a batch of observations or forecasts (all or nothing) and evaluate the thresholds.

    Each point: ``series`` (an indicator's series key), ``at`` (ISO 8601 with a time zone), ``value``
    (a number), ``unit`` (the indicator's unit, or a convertible one such as mm for m), ``kind``
    (``observation`` or ``forecast``). A bad point gives 400 with the reason per point; nothing is stored.
    """
    require(request.user, "monitoring.add_observation")
    if len(payload.points) > MAX_BATCH:
        raise UserError(
            f"at most {MAX_BATCH} points per request", [Problem("batch too large", field="points")]
        )
    points = [p.dict() for p in payload.points]
    source = f"api:{request.user.get_username()}:{payload.source}"[:120]
    stored = actions.do_ingest_points(points, source=source, actor=request.user, strict=True)
    return {"stored": stored}


@router.get("/indicators", response=responses(DashboardOut, 403))
def list_indicators(request):
    """Every indicator the caller may see, with its state, thresholds, recent series and projection."""
    require(request.user, "monitoring.view_indicator")
    return selectors.dashboard(request.user)


@router.get("/indicators/{key}", response=responses(IndicatorOut, 403, 404))
def get_indicator(request, key: str):
    indicator = selectors.get_indicator_for_user(request.user, key)
    if indicator is None:
        raise HttpError(404, _("Indicateur inconnu."))
    return selectors.snapshot(indicator)


@router.get("/indicators/{key}/exposure", response=responses(ForecastExposureOut, 400, 403, 404))
def get_forecast_exposure(request, key: str):
    """What will be in the water at the forecast peak (stations linked to a zones-per-level dataset)."""
    indicator = selectors.get_indicator_for_user(request.user, key)
    if indicator is None:
        raise HttpError(404, _("Indicateur inconnu."))
    return selectors.forecast_exposure(indicator, request.user) or {"peak": None, "zone": None}


@router.get("/proposals", response=responses(list[ProposalOut], 400, 403))
def list_proposals(request, pending: bool = False):
    require(request.user, "monitoring.view_indicator")
    return [
        actions.proposal_event(p) for p in selectors.proposals_for_user(request.user, pending_only=pending)
    ]


def _proposal(request, proposal_id: int):
    proposal = selectors.get_proposal_for_user(request.user, proposal_id)
    if proposal is None:
        raise PermissionDenied("proposal")
    return proposal


@router.post("/proposals/{proposal_id}/accept", response=responses(ProposalOut, 400, 403))
def accept_proposal(request, proposal_id: int, payload: DecisionIn):
    proposal = actions.do_accept_proposal(
        _proposal(request, proposal_id), note=payload.note, exercise=payload.exercise, actor=request.user
    )
    return actions.proposal_event(proposal)


@router.post("/proposals/{proposal_id}/dismiss", response=responses(ProposalOut, 400, 403))
def dismiss_proposal(request, proposal_id: int, payload: DecisionIn):
    proposal = actions.do_dismiss_proposal(
        _proposal(request, proposal_id), note=payload.note, actor=request.user
    )
    return actions.proposal_event(proposal)
