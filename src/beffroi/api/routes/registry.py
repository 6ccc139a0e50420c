"""Registry API: counts for every role; personal data only for nominated agents with a TOTP session
(a bearer token has no second factor, so it never reads personal data)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import Http404, JsonResponse
from ninja import Field, Router, Schema

from beffroi.api.errors import StrictIn, error_body, responses
from beffroi.core.permissions import require
from beffroi.registry import access, outreach
from beffroi.registry import selectors as registry_selectors
from beffroi.registry.selectors import count_in_area, counts_by_commune

router = Router(tags=["registry"])

# HTTP status of the answers of the disclosure control that give no figure.
REFUSED_STATUS = {"too_small": 422, "rate_limited": 429}


class AreaIn(StrictIn):
    area: dict[str, Any] = Field(min_length=1, description="a GeoJSON geometry or Feature (EPSG:4326)")


class OutcomeIn(StrictIn):
    outcome: Literal["ok", "help", "no_answer", "wrong_number"]
    note: str = Field(default="", max_length=1000, description="the caller's note (kept encrypted)")


class CountOut(Schema):
    count: int | None = Field(description="the number when it may be shown exactly, else null")
    status: str = Field(description="exact, small, withheld, too_small or rate_limited")
    label: str = Field(description="what to show: the number, « moins de 5 », « non communiqué »…")
    message: str = ""


class ProgressOut(Schema):
    total: int
    to_call: int
    reached: int
    escalated: int
    needs_help: int
    visits_to_do: int
    visits_done: int
    visits_absent: int = 0
    visits_refused: int = 0


class CallOut(Schema):
    assignment: int
    name: str
    phone: str
    age: int
    status: str
    attempts: int
    due: bool


class AssignmentOut(Schema):
    status: str
    attempts: int


class PersonOut(Schema):
    id: str
    last_name: str
    first_names: str
    age: int
    phone: str
    address: str
    consent: str


@router.get("/counts", response=responses(dict[str, int | str], 403))
def counts(request):
    """Registered people per commune (numbers only; small counts as « moins de 5 »)."""
    return {code: r.shown for code, r in counts_by_commune(user=request.user).items()}


@router.post("/count-in-area", response=responses(CountOut, 400, 403, 422, 429))
def count_area(request, body: AreaIn):
    """Registered people in an area, as the disclosure control releases it: ``count`` is the number
    when exact, else null with ``status`` (small, withheld, too_small, rate_limited) and a French
    ``label`` and ``message``. Area too small: 422; too many queries: 429."""
    released = count_in_area(body.area, user=request.user, reason="API")
    status = REFUSED_STATUS.get(released.status, 200)
    if status == 200:
        return released.as_dict()
    # A refusal is an error like the others (detail, problems), with the release's own fields.
    return JsonResponse({**error_body(released.message), **released.as_dict()}, status=status)


@router.get("/campaigns/{campaign_id}/progress", response=responses(ProgressOut, 400, 403, 404))
def campaign_progress(request, campaign_id: int):
    campaign = registry_selectors.campaign(campaign_id)
    require(request.user, "registry.view_counts", campaign.commune_code)
    return outreach.progress(campaign)


@router.get("/campaigns/{campaign_id}/my-calls", response=responses(list[CallOut], 400, 403, 404))
def my_calls(request, campaign_id: int):
    campaign = registry_selectors.campaign(campaign_id)
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


@router.post("/assignments/{assignment_id}/outcome", response=responses(AssignmentOut, 400, 403, 404))
def record_outcome(request, assignment_id: int, body: OutcomeIn):
    if not registry_selectors.assignment_exists(assignment_id):
        raise Http404("assignment")
    a = outreach.do_record_outcome(assignment_id, body.outcome, note=body.note, actor=request.user)
    return {"status": a.status, "attempts": a.attempts}


@router.get("/communes/{commune}/people", response=responses(list[PersonOut], 400, 403))
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
