"""Monitoring API: push observations, read indicators, decide proposals. Thin: actions and selectors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import SessionAuth

from beffroi.api.auth import TokenAuth
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import require
from beffroi.monitoring import actions, selectors

PREFIX = "/"
# Token first: ninja's SessionAuth raises "CSRF check Failed" on any POST without a CSRF cookie,
# before looking for a session, so a token-authenticated POST would never reach TokenAuth.
router = Router(tags=["monitoring"], auth=[TokenAuth(), SessionAuth()])
MAX_BATCH = 10_000


class PointIn(Schema):
    series: str
    at: Any = None
    value: Any = None
    unit: str = ""
    kind: str = "observation"


class ObservationsIn(Schema):
    points: list[PointIn]
    source: str = "api"


class StoredOut(Schema):
    stored: int


class DecisionIn(Schema):
    note: str = ""
    exercise: bool = False


@router.post("/observations", response={200: StoredOut})
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


@router.get("/indicators")
def list_indicators(request):
    """Every indicator the caller may see, with its state, thresholds, recent series and projection."""
    require(request.user, "monitoring.view_indicator")
    return selectors.dashboard(request.user)


@router.get("/indicators/{key}")
def get_indicator(request, key: str):
    indicator = selectors.get_indicator_for_user(request.user, key)
    if indicator is None:
        raise HttpError(404, "unknown indicator")
    return selectors.snapshot(indicator)


@router.get("/indicators/{key}/exposure")
def get_forecast_exposure(request, key: str):
    """What will be in the water at the forecast peak (stations linked to a zones-per-level dataset)."""
    indicator = selectors.get_indicator_for_user(request.user, key)
    if indicator is None:
        raise HttpError(404, "unknown indicator")
    return selectors.forecast_exposure(indicator, request.user) or {"peak": None, "zone": None}


@router.get("/proposals")
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


@router.post("/proposals/{proposal_id}/accept")
def accept_proposal(request, proposal_id: int, payload: DecisionIn):
    proposal = actions.do_accept_proposal(
        _proposal(request, proposal_id), note=payload.note, exercise=payload.exercise, actor=request.user
    )
    return actions.proposal_event(proposal)


@router.post("/proposals/{proposal_id}/dismiss")
def dismiss_proposal(request, proposal_id: int, payload: DecisionIn):
    proposal = actions.do_dismiss_proposal(
        _proposal(request, proposal_id), note=payload.note, actor=request.user
    )
    return actions.proposal_event(proposal)
