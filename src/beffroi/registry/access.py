"""The gatekeepers: the ONLY place that reads the registry's personal data.

Every public function takes the reader, checks (1) the role permission in the record's commune,
(2) a TOTP-verified session, (3) an active nomination by the mayor in that commune, then writes one
``AccessLog`` row (who, when, which records by opaque id, why, which crisis) before returning data.
Names never leave through logs: the access log and the audit trail carry opaque ids only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import shapely
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from beffroi.core.audit import actor_label
from beffroi.core.audit import record as audit
from beffroi.core.errors import UserError
from beffroi.core.permissions import ALL_COMMUNES, has_perm, require_verified, user_communes
from beffroi.core.request_context import current_origin
from beffroi.crossing.geometry import parse_area, to_lambert93
from beffroi.crossing.selectors import points_in_area as crossing_points_in_area
from beffroi.registry import crypto, disclosure
from beffroi.registry.disclosure import ReleasedCount
from beffroi.registry.models import AccessLog, CallAssignment, Campaign, Nomination, Person, Visit, VisitRoute
from beffroi.registry.schema import PersonData, age_from, pcs_extension_enabled

COUNTS_PERM = "registry.view_counts"
MANAGER = Nomination.Scope.MANAGER
CALLER = Nomination.Scope.CALLER


# --- checks -------------------------------------------------------------------------------------


def nomination_for(user, commune: str) -> Nomination | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Nomination.objects.filter(user=user, commune_code=commune, revoked_at__isnull=True).first()


def check_reader(
    user, commune: str, *, scope: str = MANAGER, perm: str = "registry.view_person"
) -> Nomination:
    """Raise PermissionDenied unless ``user`` may read personal data of ``commune`` with ``scope``."""
    if not has_perm(user, perm, commune):
        if getattr(user, "is_authenticated", False):
            audit(user, "registry.denied", object_type="permission", object_id=perm, commune=commune)
        raise PermissionDenied(perm)
    require_verified(user)
    nomination = nomination_for(user, commune)
    if nomination is None or (scope == MANAGER and nomination.scope != MANAGER):
        audit(user, "registry.denied", object_type="nomination", object_id=scope, commune=commune)
        raise PermissionDenied("nomination")
    return nomination


def can_read(user, commune: str, *, scope: str = MANAGER) -> bool:
    try:
        check_reader(user, commune, scope=scope)
    except PermissionDenied:
        return False
    return True


def log_access(
    user,
    action: str,
    commune: str,
    records: Iterable[str],
    *,
    reason: str,
    crisis_id: str = "",
    campaign: Campaign | None = None,
    area: dict | None = None,
    answer: str = "",
) -> AccessLog:
    ids = list(records)
    return AccessLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        user_label=actor_label(user) if user is not None else "système",
        action=action,
        commune_code=commune,
        record_ids=ids,
        record_count=len(ids),
        reason=(reason or "")[:200],
        crisis_id=str(crisis_id or ""),
        campaign=campaign,
        channel=current_origin().channel,
        area=area,
        answer=answer[:80],
    )


# --- decryption (private) -----------------------------------------------------------------------


def aad_for(person: Person) -> str:
    return f"registry.person:{person.public_id}"


def decrypt_person(person: Person, ring=None) -> PersonData:
    return PersonData.from_dict(
        crypto.decrypt_json(person.payload, key_id=person.key_id, aad=aad_for(person), ring=ring)
    )


def note_aad(kind: str, pk: int) -> str:
    """Authenticated data of a call or visit note: the row it belongs to (a note cannot be moved)."""
    return f"registry.note:{kind}:{pk}"


def decrypt_note(row, kind: str, ring=None) -> str:
    if not row.note:
        return ""
    return str(
        crypto.decrypt_json(row.note, key_id=row.note_key_id, aad=note_aad(kind, row.pk), ring=ring).get(
            "note", ""
        )
    )


def decrypt_extension(person: Person, ring=None) -> dict:
    if not person.extension:
        return {}
    return crypto.decrypt_json(
        person.extension, key_id=person.key_id, aad=aad_for(person) + ":ext", ring=ring
    )


@dataclass
class PersonView:
    """A decrypted record, as shown to a nominated manager."""

    public_id: str
    commune_code: str
    data: PersonData
    source: str
    consent: str
    request_date: date
    ack_due: date
    ack_sent_at: object
    ack_received_at: object
    has_proof: bool = False
    extension: dict = field(default_factory=dict)

    @property
    def age(self) -> int:
        return self.data.age()

    def get_source_display(self) -> str:
        return str(dict(Person._meta.get_field("source").choices or []).get(self.source, self.source))

    def get_consent_display(self) -> str:
        return str(dict(Person._meta.get_field("consent").choices or []).get(self.consent, self.consent))


def _view(person: Person, ring=None) -> PersonView:
    return PersonView(
        public_id=person.public_id,
        commune_code=person.commune_code,
        data=decrypt_person(person, ring),
        source=person.source,
        consent=person.consent,
        request_date=person.request_date,
        ack_due=person.ack_due,
        ack_sent_at=person.ack_sent_at,
        ack_received_at=person.ack_received_at,
        has_proof=person.proofs.exists() if person.pk else False,
        extension=decrypt_extension(person, ring) if pcs_extension_enabled() else {},
    )


# --- reads for nominated managers ---------------------------------------------------------------


def list_people(user, commune: str, *, reason: str, crisis_id: str = "") -> list[PersonView]:
    check_reader(user, commune)
    people = list(Person.objects.filter(commune_code=commune))
    ring = crypto.keyring()
    views = [_view(p, ring) for p in people]
    views.sort(key=lambda v: (v.data.last_name.lower(), v.data.first_names.lower()))
    log_access(user, "list", commune, [v.public_id for v in views], reason=reason, crisis_id=crisis_id)
    return views


def get_person(user, public_id: str, *, reason: str, crisis_id: str = "") -> PersonView:
    person = Person.objects.filter(public_id=public_id).first()
    if person is None:
        raise PermissionDenied("unknown record")  # same answer as a refusal: ids are not probed
    check_reader(user, person.commune_code)
    log_access(user, "read", person.commune_code, [public_id], reason=reason, crisis_id=crisis_id)
    return _view(person)


def proof_of(user, public_id: str, *, reason: str) -> dict | None:
    person = Person.objects.filter(public_id=public_id).first()
    if person is None:
        raise PermissionDenied("unknown record")
    check_reader(user, person.commune_code)
    proof = person.proofs.order_by("-received_at").first()
    if proof is None:
        return None
    log_access(user, "read_proof", person.commune_code, [public_id], reason=reason)
    return crypto.decrypt_json(proof.content, key_id=proof.key_id, aad=aad_for(person) + f":proof:{proof.pk}")


def overdue_acknowledgements(user, commune: str, *, today: date | None = None) -> list[PersonView]:
    """Requests whose 8-day acknowledgement was not sent in time (R121-6)."""
    check_reader(user, commune)
    today = today or timezone.localdate()
    people = list(Person.objects.filter(commune_code=commune, ack_sent_at__isnull=True, ack_due__lt=today))
    views = [_view(p) for p in people]
    log_access(
        user, "list_overdue", commune, [v.public_id for v in views], reason="suivi des accusés de réception"
    )
    return views


def subject_access_export(user, public_id: str, *, reason: str) -> dict:
    """R121-10: a person sees only their own record. Everything held about them, as a dict."""
    person = Person.objects.filter(public_id=public_id).first()
    if person is None:
        raise PermissionDenied("unknown record")
    check_reader(user, person.commune_code)
    view = _view(person)
    log_access(user, "export_subject", person.commune_code, [public_id], reason=reason)
    data = view.data.to_dict()
    return {
        "reference": person.public_id,
        "commune": person.commune_code,
        "fields": data,
        "extension": view.extension,
        "source": person.source,
        "consent": person.consent,
        "request_date": person.request_date.isoformat(),
        "ack_due": person.ack_due.isoformat(),
        "ack_sent_at": person.ack_sent_at.isoformat() if person.ack_sent_at else None,
        "ack_received_at": person.ack_received_at.isoformat() if person.ack_received_at else None,
        "written_proof_on_file": view.has_proof,
        "recipients": ["maire et agents nommés du CCAS", "préfet sur demande (R121-8)"],
    }


def export_rows(user, commune: str, fields: list[str], *, reason: str, action: str) -> list[dict]:
    """Field-filtered rows for an export (the caller encrypts and logs the act)."""
    check_reader(user, commune, perm="registry.export_prefect")
    views = [_view(p) for p in Person.objects.filter(commune_code=commune)]
    log_access(user, action, commune, [v.public_id for v in views], reason=reason)
    return [{f: getattr(v.data, f) for f in fields} for v in views]


# --- targeting ----------------------------------------------------------------------------------


@dataclass
class Target:
    person_id: int
    public_id: str
    score: int
    in_zone: bool | None  # None: address not located
    age: int
    reached: bool
    lon: float | None
    lat: float | None


def points_in_area(area: dict, points: list[tuple]) -> set:
    """Ids of the (id, lon, lat) points inside the area, through the crossing app's contract function."""

    return set(crossing_points_in_area(area, points))


