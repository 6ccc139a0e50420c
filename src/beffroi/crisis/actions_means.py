"""Writes on the directory, resources, loans and shelters (tasks and reflex sheets: ``actions_tasks``,
re-exported here for the callers that import them from this module)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor
from beffroi.core.audit import actor_label, record
from beffroi.core.errors import Problem, UserError
from beffroi.core.events import publish_event
from beffroi.core.permissions import require
from beffroi.core.signals import public_content_changed
from beffroi.core.timeutil import utcnow
from beffroi.crisis.actions import _append, do_append_entry
from beffroi.crisis.actions_requests import available
from beffroi.crisis.actions_tasks import (  # noqa: F401  (re-exported: callers import them from here)
    do_assign_task,
    do_create_task,
    do_save_reflex_sheet,
    do_set_task_status,
    do_start_reflex_sheet,
)
from beffroi.crisis.models import (
    Contact,
    Crisis,
    Need,
    Resource,
    ResourceLoan,
    Shelter,
    ShelterEntry,
)
from beffroi.crisis.models.log import Category, Source
from beffroi.territory.selectors import territory_codes

# --- directory -----------------------------------------------------------------------------
CONTACT_FIELDS = (
    "kind",
    "name",
    "organisation",
    "function",
    "cell",
    "phone",
    "on_duty_phone",
    "email",
    "notes",
)


def quantity_text(resource) -> str:
    """« 40 lits » with a unit, « 40 » without (never « 40  »)."""
    return f"{resource.quantity} {resource.unit}".strip()


def do_save_contact(*, commune: str, actor: Actor, contact: Contact | None = None, **fields) -> Contact:
    require(
        actor, "crisis.change_contact" if contact else "crisis.add_contact", commune=commune, system=("demo",)
    )
    if not (fields.get("name") or "").strip():
        raise UserError(_("Un contact doit avoir un nom."), [Problem(_("obligatoire"), field="name")])
    with transaction.atomic():
        contact = contact or Contact(commune=commune)
        for key in CONTACT_FIELDS:
            if key in fields:
                setattr(contact, key, fields[key] or "")
        contact.updated_at = utcnow()
        contact.save()
        record(actor, "crisis.contact.save", contact, commune=commune)
    return contact


def do_delete_contact(contact: Contact, *, actor: Actor) -> None:
    require(actor, "crisis.delete_contact", commune=contact.commune)
    with transaction.atomic():
        record(
            actor, "crisis.contact.delete", contact, commune=contact.commune, detail={"name": contact.name}
        )
        contact.delete()


# --- resources and loans -------------------------------------------------------------------
def do_save_resource(*, commune: str, actor: Actor, resource: Resource | None = None, **fields) -> Resource:
    require(
        actor,
        "crisis.change_resource" if resource else "crisis.add_resource",
        commune=commune,
        system=("demo",),
    )
    if not (fields.get("name") or "").strip():
        raise UserError(_("Un moyen doit avoir un nom."), [Problem(_("obligatoire"), field="name")])
    with transaction.atomic():
        resource = resource or Resource(commune=commune)
        for key in ("name", "kind", "quantity", "unit", "location", "status", "notes"):
            if key in fields:
                setattr(resource, key, fields[key])
        resource.updated_at = utcnow()
        resource.save()
        record(actor, "crisis.resource.save", resource, commune=commune)
    return resource


def do_lend_resource(
    resource: Resource, *, to_commune: str, actor: Actor, crisis: Crisis | None = None, note: str = ""
) -> ResourceLoan:
    """Lend a resource of one commune to another of the territory; logged in the crisis if given."""

    require(actor, "crisis.add_resourceloan", commune=resource.commune)
    if to_commune not in territory_codes() or to_commune == resource.commune:
        raise UserError(
            _("Prêtez à une autre commune du territoire."),
            [Problem(_("commune invalide"), field="to_commune")],
        )
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        if resource.status != Resource.Status.AVAILABLE:
            raise UserError(
                _("%(name)s n'est pas disponible (%(display)s).")
                % {"name": resource.name, "display": resource.get_status_display()},
                [Problem(_("indisponible"), field="resource")],
            )
        if available(resource) < resource.quantity:
            # part of it is committed to a crisis or lent for a request: lend what is left by a request
            raise UserError(
                f"{resource.name} : {available(resource)} sur {resource.quantity} disponible(s) ; "
                "une partie est engagée ou prêtée.",
                [Problem("partly engaged", field="resource")],
            )
        loan = ResourceLoan.objects.create(
            resource=resource,
            from_commune=resource.commune,
            to_commune=to_commune,
            crisis=crisis,
            lent_at=utcnow(),
            lent_by=actor_label(actor),
            note=note,
        )
        resource.status, resource.held_by, resource.updated_at = Resource.Status.LENT, to_commune, utcnow()
        resource.save(update_fields=["status", "held_by", "updated_at"])
        record(
            actor,
            "crisis.resource.lend",
            loan,
            commune=resource.commune,
            detail={"resource": resource.name, "to": to_commune},
        )
        if crisis is not None and crisis.is_open:
            _append(
                crisis,
                text=f"Mutualisation : {resource.name} ({quantity_text(resource)}) prêté par "
                f"{resource.commune} à {to_commune}. {note}".strip(),
                category=Category.ACTION,
                source=Source.CELL,
                actor=actor,
            )
    return loan


def do_return_resource(loan: ResourceLoan, *, actor: Actor) -> ResourceLoan:
    require(actor, "crisis.add_resourceloan", commune=loan.from_commune)
    with transaction.atomic():
        loan.returned_at = utcnow()
        loan.save(update_fields=["returned_at"])
        Resource.objects.filter(pk=loan.resource_id).update(
            status=Resource.Status.AVAILABLE, held_by="", updated_at=utcnow()
        )
        record(actor, "crisis.resource.return", loan, commune=loan.from_commune)
        if loan.crisis and loan.crisis.is_open:
            _append(
                loan.crisis,
                text=f"Mutualisation : {loan.resource.name} rendu par {loan.to_commune} à "
                f"{loan.from_commune}.",
                category=Category.ACTION,
                source=Source.CELL,
                actor=actor,
            )
    return loan


# --- shelters ------------------------------------------------------------------------------
SHELTER_FIELDS = (
    "name",
    "address",
    "kind",
    "capacity",
    "accessible",
    "accessibility_notes",
    "lat",
    "lon",
    "contact",
    "contact_phone",
    "keeps_register",
)


class OverCapacity(UserError):
    """The change would put more people in the shelter than its capacity: ask, then allow."""


def _public_changed(reason: str) -> None:
    # After the commit, so the public site is rebuilt from what was really written.
    transaction.on_commit(lambda: public_content_changed.send_robust(sender=Shelter, reason=reason))


def shelter_crisis(shelter: Shelter) -> Crisis | None:
    """The open crisis of the shelter's commune (a real one before an exercise), where it is logged."""
    open_ = [c for c in Crisis.objects.filter(status=Crisis.Status.OPEN) if shelter.commune in c.communes]
    open_.sort(key=lambda c: (c.exercise, -c.opened_at.timestamp() if c.opened_at else 0))
    return open_[0] if open_ else None


