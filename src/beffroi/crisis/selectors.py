"""Reads of crisis data other apps (and this app's views) may use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from beffroi.core.audit import record
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import ALL_COMMUNES, has_perm, require, user_communes
from beffroi.core.timeutil import utcnow
from beffroi.crisis.models import (
    POOL,
    Commitment,
    Contact,
    Crisis,
    LogChain,
    LogEntry,
    ReflexSheet,
    Resource,
    ResourceRequest,
    Shelter,
    ShelterEntry,
    Staffing,
    Task,
)
from beffroi.crisis.models.log import GENESIS, format_head
from beffroi.territory.selectors import communes


def _visible(qs: QuerySet, user: Any) -> QuerySet:
    """Crises whose communes intersect the user's communes (communes is a JSON list of codes)."""
    allowed = user_communes(user)
    if ALL_COMMUNES in allowed:
        return qs
    ids = [c.pk for c in qs.only("pk", "communes") if set(c.communes) & allowed]
    return qs.filter(pk__in=ids)


def active_crises(user: Any = None) -> list[Crisis]:
    """Open crises (and exercises), newest first; only those the user may see when a user is given."""
    qs = Crisis.objects.filter(status=Crisis.Status.OPEN)
    if user is not None:
        if not has_perm(user, "crisis.view_crisis"):
            return []
        qs = _visible(qs, user)
    return list(qs)


def crises_for_user(user: Any) -> QuerySet:
    if not has_perm(user, "crisis.view_crisis"):
        return Crisis.objects.none()
    return _visible(Crisis.objects.all(), user)


def can_see(user: Any, crisis: Crisis) -> bool:
    if not has_perm(user, "crisis.view_crisis"):
        return False
    allowed = user_communes(user)
    return ALL_COMMUNES in allowed or bool(set(crisis.communes) & allowed)


def get_crisis_for_user(user: Any, crisis_id: int) -> Crisis:
    crisis = Crisis.objects.filter(pk=crisis_id).first()
    if crisis is None or not can_see(user, crisis):
        raise PermissionDenied("crisis")
    return crisis


def entries(crisis: Crisis, *, category: str | None = None) -> QuerySet:
    qs = LogEntry.objects.filter(crisis=crisis).select_related("corrects").order_by("seq")
    if category:
        qs = qs.filter(category=category)
    return qs


def chain_head(crisis: Crisis) -> dict[str, Any]:
    head = LogChain.objects.filter(crisis=crisis).first()
    value = head.head_hash if head else GENESIS
    return {
        "length": head.length if head else 0,
        "hash": value,
        "short": format_head(value),
        "updated_at": head.updated_at if head else None,
    }


def tasks(crisis: Crisis, *, open_only: bool = False) -> QuerySet:
    qs = Task.objects.filter(crisis=crisis).select_related("assignee", "source_entry", "reflex_run")
    if open_only:
        qs = qs.filter(status__in=[Task.Status.TODO, Task.Status.DOING])
    return qs


def overdue_tasks(crisis: Crisis, *, now: datetime | None = None) -> QuerySet:
    """Open tasks whose due time has passed (computed now: no job flags them)."""
    return tasks(crisis, open_only=True).filter(deadline__lt=now or utcnow())