_SCORING_COLUMNS = ("pk", "public_id", "payload", "key_id", "extension")


def score_targets(
    people, area: dict | None, reached: set[int], *, ring=None, today: date | None = None
) -> list[Target]:
    """Priority: not reached yet, in the hazard zone (unknown location counts as possibly in),
    age, then living alone and floor when the PCS extension is on. Highest score first.

    ``people`` is a queryset of ``Person``. Scoring needs only the birth date
    and the location of each record: rows are read as tuples and each payload is decrypted to a
    plain dict, without building model instances or ``PersonData`` (at 20,000 people those two
    cost more than the decryption itself)."""
    ring = ring or crypto.keyring()
    today = today or timezone.localdate()
    extension = pcs_extension_enabled()
    rows = list(people.order_by().values_list(*_SCORING_COLUMNS))
    decoded = []
    for pk, public_id, payload, key_id, sealed_extension in rows:
        aad = f"registry.person:{public_id}"
        data = crypto.decrypt_json(payload, key_id=key_id, aad=aad, ring=ring)
        ext = (
            crypto.decrypt_json(sealed_extension, key_id=key_id, aad=aad + ":ext", ring=ring)
            if extension and sealed_extension
            else {}
        )
        decoded.append((pk, public_id, data, ext))
    located = [
        (pk, d["lon"], d["lat"])
        for pk, _id, d, _e in decoded
        if d.get("lon") is not None and d.get("lat") is not None
    ]
    inside = points_in_area(area, located) if area else None
    targets = []
    for pk, public_id, data, ext in decoded:
        age = age_from(date.fromisoformat(data["birth_date"]), today)
        lon, lat = data.get("lon"), data.get("lat")
        located_here = lon is not None and lat is not None
        in_zone = None if not located_here else (True if inside is None else pk in inside)
        score = 0
        if pk not in reached:
            score += 1000
        if in_zone is True:
            score += 300
        elif in_zone is None:
            score += 150  # not located: cannot be ruled out
        score += max(0, min(age, 105) - 60) * 3
        if ext.get("lives_alone"):
            score += 60
        floor = ext.get("floor")
        if isinstance(floor, int) and floor > 0:
            score += 10 * min(floor, 6)
        targets.append(Target(pk, public_id, score, in_zone, age, pk in reached, lon, lat))
    targets.sort(key=lambda t: (-t.score, t.person_id))
    return targets