def _log(shelter: Shelter, text: str, *, actor: Actor, crisis: Crisis | None = None) -> None:
    crisis = crisis or shelter_crisis(shelter)
    if crisis is not None and crisis.is_open:
        do_append_entry(crisis, text=text, category=Category.ACTION, source=Source.CELL, actor=actor)


def _publish(shelter: Shelter) -> None:
    publish_event(
        "shelter",
        communes=[shelter.commune],
        shelter=shelter.pk,
        occupancy=shelter.occupancy,
        capacity=shelter.capacity,
        status=shelter.status,
    )
    _public_changed(f"shelter {shelter.pk}")


def _status_for(shelter: Shelter) -> str:
    if shelter.status == Shelter.Status.CLOSED:
        return Shelter.Status.CLOSED
    return Shelter.Status.FULL if shelter.occupancy >= shelter.capacity else Shelter.Status.OPEN


def _save_occupancy(shelter: Shelter, occupancy: int) -> None:
    """Store a new head count with the status it implies (open or full, unless closed)."""
    shelter.occupancy = occupancy
    shelter.status = _status_for(shelter)
    shelter.updated_at = utcnow()
    shelter.save(update_fields=["occupancy", "status", "updated_at"])


def do_save_shelter(*, commune: str, actor: Actor, shelter: Shelter | None = None, **fields) -> Shelter:
    """Create or edit a shelter's description (opening and closing are their own actions)."""
    require(
        actor, "crisis.change_shelter" if shelter else "crisis.add_shelter", commune=commune, system=("demo",)
    )
    try:
        capacity = int(fields.get("capacity") or 0)
    except (TypeError, ValueError):
        capacity = 0
    if not (fields.get("name") or "").strip() or capacity <= 0:
        raise UserError(
            "Un lieu d'hébergement a besoin d'un nom et d'une capacité (un nombre de places > 0).",
            [Problem(_("obligatoire"), field="capacity")],
        )
    with transaction.atomic():
        shelter = shelter or Shelter(commune=commune)
        for key in SHELTER_FIELDS:
            if key in fields:
                setattr(shelter, key, fields[key])
        shelter.capacity = capacity
        shelter.status = _status_for(shelter)
        shelter.updated_at = utcnow()
        shelter.save()
        record(actor, "crisis.shelter.save", shelter, commune=commune)
        if shelter.is_open:
            _publish(shelter)
    return shelter


