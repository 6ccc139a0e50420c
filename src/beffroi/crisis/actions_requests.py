"""Means with quantities: a quantity of a resource committed to a crisis, and requests for means from
one commune to another or to the intercommunal pool, answered accepted, partly or refused, then
returned.

What a resource can still give is computed, never stored: its quantity, less what is committed and
not released, less what was granted to a request and not returned (a resource lent whole by the
older ``do_lend_resource`` gives nothing until it comes back). Every step is written in the main
courante of the crises concerned: the requesting commune's crisis, and the open crisis of the
commune that owns the resource when it has one.

Permissions, in the communes they concern: committing and answering need ``crisis.change_resource``
in the owning commune (for the pool, owned by no commune: in any commune of the territory, the pool
being theirs together); requesting and returning need ``crisis.add_resourceloan`` in the requesting
commune (or ``change_resource`` in the owner's, who may take back what comes home).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor
from beffroi.core.audit import actor_label, record
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import has_perm, require
from beffroi.core.timeutil import to_paris, utcnow
from beffroi.crisis.actions import _append, _open
from beffroi.crisis.models import Commitment, Crisis, Resource, ResourceRequest
from beffroi.crisis.models.log import Category, Source
from beffroi.territory.selectors import territory_codes

POOL_LABEL = "mutualisation intercommunale"


def _owner(commune: str) -> str:
    return commune or POOL_LABEL


def _owner_perm(actor: Actor, perm: str, commune: str) -> None:
    # The pool belongs to the territory's communes together: a member of any of them may manage it.
    require(actor, perm, commune=commune or None)


def available(resource: Resource) -> int:
    """What the resource can still give now."""
    if resource.status in (Resource.Status.LENT, Resource.Status.UNAVAILABLE):
        return 0
    committed = Commitment.objects.filter(resource=resource, released_at__isnull=True).aggregate(
        n=Sum("quantity")
    )["n"]
    granted = ResourceRequest.objects.filter(
        resource=resource,
        status__in=[ResourceRequest.Status.ACCEPTED, ResourceRequest.Status.PARTIAL],
        returned_at__isnull=True,
    ).aggregate(n=Sum("granted"))["n"]
    return max(0, resource.quantity - int(committed or 0) - int(granted or 0))


def _when(value: datetime | None) -> str:
    return to_paris(value).strftime("%d/%m %H:%M") if value else "sans date de fin"


def _amount(quantity: int, resource_or_request: Any) -> str:
    unit = getattr(resource_or_request, "unit", "") or ""
    name = getattr(resource_or_request, "name", None) or getattr(resource_or_request, "label", "")
    return f"{quantity} {unit} {name}".replace("  ", " ").strip() if unit else f"{quantity} × {name}"


def open_crisis_of(commune: str) -> Crisis | None:
    """The open crisis of a commune (a real one before an exercise, the newest), or None."""
    if not commune:
        return None
    found = [c for c in Crisis.objects.filter(status=Crisis.Status.OPEN) if commune in c.communes]
    found.sort(key=lambda c: (c.exercise, -c.opened_at.timestamp()))
    return found[0] if found else None


def _log(crises: list[Crisis | None], text: str, *, actor: Actor) -> None:
    """Write the step in each distinct open crisis concerned (the chain lock is taken by _append)."""
    seen: set[int] = set()
    for crisis in crises:
        if crisis is not None and crisis.is_open and crisis.pk not in seen:
            seen.add(crisis.pk)
            _append(crisis, text=text, category=Category.ACTION, source=Source.CELL, actor=actor)


def _problems_of_time(until: datetime | None) -> list[Problem]:
    if until is not None and (until.tzinfo is None or until <= utcnow()):
        return [Problem("une date à venir, avec fuseau horaire", field="until")]
    return []


# --- commitments ---------------------------------------------------------------------------
def do_commit_resource(
    resource: Resource,
    crisis: Crisis,
    *,
    quantity: int,
    place: str,
    actor: Actor,
    until: datetime | None = None,
) -> Commitment:
    """Engage a quantity of one's own resource in a crisis (where, until when)."""
    _owner_perm(actor, "crisis.change_resource", resource.commune)
    problems = []
    if not isinstance(quantity, int) or quantity <= 0:
        problems.append(Problem("un nombre entier supérieur à 0", field="quantity"))
    if not (place or "").strip():
        problems.append(Problem("dites où le moyen est engagé", field="place"))
    problems += _problems_of_time(until)
    if resource.commune and resource.commune not in crisis.communes:
        problems.append(Problem("la crise ne concerne pas la commune propriétaire", field="crisis"))
    if problems:
        raise UserError("Impossible d'engager le moyen.", problems)
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        _open(crisis)
        left = available(resource)
        if quantity > left:
            raise UserError(
                f"{resource.name} : {left} disponible(s), {quantity} demandé(s).",
                [Problem("plus que le disponible", field="quantity")],
            )
        commitment = Commitment.objects.create(
            resource=resource,
            crisis=crisis,
            quantity=quantity,
            place=place.strip(),
            until=until,
            committed_at=utcnow(),
            committed_by=actor_label(actor),
        )
        record(
            actor,
            "crisis.resource.commit",
            commitment,
            commune=resource.commune or crisis.communes[0],
            detail={"resource": resource.pk, "quantity": quantity, "crisis": crisis.pk},
        )
        _log(
            [crisis],
            f"Engagement : {_amount(quantity, resource)} ({_owner(resource.commune)}) → {commitment.place}, "
            f"jusqu'au {_when(until)} (reste {left - quantity} disponible(s)).",
            actor=actor,
        )
    return commitment