def prioritised_list(
    user,
    commune: str,
    *,
    area: dict | None,
    reason: str,
    crisis_id: str = "",
    reached: set[int] | None = None,
    only_in_zone: bool = False,
) -> list[Target]:
    check_reader(user, commune)
    targets = score_targets(Person.objects.filter(commune_code=commune), area, reached or set())
    if only_in_zone and area:
        targets = [t for t in targets if t.in_zone is not False]
    log_access(user, "target", commune, [t.public_id for t in targets], reason=reason, crisis_id=crisis_id)
    return targets


# --- counts: the one disclosure-control function ------------------------------------------------


COUNT = "count"
COUNT_COMMUNES = "count_communes"


_cells_cache: dict[tuple, tuple[list[str], np.ndarray]] = {}


def _occupied_cells(communes: set[str] | None) -> tuple[list[str], np.ndarray]:
    """Occupied cells of the current grid and how many people each holds.

    The grouped query is cached in the process, keyed by a fingerprint of the rows in scope (count,
    highest id, last change): any registration, removal or change of a record gives a new key."""
    rows = Person.objects.all()
    if communes is not None:
        rows = rows.filter(commune_code__in=communes)
    # Three single-aggregate queries over the whole table, each answered from an index (SQLite and
    # PostgreSQL both optimise a lone MAX on an indexed column; a combined one scans the rows).
    everyone = Person.objects.order_by()
    mark = (
        everyone.count(),
        everyone.aggregate(top=Max("id"))["top"],
        everyone.aggregate(last=Max("updated_at"))["last"],
    )
    key = (connection.alias, tuple(sorted(communes or ())), communes is None, *mark)
    cached = _cells_cache.get(key)
    if cached is None:
        pairs = list(rows.exclude(cell="").order_by().values_list("cell").annotate(n=Count("id")))
        cached = (
            [c for c, _n in pairs],
            np.fromiter((n for _c, n in pairs), dtype=np.int64, count=len(pairs)),
        )
        _cells_cache.clear()  # one registry state at a time is enough
        _cells_cache[key] = cached
    return cached


