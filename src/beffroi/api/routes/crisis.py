"""Crisis API: active crises, main courante (read, append), chain head and verification."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Router, Schema, Status

from beffroi.api.errors import StrictIn, responses
from beffroi.core.errors import UserError
from beffroi.core.permissions import require
from beffroi.crisis import actions, selectors
from beffroi.crisis.chain import verify

router = Router(tags=["crisis"])


class CrisisOut(Schema):
    id: int
    title: str
    hazard: str
    level: int
    communes: list[str]
    exercise: bool
    status: str
    opened_at: datetime
    closed_at: datetime | None


class EntryIn(StrictIn):
    text: str = Field(min_length=1, max_length=10_000)
    category: str = Field(
        min_length=1, max_length=40, description="info, decision, action or demande (or an alias)"
    )
    source: str = Field(
        min_length=1,
        max_length=40,
        description="telephone, radio, terrain, prefecture, sdis, police, courriel, habitant, media, "
        "cellule, systeme or autre (or an alias)",
    )
    occurred_at: datetime | None = None
    deferred: bool = False
    corrects_seq: int | None = Field(None, ge=1)
    location: str = Field("", max_length=200)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class EntryOut(Schema):
    seq: int
    recorded_at: datetime
    occurred_at: datetime
    deferred: bool
    author: str
    source: str
    category: str
    text: str
    location: str
    corrects_seq: int | None
    exercise: bool
    prev_hash: str
    hash: str


class ChainOut(Schema):
    length: int
    head: str
    short: str
    valid: bool
    broken_seq: int | None = None
    reason: str = ""


def _entry(e) -> dict:
    return {
        "seq": e.seq,
        "recorded_at": e.recorded_at,
        "occurred_at": e.occurred_at,
        "deferred": e.deferred,
        "author": e.author_label,
        "source": e.source,
        "category": e.category,
        "text": e.text,
        "location": e.location_label,
        "corrects_seq": e.corrects.seq if e.corrects else None,
        "exercise": e.exercise,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


@router.get("/", response=responses(list[CrisisOut], 400, 403))
def list_crises(request, active: bool = True):
    """Crises the caller may see (open ones by default)."""
    require(request.user, "crisis.view_crisis")
    if active:
        return selectors.active_crises(request.user)
    return list(selectors.crises_for_user(request.user))


@router.get("/{crisis_id}/entries", response=responses(list[EntryOut], 400, 403))
def list_entries(request, crisis_id: int, after: int = 0):
    """Main-courante entries, in order; ``after`` gives only those with a greater number."""
    crisis = selectors.get_crisis_for_user(request.user, crisis_id)
    require(request.user, "crisis.view_logentry")
    return [_entry(e) for e in selectors.entries(crisis).filter(seq__gt=after)]


@router.post("/{crisis_id}/entries", response=responses({201: EntryOut}, 400, 403))
def append_entry(request, crisis_id: int, payload: EntryIn):
    """Append an entry; the server sets the recorded time and links it into the hash chain."""
    crisis = selectors.get_crisis_for_user(request.user, crisis_id)
    corrects = None
    if payload.corrects_seq:
        corrects = selectors.entries(crisis).filter(seq=payload.corrects_seq).first() or payload.corrects_seq
    try:
        entry = actions.do_append_entry(
            crisis,
            text=payload.text,
            category=payload.category,
            source=payload.source,
            actor=request.user,
            occurred_at=payload.occurred_at,
            deferred=payload.deferred,
            corrects=corrects,
            location_label=payload.location,
            lat=payload.lat,
            lon=payload.lon,
        )
    except UserError as exc:
        # The action names its own arguments; the refusal names the fields of this API's body.
        for problem in exc.problems:
            problem.field = _API_FIELDS.get(problem.field or "", problem.field)
        raise
    return Status(201, _entry(entry))


_API_FIELDS = {"corrects": "corrects_seq", "location_label": "location"}


@router.get("/{crisis_id}/chain", response=responses(ChainOut, 400, 403))
def chain(request, crisis_id: int):
    """The chain head (to read out at a briefing) and the result of a full verification."""
    crisis = selectors.get_crisis_for_user(request.user, crisis_id)
    report = verify(crisis)
    return {
        "length": report.length,
        "head": report.head,
        "short": report.short_head,
        "valid": report.ok,
        "broken_seq": report.broken_seq,
        "reason": report.reason,
    }