def do_release_commitment(commitment: Commitment, *, actor: Actor) -> Commitment:
    """The committed quantity is back in stock."""
    _owner_perm(actor, "crisis.change_resource", commitment.resource.commune)
    with transaction.atomic():
        commitment = (
            Commitment.objects.select_for_update(of=("self",))
            .select_related("resource", "crisis")
            .get(pk=commitment.pk)
        )
        if commitment.released_at is not None:
            return commitment
        commitment.released_at = utcnow()
        commitment.save(update_fields=["released_at"])
        record(
            actor,
            "crisis.resource.release",
            commitment,
            commune=commitment.resource.commune or commitment.crisis.communes[0],
        )
        _log(
            [commitment.crisis],
            f"Fin d'engagement : {_amount(commitment.quantity, commitment.resource)} revenu(s) de "
            f"{commitment.place}.",
            actor=actor,
        )
    return commitment


# --- requests between communes ---------------------------------------------------------------
def do_request_resource(
    *,
    from_commune: str,
    to_commune: str,
    kind: str,
    label: str,
    quantity: int,
    actor: Actor,
    unit: str = "",
    place: str = "",
    until: datetime | None = None,
    note: str = "",
    crisis: Crisis | None = None,
) -> ResourceRequest:
    """Ask another commune (or the pool, ``to_commune=""``) for a quantity of means."""
    require(actor, "crisis.add_resourceloan", commune=from_commune)
    known = territory_codes()
    problems = []
    if from_commune not in known:
        problems.append(Problem(f"{from_commune} n'est pas dans le territoire", field="from_commune"))
    if to_commune and (to_commune not in known or to_commune == from_commune):
        problems.append(Problem("une autre commune du territoire, ou la mutualisation", field="to_commune"))
    if kind not in Resource.Kind.values:
        problems.append(Problem(f"type inconnu {kind!r}", field="kind"))
    if not (label or "").strip():
        problems.append(Problem("dites ce qui est demandé", field="label"))
    if not isinstance(quantity, int) or quantity <= 0:
        problems.append(Problem("un nombre entier supérieur à 0", field="quantity"))
    problems += _problems_of_time(until)
    if crisis is not None and from_commune not in crisis.communes:
        problems.append(Problem("la crise ne concerne pas la commune demandeuse", field="crisis"))
    if problems:
        raise UserError("Impossible d'envoyer la demande.", problems)
    with transaction.atomic():
        request = ResourceRequest.objects.create(
            from_commune=from_commune,
            to_commune=to_commune,
            crisis=crisis,
            kind=kind,
            label=label.strip(),
            quantity=quantity,
            unit=unit.strip(),
            place=place.strip(),
            until=until,
            note=note.strip(),
            requested_at=utcnow(),
            requested_by=actor_label(actor),
        )
        record(
            actor,
            "crisis.resource.request",
            request,
            commune=from_commune,
            detail={"to": to_commune or "pool", "quantity": quantity, "kind": kind},
        )
        _log(
            [crisis, open_crisis_of(to_commune)],
            f"Demande de moyens n°{request.pk} : {from_commune} demande {_amount(quantity, request)} à "
            f"{_owner(to_commune)}"
            + (f", pour {request.place}" if request.place else "")
            + f", jusqu'au {_when(until)}."
            + (f" {request.note}" if request.note else ""),
            actor=actor,
        )
    return request