def do_open_shelter(shelter: Shelter, *, actor: Actor, note: str = "") -> Shelter:
    """Open a shelter: it appears on the public site and in the crisis's main courante."""
    require(actor, "crisis.change_shelter", commune=shelter.commune)
    with transaction.atomic():
        shelter = Shelter.objects.select_for_update().get(pk=shelter.pk)
        if shelter.is_open:
            return shelter
        shelter.status = Shelter.Status.OPEN
        shelter.status = _status_for(shelter)
        shelter.opened_at = shelter.updated_at = utcnow()
        shelter.save(update_fields=["status", "opened_at", "updated_at"])
        record(actor, "crisis.shelter.open", shelter, commune=shelter.commune, detail={"note": note})
        _log(
            shelter,
            f"Ouverture du lieu d'hébergement {shelter.name} ({shelter.capacity} places"
            + (f", {shelter.address}" if shelter.address else "")
            + "). "
            + note,
            actor=actor,
        )
        _publish(shelter)
    return shelter


def do_close_shelter(shelter: Shelter, *, actor: Actor, note: str = "") -> Shelter:
    """Close a shelter; refused while the register still lists people present."""
    require(actor, "crisis.change_shelter", commune=shelter.commune)
    with transaction.atomic():
        shelter = Shelter.objects.select_for_update().get(pk=shelter.pk)
        if not shelter.is_open:
            return shelter
        present = shelter.entries.filter(departed_at__isnull=True).count()
        if present:
            raise UserError(
                f"{shelter.name} : {present} foyer(s) encore présent(s) au registre ; "
                "enregistrez leur départ avant de fermer.",
                [Problem("people present", field="status")],
            )
        shelter.status = Shelter.Status.CLOSED
        if not shelter.keeps_register:
            shelter.occupancy = 0
        shelter.updated_at = utcnow()
        shelter.save(update_fields=["status", "occupancy", "updated_at"])
        record(actor, "crisis.shelter.close", shelter, commune=shelter.commune, detail={"note": note})
        _log(shelter, f"Fermeture du lieu d'hébergement {shelter.name}. {note}".strip(), actor=actor)
        _publish(shelter)
    return shelter


def _check_capacity(shelter: Shelter, occupancy: int, confirm: bool) -> bool:
    """True when over capacity (and confirmed); raises ``OverCapacity`` when not confirmed."""
    if occupancy <= shelter.capacity:
        return False
    if not confirm:
        raise OverCapacity(
            f"{shelter.name} : {occupancy} personnes pour {shelter.capacity} places "
            f"({round(100 * occupancy / shelter.capacity)} %). Confirmez pour dépasser la capacité.",
            [Problem("over capacity", field="occupancy")],
        )
    return True


def do_set_occupancy(
    shelter: Shelter,
    *,
    occupancy: int,
    actor: Actor,
    crisis: Crisis | None = None,
    confirm: bool = False,
) -> Shelter:
    """Type the head count of a shelter that keeps no register; above capacity needs ``confirm``."""
    require(actor, "crisis.change_shelter", commune=shelter.commune)
    if occupancy < 0:
        raise UserError("L'occupation ne peut pas être négative.", [Problem("negative", field="occupancy")])
    with transaction.atomic():
        shelter = Shelter.objects.select_for_update().get(pk=shelter.pk)
        if shelter.keeps_register:
            raise UserError(
                f"{shelter.name} tient un registre : son occupation se calcule à partir des arrivées "
                "et des départs.",
                [Problem("register kept", field="occupancy")],
            )
        if not shelter.is_open and occupancy:
            raise UserError(
                f"{shelter.name} est fermé : ouvrez-le avant d'y compter des personnes.",
                [Problem(_("fermé"), field="status")],
            )
        over = _check_capacity(shelter, occupancy, confirm)
        old = shelter.occupancy
        _save_occupancy(shelter, occupancy)
        record(
            actor,
            "crisis.shelter.occupancy",
            shelter,
            commune=shelter.commune,
            detail={"from": old, "to": occupancy, "over_capacity": over},
        )
        _log(
            shelter,
            f"Hébergement {shelter.name} : {occupancy}/{shelter.capacity} personnes "
            f"({shelter.get_status_display()})." + (" Capacité dépassée, confirmé." if over else ""),
            actor=actor,
            crisis=crisis,
        )
        _publish(shelter)
    return shelter


def _recount(shelter: Shelter) -> int:
    total = shelter.entries.filter(departed_at__isnull=True).aggregate(n=Sum("household_size"))["n"]
    return int(total or 0)


