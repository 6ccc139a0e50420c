"""Alerts API: list, draft, reach report, FR-Alert text. Thin: calls the app's actions and selectors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from beffroi.alerts import actions, selectors
from beffroi.alerts.fralert import request_text
from beffroi.api.errors import StrictIn, responses
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import require
from beffroi.crisis.selectors import crises_for_user

router = Router(tags=["alerts"])

# INSEE code of a commune (COG): 5 characters, Corsica's departments 2A and 2B included.
COMMUNE = r"^[0-9][0-9AB][0-9]{3}$"
Language = Literal["fr", "en", "falc"]
Severity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
Urgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
Certainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]
CommuneCode = Annotated[str, Field(pattern=COMMUNE)]


class TextIn(StrictIn):
    """One language's text; what is left out comes from the hazard's template."""

    headline: str | None = Field(None, max_length=140)
    description: str | None = None
    instruction: str | None = None


class CircleIn(StrictIn):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    radius_km: float = Field(gt=0, le=50)


class AlertAreaIn(StrictIn):
    """At least one of ``polygon`` (GeoJSON Polygon or Feature, EPSG:4326), ``circle``, ``communes``."""

    polygon: dict[str, Any] | None = None
    circle: CircleIn | None = None
    communes: list[CommuneCode] = Field(default_factory=list, max_length=100)
    description: str = Field("", max_length=300)


class DraftIn(StrictIn):
    hazard: str = Field(min_length=1, max_length=40)
    communes: list[CommuneCode] = Field(min_length=1, max_length=100)
    texts: dict[Language, TextIn] | None = None
    area: AlertAreaIn | None = None
    severity: Severity | None = None
    urgency: Urgency | None = None
    certainty: Certainty | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    web: str = Field("", max_length=200)
    contact: str = Field("", max_length=200)
    status: Literal["Actual", "Exercise", "Test"] = "Actual"
    crisis_id: int | None = None
    groups: list[str] = Field(default_factory=list, max_length=10)


class AlertOut(Schema):
    id: int
    commune: str
    hazard: str
    status: str
    cancelled: bool
    msgType: str | None
    state: str | None
    identifier: str | None
    headline: str | None


class DraftOut(Schema):
    id: int
    warnings: list[str]


class VersionReachOut(Schema):
    number: int
    identifier: str | None
    msgType: str
    sent: str | None
    targeted: int
    delivered: int
    failed: int
    pending: int
    by_channel: dict[str, dict[str, int]]
    failures: list[dict[str, Any]]


class ReachOut(Schema):
    alert: int
    status: str
    cancelled: bool
    targeted: int
    delivered: int
    failed: int
    pending: int
    unreachable_in_area: int | str | None
    area_counts: dict[str, Any]
    versions: list[VersionReachOut]


class FrAlertOut(Schema):
    text: str


def _alert(request, pk: int):
    alert = selectors.alerts_for_user(request.user).filter(pk=pk).first()
    if alert is None:
        raise PermissionDenied("alert")
    return alert


@router.get("/", response=responses(list[AlertOut], 403))
def list_alerts(request):
    require(request.user, "alerts.view_alert")
    out = []
    for alert in selectors.alerts_for_user(request.user)[:200]:
        latest = alert.latest()
        out.append(
            {
                "id": alert.pk,
                "commune": alert.commune,
                "hazard": alert.hazard,
                "status": alert.status,
                "cancelled": alert.cancelled,
                "msgType": latest.msg_type if latest else None,
                "state": latest.state if latest else None,
                "identifier": latest.identifier if latest else None,
                "headline": latest.text("fr").get("headline") if latest else None,
            }
        )
    return out


@router.post("/", response=responses(DraftOut, 400, 403))
def draft_alert(request, payload: DraftIn):
    """Draft an alert (its first message). ``texts`` is ``{language: {headline, description,
    instruction}}``; what is not given comes from the hazard's template."""
    fields = payload.dict()
    if payload.area is not None:
        fields["area"] = payload.area.dict(exclude_none=True)
    # Checked here: an unknown crisis would only fail at commit, as a database error.
    if (
        payload.crisis_id is not None
        and not crises_for_user(request.user).filter(pk=payload.crisis_id).exists()
    ):
        raise UserError(
            _("Crise %(id)s inconnue ou hors de vos communes.") % {"id": payload.crisis_id},
            [Problem(_("crise inconnue"), field="crisis_id")],
        )
    alert = actions.do_draft_alert(actor=request.user, **fields)
    return {"id": alert.pk, "warnings": getattr(alert, "warnings", [])}


@router.get("/{pk}/reach", response=responses(ReachOut, 400, 403))
def reach(request, pk: int):
    return selectors.reach_report(_alert(request, pk), request.user)


@router.get("/{pk}/fralert", response=responses(FrAlertOut, 400, 403))
def fralert(request, pk: int):
    return {"text": request_text(_alert(request, pk).latest())}
