"""Alerts API: list, draft, reach report, FR-Alert text. Thin: calls the app's actions and selectors."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from ninja import Router, Schema

from beffroi.alerts import actions, selectors
from beffroi.alerts.fralert import request_text
from beffroi.core.permissions import require

router = Router(tags=["alerts"])


class DraftIn(Schema):
    hazard: str
    communes: list[str]
    texts: dict | None = None
    area: dict | None = None
    severity: str | None = None
    urgency: str | None = None
    certainty: str | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    web: str = ""
    contact: str = ""
    status: str = "Actual"
    crisis_id: int | None = None
    groups: list[str] = []


def _alert(request, pk: int):
    alert = selectors.alerts_for_user(request.user).filter(pk=pk).first()
    if alert is None:
        raise PermissionDenied("alert")
    return alert


@router.get("/")
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


@router.post("/")
def draft_alert(request, payload: DraftIn):
    alert = actions.do_draft_alert(actor=request.user, **payload.dict())
    return {"id": alert.pk, "warnings": getattr(alert, "warnings", [])}


@router.get("/{pk}/reach")
def reach(request, pk: int):
    return selectors.reach_report(_alert(request, pk), request.user)


@router.get("/{pk}/fralert")
def fralert(request, pk: int):
    return {"text": request_text(_alert(request, pk).latest())}