def open_tasks_by_owner(crisis: Crisis, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Open tasks grouped by who they are for (the wall screen, the crisis page), the groups with
    overdue tasks first; in each group the overdue, then by priority and due time."""
    now = now or utcnow()
    groups: dict[str, dict[str, Any]] = {}
    for task in tasks(crisis, open_only=True):
        owner = task.owner_label or _("Non attribuée")
        group = groups.setdefault(owner, {"owner": owner, "tasks": [], "overdue": 0})
        task.late = task.is_overdue(now)  # type: ignore[attr-defined]
        group["tasks"].append(task)
        group["overdue"] += int(task.late)  # type: ignore[attr-defined]
    far = now.replace(year=now.year + 100)
    for group in groups.values():
        group["tasks"].sort(key=lambda t: (not t.late, t.priority, t.deadline or far, t.pk))
    return sorted(groups.values(), key=lambda g: (-g["overdue"], -len(g["tasks"]), g["owner"]))


def tasks_for_user(crisis: Crisis, user: Any) -> list[Task]:
    """Open tasks of the crisis for this person: assigned to their account, or to a PCC cell they
    staff in this crisis now; overdue first."""
    if not getattr(user, "is_authenticated", False):
        return []
    cells = list(
        Staffing.objects.filter(crisis=crisis, user=user, ended_at__isnull=True).values_list(
            "cell", flat=True
        )
    )
    now = utcnow()
    found = list(tasks(crisis, open_only=True).filter(Q(assignee=user) | Q(cell__in=cells, cell__gt="")))
    for task in found:
        task.late = task.is_overdue(now)  # type: ignore[attr-defined]
    far = now.replace(year=now.year + 100)
    return sorted(found, key=lambda t: (not t.late, t.deadline or far, t.priority, t.pk))  # type: ignore[attr-defined]


def reflex_sheets(communes: list[str] | None = None, hazard: str | None = None) -> QuerySet:
    qs = ReflexSheet.objects.prefetch_related("items")
    if communes is not None:
        qs = qs.filter(Q(commune="") | Q(commune__in=communes))
    if hazard:
        qs = qs.filter(hazard=hazard)
    return qs


def directory(communes: list[str]) -> QuerySet:
    return Contact.objects.filter(commune__in=communes)


def resources(communes: list[str]) -> QuerySet:
    """These communes' resources, those lent to them, and the intercommunal pool's."""
    return Resource.objects.filter(Q(commune__in=communes) | Q(held_by__in=communes) | Q(commune=POOL))


def open_commitments(communes: list[str]) -> QuerySet:
    """Quantities of these communes' (and the pool's) resources engaged in a crisis, not released."""
    return (
        Commitment.objects.filter(released_at__isnull=True)
        .filter(Q(resource__commune__in=communes) | Q(resource__commune=POOL))
        .select_related("resource", "crisis")
    )


def resource_requests(communes: list[str], *, limit: int = 100) -> list[ResourceRequest]:
    """Requests for means made by these communes, or asked of them or of the pool, newest first."""
    qs = ResourceRequest.objects.filter(
        Q(from_commune__in=communes) | Q(to_commune__in=communes) | Q(to_commune=POOL)
    ).select_related("crisis", "resource")
    return list(qs[:limit])


def shelters(communes: list[str]) -> QuerySet:
    return Shelter.objects.filter(commune__in=communes)


def access_shelter_register(user: Any, shelter: Shelter) -> dict[str, list[ShelterEntry]]:
    """The register of one shelter (people present, then departed), for a reader allowed to see it.

    The only read of ``ShelterEntry`` rows: checks ``crisis.view_shelterentry`` in the shelter's
    commune and writes the read to the audit trail (personal data, RGPD art. 5(2) accountability).
    """
    require(user, "crisis.view_shelterentry", commune=shelter.commune)
    entries = list(ShelterEntry.objects.filter(shelter=shelter).order_by("-arrived_at"))
    record(
        user,
        "crisis.shelter.register.view",
        shelter,
        commune=shelter.commune,
        detail={"entries": len(entries)},
    )
    return {
        "present": [e for e in entries if e.departed_at is None],
        "departed": [e for e in entries if e.departed_at is not None],
    }


def crisis_communes_names(crisis: Crisis) -> list[str]:
    names = {c.code: c.name for c in communes()}
    return [f"{names.get(code, code)} ({code})" for code in crisis.communes]


def crisis_by_number(number: str) -> Crisis:
    """The crisis with that number, as typed on a command line; a clear error otherwise."""
    if not str(number).isdigit():
        raise UserError(
            _("Numéro de crise attendu (reçu : %(number)s).") % {"number": repr(number)},
            [Problem(_("pas un nombre"), field="crisis")],
        )
    crisis = Crisis.objects.filter(pk=int(number)).first()
    if crisis is None:
        raise UserError(
            _("Aucune crise numéro %(number)s.") % {"number": number},
            [Problem(_("crise inconnue"), field="crisis")],
        )
    return crisis