def do_register_arrival(
    shelter: Shelter,
    *,
    name: str,
    actor: Actor,
    household_size: int = 1,
    needs: list[str] | tuple[str, ...] = (),
    phone: str = "",
    note: str = "",
    arrived_at=None,
    confirm: bool = False,
) -> ShelterEntry:
    """Write a household's arrival in the register; the occupancy is recounted from the register."""
    require(actor, "crisis.add_shelterentry", commune=shelter.commune)
    problems = []
    if not (name or "").strip():
        problems.append(Problem("le nom du foyer est obligatoire", field="name"))
    if not isinstance(household_size, int) or not 1 <= household_size <= 50:
        problems.append(Problem("de 1 à 50 personnes", field="household_size"))
    unknown = [n for n in needs if n not in Need.values]
    if unknown:
        problems.append(Problem(f"besoin inconnu : {', '.join(unknown)}", field="needs"))
    if arrived_at is not None and (arrived_at.tzinfo is None or arrived_at > utcnow()):
        problems.append(Problem("heure d'arrivée avec fuseau, pas dans le futur", field="arrived_at"))
    if problems:
        raise UserError("Impossible d'enregistrer l'arrivée.", problems)
    with transaction.atomic():
        shelter = Shelter.objects.select_for_update().get(pk=shelter.pk)
        if not shelter.is_open:
            raise UserError(
                f"{shelter.name} est fermé : ouvrez-le avant d'y enregistrer des arrivées.",
                [Problem(_("fermé"), field="status")],
            )
        if not shelter.keeps_register:
            raise UserError(
                f"{shelter.name} ne tient pas de registre (comptage seul).",
                [Problem(_("pas de registre"), field="shelter")],
            )
        occupancy = _recount(shelter) + household_size
        over = _check_capacity(shelter, occupancy, confirm)
        crisis = shelter_crisis(shelter)
        entry = ShelterEntry.objects.create(
            shelter=shelter,
            crisis=crisis,
            name=name.strip(),
            household_size=household_size,
            needs=sorted(set(needs)),
            phone=phone.strip(),
            note=note.strip(),
            arrived_at=arrived_at or utcnow(),
            recorded_by=actor_label(actor),
        )
        _save_occupancy(shelter, occupancy)
        # The audit names the entry, never the person: the register is the only copy of the name.
        record(
            actor,
            "crisis.shelter.arrival",
            entry,
            commune=shelter.commune,
            detail={"shelter": shelter.pk, "size": household_size, "over_capacity": over},
        )
        if over:
            _log(
                shelter,
                f"Hébergement {shelter.name} : capacité dépassée ({occupancy}/{shelter.capacity}), "
                "arrivée confirmée.",
                actor=actor,
                crisis=crisis,
            )
        _publish(shelter)
    return entry


def do_register_departure(entry: ShelterEntry, *, actor: Actor, departed_at=None) -> ShelterEntry:
    require(actor, "crisis.change_shelterentry", commune=entry.shelter.commune)
    if departed_at is not None and (departed_at.tzinfo is None or departed_at > utcnow()):
        raise UserError(
            "Heure de départ avec fuseau, pas dans le futur.",
            [Problem(_("heure invalide"), field="departed_at")],
        )
    with transaction.atomic():
        shelter = Shelter.objects.select_for_update().get(pk=entry.shelter_id)
        entry = ShelterEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.departed_at is not None:
            return entry
        departed_at = departed_at or utcnow()
        if departed_at < entry.arrived_at:
            raise UserError(
                "Le départ ne peut précéder l'arrivée.", [Problem("before arrival", field="departed_at")]
            )
        entry.departed_at = departed_at
        entry.save(update_fields=["departed_at"])
        _save_occupancy(shelter, _recount(shelter))
        record(
            actor,
            "crisis.shelter.departure",
            entry,
            commune=shelter.commune,
            detail={"shelter": shelter.pk, "size": entry.household_size},
        )
        _publish(shelter)
    return entry


def do_purge_shelter_register(*, actor: Actor, now=None) -> int:
    """Delete register entries past retention: N days after their crisis closed, or after the
    departure when no crisis was open (``settings.SHELTER_REGISTER_RETENTION_DAYS``)."""
    require(actor, "crisis.delete_shelterentry", system=("retention", "cli"))
    cutoff = (now or utcnow()) - timedelta(days=settings.SHELTER_REGISTER_RETENTION_DAYS)
    with transaction.atomic():
        expired = ShelterEntry.objects.filter(
            Q(crisis__closed_at__lt=cutoff) | Q(crisis__isnull=True, departed_at__lt=cutoff)
        )
        count, _deleted = expired.delete()
        record(
            actor,
            "crisis.shelter.register.purge",
            None,
            detail={"deleted": count, "cutoff": cutoff.isoformat()},
        )
    return count
