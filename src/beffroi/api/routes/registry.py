"""Registry API: counts for every role; personal data only for nominated agents with a TOTP session
(a bearer token has no second factor, so it never reads personal data)."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from beffroi.core.permissions import require
from beffroi.registry import access, outreach
from beffroi.registry.models import CallAssignment, Campaign
from beffroi.registry.selectors import count_in_area, counts_by_commune

router = Router(tags=["registry"])


class AreaIn(Schema):
    area: dict


class OutcomeIn(Schema):
    outcome: str


# HTTP status of the answers of the disclosure control that give no figure.
REFUSED_STATUS = {"too_small": 422, "rate_limited": 429}


@router.get("/counts")
def counts(request):
    """Registered people per commune (numbers only; small counts as « moins de 5 »)."""
    return {code: r.shown for code, r in counts_by_commune(user=request.user).items()}


@router.post("/count-in-area")
def count_area(request, body: AreaIn):
    """Registered people in an area, as the disclosure control releases it: ``count`` is the number
    when exact, else null with ``status`` (small, withheld, too_small, rate_limited) and a French
    ``label`` and ``message``. Area too small: 422; too many queries: 429."""
    released = count_in_area(body.area, user=request.user, reason="API")
    status = REFUSED_STATUS.get(released.status, 200)
    body_out = {**released.as_dict(), "detail": released.message} if status != 200 else released.as_dict()
    if status == 200:
        return body_out
    return JsonResponse(body_out, status=status)


@router.get("/campaigns/{campaign_id}/progress")
def campaign_progress(request, campaign_id: int):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    require(request.user, "registry.view_counts", campaign.commune_code)
    return outreach.progress(campaign)


@router.get("/campaigns/{campaign_id}/my-calls")
def my_calls(request, campaign_id: int):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    rows = access.caller_share(request.user, campaign)
    return [
        {
            "assignment": r.assignment_id,
            "name": r.name,
            "phone": r.phone,
            "age": r.age,
            "status": r.status,
            "attempts": r.attempts,
            "due": r.due,
        }
        for r in rows
    ]


@router.post("/assignments/{assignment_id}/outcome")
def record_outcome(request, assignment_id: int, body: OutcomeIn):
    get_object_or_404(CallAssignment, pk=assignment_id)
    a = outreach.do_record_outcome(assignment_id, body.outcome, actor=request.user)
    return {"status": a.status, "attempts": a.attempts}


@router.get("/communes/{commune}/people")
def people(request, commune: str):
    views = access.list_people(request.user, commune, reason="API")
    return [
        {
            "id": v.public_id,
            "last_name": v.data.last_name,
            "first_names": v.data.first_names,
            "age": v.age,
            "phone": v.data.phone,
            "address": v.data.address,
            "consent": v.consent,
        }
        for v in views
    ]