def do_answer_request(
    request: ResourceRequest,
    *,
    decision: str,
    actor: Actor,
    resource: Resource | None = None,
    quantity: int = 0,
    note: str = "",
) -> ResourceRequest:
    """Answer a request: ``accepted`` (the whole quantity), ``partial`` (less) from one of the asked
    commune's resources, or ``refused`` (with a reason)."""
    _owner_perm(actor, "crisis.change_resource", request.to_commune)
    Status = ResourceRequest.Status
    decisions = {"accepted": Status.ACCEPTED, "partial": Status.PARTIAL, "refused": Status.REFUSED}
    problems = []
    if decision not in decisions:
        problems.append(Problem("accepted, partial ou refused", field="decision"))
    elif decision == "refused":
        if not (note or "").strip():
            problems.append(Problem("dites pourquoi la demande est refusée", field="note"))
    else:
        if resource is None or resource.commune != request.to_commune:
            problems.append(Problem(f"un moyen de {_owner(request.to_commune)}", field="resource"))
        if decision == "accepted":
            quantity = request.quantity
        elif not isinstance(quantity, int) or not 0 < quantity < request.quantity:
            problems.append(Problem(f"de 1 à {request.quantity - 1} (moins que demandé)", field="quantity"))
    if problems:
        raise UserError("Impossible de répondre à la demande.", problems)
    with transaction.atomic():
        request = (
            ResourceRequest.objects.select_for_update(of=("self",))
            .select_related("crisis")
            .get(pk=request.pk)
        )
        if request.status != Status.PENDING:
            raise UserError(
                f"La demande n°{request.pk} a déjà reçu une réponse ({request.get_status_display()}).",
                [Problem(_("déjà répondue"), field="decision")],
            )
        if decision != "refused":
            assert resource is not None
            resource = Resource.objects.select_for_update().get(pk=resource.pk)
            left = available(resource)
            if quantity > left:
                raise UserError(
                    f"{resource.name} : {left} disponible(s), {quantity} à prêter.",
                    [Problem("plus que le disponible", field="quantity")],
                )
            request.resource, request.granted = resource, quantity
        request.status = decisions[decision]
        request.answer_note = note.strip()
        request.answered_at, request.answered_by = utcnow(), actor_label(actor)
        request.save(
            update_fields=["status", "resource", "granted", "answer_note", "answered_at", "answered_by"]
        )
        record(
            actor,
            "crisis.resource.answer",
            request,
            commune=request.to_commune or request.from_commune,
            detail={
                "decision": decision,
                "granted": request.granted,
                "resource": getattr(resource, "pk", None),
            },
        )
        if decision == "refused":
            text = (
                f"Demande de moyens n°{request.pk} refusée par {_owner(request.to_commune)} : "
                f"{request.answer_note}"
            )
        else:
            assert resource is not None
            text = (
                f"Demande de moyens n°{request.pk} {request.get_status_display().lower()} par "
                f"{_owner(request.to_commune)} : {_amount(quantity, resource)} sur {request.quantity} "
                f"demandé(s), prêté(s) à {request.from_commune}."
                + (f" {request.answer_note}" if request.answer_note else "")
            )
        _log([request.crisis, open_crisis_of(request.to_commune)], text, actor=actor)
    return request


def do_return_request(request: ResourceRequest, *, actor: Actor) -> ResourceRequest:
    """What was lent for a request is back with its owner."""
    if not (
        has_perm(actor, "crisis.add_resourceloan", commune=request.from_commune)
        or has_perm(actor, "crisis.change_resource", commune=request.to_commune or None)
    ):
        require(actor, "crisis.add_resourceloan", commune=request.from_commune)  # audited refusal
        raise PermissionDenied("crisis.add_resourceloan")
    with transaction.atomic():
        request = (
            ResourceRequest.objects.select_for_update(of=("self",))
            .select_related("crisis", "resource")
            .get(pk=request.pk)
        )
        if not request.lent:
            raise UserError(
                f"La demande n°{request.pk} n'a rien de prêté à rendre ({request.get_status_display()}).",
                [Problem(_("rien de prêté"), field="status")],
            )
        request.status = ResourceRequest.Status.RETURNED
        request.returned_at, request.returned_by = utcnow(), actor_label(actor)
        request.save(update_fields=["status", "returned_at", "returned_by"])
        record(
            actor,
            "crisis.resource.return_request",
            request,
            commune=request.from_commune,
            detail={"granted": request.granted},
        )
        _log(
            [request.crisis, open_crisis_of(request.to_commune)],
            f"Demande de moyens n°{request.pk} : {_amount(request.granted, request.resource)} rendu(s) par "
            f"{request.from_commune} à {_owner(request.to_commune)}.",
            actor=actor,
        )
    return request