def _inside(area_l93, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    if xs.size == 0:
        return np.zeros(0, dtype=bool)
    shapely.prepare(area_l93)
    return shapely.intersects_xy(area_l93, xs, ys)


def _covered_area_m2(area_l93, xs: np.ndarray, ys: np.ndarray, size: int) -> float:
    """Area of the grid cells (occupied or not) whose centre lies in the area, near the registry.

    Only the part of the area within 1 km of an occupied cell can hold anyone, so the grid is laid
    there (this keeps the count of cells bounded for a huge area)."""
    if xs.size == 0:
        return area_l93.area
    margin = 1000.0
    box = shapely.box(xs.min() - margin, ys.min() - margin, xs.max() + margin, ys.max() + margin)
    near = area_l93.intersection(box)
    if near.is_empty:
        return 0.0
    try:
        return len(disclosure.grid_cells_in(near, size)) * float(size) ** 2
    except ValueError:
        return near.area  # a territory too large to lay the grid on: the polygon's own area


def _cell_sets(areas: list, cells: list[str], xs, ys, kept) -> list[frozenset[str]]:
    out = []
    for area_l93 in areas:
        mask = _inside(area_l93, xs, ys)
        out.append(frozenset(cells[kept[i]] for i in np.flatnonzero(mask)))
    return out


def _count_scope(user) -> tuple[set[str] | None, str]:
    allowed = user_communes(user)
    if ALL_COMMUNES in allowed:
        return None, ALL_COMMUNES
    return allowed, (next(iter(allowed)) if len(allowed) == 1 else ALL_COMMUNES)


def release_count(user, area, *, reason: str = "", now=None) -> ReleasedCount:
    """How many registered people live in ``area`` (GeoJSON, EPSG:4326), in the user's communes, as
    far as disclosure control lets it out. The only way any app counts registered people in an area.

    In order: rate limit (``REGISTRY_COUNT_RATE_PER_HOUR`` per user), minimum area (the polygon and
    the cells whose centre it holds, ``REGISTRY_MIN_AREA_M2``), differencing (an area whose occupied
    cells differ from one of the user's released answers of the last ``REGISTRY_DIFFERENCING_HOURS``
    by a part that would itself be refused: under the minimum area or under the threshold), then the
    small-count threshold (« moins de 5 »). No decryption: counts are summed over the cells stored
    in clear. Every query, whatever its answer, is written to the access log with its area.
    """
    if not has_perm(user, COUNTS_PERM):
        raise PermissionDenied(COUNTS_PERM)
    disclosure.check_configuration()

    parsed = parse_area(area, repair=True)  # UserError (400) for something that is not an area
    now = now or timezone.now()
    size = disclosure.setting("REGISTRY_CELL_M")
    min_area = disclosure.setting("REGISTRY_MIN_AREA_M2")
    threshold = disclosure.setting("REGISTRY_SMALL_COUNT")
    per_hour = disclosure.setting("REGISTRY_COUNT_RATE_PER_HOUR")
    communes, log_commune = _count_scope(user)
    asked = parsed.geojson
    earlier = AccessLog.objects.filter(user=user, action=COUNT)
    with transaction.atomic():
        if earlier.filter(at__gte=now - timedelta(hours=1)).count() >= per_hour:
            result = disclosure.rate_limited(per_hour)
        else:
            result = _decide(
                to_lambert93(parsed.geometry),
                communes,
                earlier.filter(
                    at__gte=now - timedelta(hours=disclosure.setting("REGISTRY_DIFFERENCING_HOURS"))
                ),
                size=size,
                min_area=min_area,
                threshold=threshold,
            )
        log_access(
            user,
            COUNT,
            log_commune,
            [],
            reason=reason or "effectif dans une zone",
            area=dict(asked),
            answer=f"{result.status}: {result.label}",
        )
    return result


def _decide(area_l93, communes, earlier, *, size: int, min_area: int, threshold: int) -> ReleasedCount:
    cells, counts = _occupied_cells(communes)
    xs, ys, kept = disclosure.parse_cells(cells, size)
    if area_l93.area < min_area or _covered_area_m2(area_l93, xs, ys, size) < min_area:
        return disclosure.too_small(min_area)
    mask = _inside(area_l93, xs, ys)
    here = frozenset(cells[kept[i]] for i in np.flatnonzero(mask))
    by_cell = {cells[kept[i]]: int(counts[kept[i]]) for i in range(len(kept))}
    previous = []
    for row in earlier.filter(Q(answer__startswith="exact:") | Q(answer__startswith="small:")).values_list(
        "area", flat=True
    ):
        try:
            previous.append(to_lambert93(parse_area(row, repair=True).geometry))
        except UserError:
            continue
    for other in _cell_sets(previous, cells, xs, ys, kept):
        for part in (here - other, other - here):
            if not part:
                continue  # same occupied cells: the same answer, nothing new is learnt
            if len(part) * size * size < min_area or sum(by_cell[c] for c in part) < threshold:
                return disclosure.withheld()
    n = int(sum(by_cell[c] for c in here))
    return disclosure.small(threshold) if n < threshold else disclosure.exact(n)


def release_commune_counts(user, *, reason: str = "") -> dict[str, ReleasedCount]:
    """Registered people per commune of the user (the communes are fixed areas: no minimum-area or
    differencing rule, but the small-count threshold applies and the query is logged)."""
    if not has_perm(user, COUNTS_PERM):
        raise PermissionDenied(COUNTS_PERM)
    disclosure.check_configuration()
    threshold = disclosure.setting("REGISTRY_SMALL_COUNT")
    communes, log_commune = _count_scope(user)
    rows = Person.objects.all()
    if communes is not None:
        rows = rows.filter(commune_code__in=communes)
    raw = dict(rows.values_list("commune_code").annotate(n=Count("id")).values_list("commune_code", "n"))
    out = {
        code: disclosure.exact(n) if n >= threshold else disclosure.small(threshold)
        for code, n in raw.items()
    }
    log_access(
        user,
        COUNT_COMMUNES,
        log_commune,
        [],
        reason=reason or "effectifs par commune",
        answer=", ".join(f"{code}={r.label}" for code, r in sorted(out.items()))[:80],
    )
    return out


# --- outreach -----------------------------------------------------------------------------------


@dataclass
class CallRow:
    """What a caller sees: the minimum to make the call."""

    assignment_id: int
    name: str
    phone: str
    age: int
    emergency_contact: str
    status: str
    attempts: int
    last_outcome: str
    next_call_at: object
    due: bool
    located: bool = True
    notes: list[str] = field(default_factory=list)  # the call notes, oldest first


def caller_share(user, campaign: Campaign) -> list[CallRow]:
    """The caller's own share of a campaign, with minimal fields."""
    check_reader(user, campaign.commune_code, scope=CALLER)
    assignments = list(
        CallAssignment.objects.filter(campaign=campaign, caller=user)
        .select_related("person")
        .prefetch_related("attempt_set")
    )
    now = timezone.now()
    ring = crypto.keyring()
    rows = []
    for a in assignments:
        data = decrypt_person(a.person, ring)
        notes = [n for n in (decrypt_note(t, "callattempt", ring) for t in a.attempt_set.all()) if n]
        due = a.status == CallAssignment.Status.TO_CALL and (a.next_call_at is None or a.next_call_at <= now)
        rows.append(
            CallRow(
                a.pk,
                data.full_name,
                data.phone,
                data.age(),
                data.emergency_contact_line,
                a.status,
                a.attempts,
                a.last_outcome,
                a.next_call_at,
                due,
                located=data.lon is not None and data.lat is not None,
                notes=notes,
            )
        )
    rows.sort(key=lambda r: (not r.due, r.status != CallAssignment.Status.TO_CALL, r.next_call_at or now))
    log_access(
        user,
        "call_list",
        campaign.commune_code,
        [a.person.public_id for a in assignments],
        reason=f"campagne {campaign.pk}",
        crisis_id=campaign.crisis_id,
        campaign=campaign,
    )
    return rows


@dataclass
class VisitStop:
    visit_id: int
    order: int | None
    name: str
    address: str
    phone: str
    emergency_contact: str
    reason: str
    lon: float | None
    lat: float | None
    public_id: str = ""
    status: str = "to_visit"
    status_label: str = ""
    note: str = ""
    routed: bool = False

    @property
    def located(self) -> bool:
        return self.lon is not None and self.lat is not None


def _stop(v: Visit, ring) -> VisitStop:
    d = decrypt_person(v.person, ring)
    return VisitStop(
        v.pk,
        v.route_order,
        d.full_name,
        d.address,
        d.phone,
        d.emergency_contact_line,
        v.get_reason_display(),
        d.lon,
        d.lat,
        public_id=v.person.public_id,
        status=v.status,
        status_label=v.get_status_display(),
        note=decrypt_note(v, "visit", ring),
        routed=v.route_id is not None,
    )


def visit_stops(user, campaign: Campaign, *, route: VisitRoute | None = None, reason: str) -> list[VisitStop]:
    check_reader(user, campaign.commune_code)
    visits = Visit.objects.filter(campaign=campaign).select_related("person")
    if route is not None:
        visits = visits.filter(route=route).order_by("route_order")
    return _logged_stops(user, campaign, list(visits), "visit_list", reason)


def _logged_stops(user, campaign: Campaign, visits: list[Visit], action: str, reason: str) -> list[VisitStop]:
    ring = crypto.keyring()
    stops = [_stop(v, ring) for v in visits]
    log_access(
        user,
        action,
        campaign.commune_code,
        [v.person.public_id for v in visits],
        reason=reason,
        crisis_id=campaign.crisis_id,
        campaign=campaign,
    )
    return stops


def missing_from_routes(user, campaign: Campaign, *, reason: str) -> list[VisitStop]:
    """The visits still to do that are on no route of the campaign: their address is not located,
    or they were located or asked after the routes were computed. A printed route names them."""
    check_reader(user, campaign.commune_code)
    visits = list(
        Visit.objects.filter(campaign=campaign, status=Visit.Status.TO_VISIT, route__isnull=True)
        .select_related("person")
        .order_by("created_at", "id")
    )
    return _logged_stops(user, campaign, visits, "visit_missing", reason)


@dataclass
class ToLocate:
    """A person of a campaign whose address is not located: listed at the top of the pages."""

    public_id: str
    name: str
    address: str
    phone: str
    called: bool  # in the call list (else only asked a visit)
    visit_id: int | None
    visit_status: str


def to_locate(user, campaign: Campaign, *, reason: str) -> list[ToLocate]:
    """People of the campaign (called or to visit) whose address could not be located. A manager
    sees them all; a caller only those of their own share."""
    nomination = check_reader(user, campaign.commune_code, scope=CALLER)
    manager = nomination.scope == MANAGER
    # A located address always has a counting cell (disclosure.cell_of), so only rows without one
    # are decrypted: the list stays cheap on a large campaign. Each is still checked after decryption.
    mine = CallAssignment.objects.filter(campaign=campaign)
    if not manager:
        mine = mine.filter(caller=user)
    called = set(mine.values_list("person_id", flat=True))
    people: dict[int, Person] = {
        a.person_id: a.person for a in mine.filter(person__cell="").select_related("person")
    }
    visits = {}
    for v in Visit.objects.filter(campaign=campaign, person__cell="").select_related("person"):
        if manager or v.person_id in called:
            visits[v.person_id] = v
            people.setdefault(v.person_id, v.person)
    ring = crypto.keyring()
    out = []
    for pid, person in people.items():
        data = decrypt_person(person, ring)
        if data.lon is not None and data.lat is not None:
            continue
        visit = visits.get(pid)
        out.append(
            ToLocate(
                person.public_id,
                data.full_name,
                data.address,
                data.phone,
                pid in called,
                visit.pk if visit else None,
                visit.status if visit else "",
            )
        )
    out.sort(key=lambda t: t.name.lower())
    log_access(
        user,
        "to_locate",
        campaign.commune_code,
        [t.public_id for t in out],
        reason=reason,
        crisis_id=campaign.crisis_id,
        campaign=campaign,
    )
    return out


def in_campaign(user, campaign: Campaign, public_id: str) -> bool:
    """Whether the person is called or visited in the campaign (no personal data read)."""
    check_reader(user, campaign.commune_code)
    return (
        CallAssignment.objects.filter(campaign=campaign, person__public_id=public_id).exists()
        or Visit.objects.filter(campaign=campaign, person__public_id=public_id).exists()
    )


def visit_points(
    user, campaign: Campaign, visits: list[Visit]
) -> list[tuple[int, float | None, float | None]]:
    """Coordinates of the visits to plan routes (logged as a route computation)."""
    check_reader(user, campaign.commune_code)
    ring = crypto.keyring()
    points = []
    for v in visits:
        d = decrypt_person(v.person, ring)
        points.append((v.pk, d.lon, d.lat))
    log_access(
        user,
        "route_plan",
        campaign.commune_code,
        [v.person.public_id for v in visits],
        reason="calcul des tournées",
        crisis_id=campaign.crisis_id,
        campaign=campaign,
    )
    return points


# --- DPO ----------------------------------------------------------------------------------------


def access_log(user, communes: set[str] | None = None):
    """The access log, for the DPO (the maire and administrators): opaque ids only."""
    if not has_perm(user, "registry.view_accesslog"):
        raise PermissionDenied("registry.view_accesslog")
    rows = AccessLog.objects.all()
    allowed = user_communes(user)
    if ALL_COMMUNES not in allowed:
        rows = rows.filter(commune_code__in=allowed)
    if communes:
        rows = rows.filter(commune_code__in=communes)
    return rows
