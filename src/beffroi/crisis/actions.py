"""Every write on crisis data: permission check, one transaction, audit entry, live event.

Contract functions other apps call: ``do_open_crisis``, ``do_append_entry`` (written in
``crisis/main_courante.py``, re-exported here).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from beffroi.accounts.roles import ROLES, roles_of
from beffroi.core.actors import Actor
from beffroi.core.audit import actor_label, record
from beffroi.core.errors import Problem, UserError
from beffroi.core.events import publish_event
from beffroi.core.permissions import has_perm, require
from beffroi.core.timeutil import utcnow
from beffroi.crisis.anchoring import anchor_head, mayors
from beffroi.crisis.main_courante import (  # noqa: F401  (do_append_entry and the aliases re-exported)
    CATEGORY_ALIASES,
    SOURCE_ALIASES,
    _append,
    _choice,
    _crisis,
    _require_in_crisis,
    _scenario_at,
    _user,
    do_append_entry,
)
from beffroi.crisis.models import Crisis, Handover, Hazard, LogChain, Staffing, Task
from beffroi.crisis.models.crisis import LEVEL_ALIASES, LEVELS
from beffroi.crisis.models.log import GENESIS, Category, Source
from beffroi.territory.selectors import territory_codes

log = logging.getLogger(__name__)


def _level(value: Any) -> int:
    if isinstance(value, str):
        key = value.strip().lower()
        if key.isdigit():
            value = int(key)
        elif key in LEVEL_ALIASES:
            value = LEVEL_ALIASES[key]
    if value not in LEVELS:
        raise UserError(
            _("Niveau de crise inconnu %(value)s : de 1 à 4 (veille, vigilance, alerte, crise).")
            % {"value": repr(value)},
            [Problem(_("niveau inconnu"), field="level")],
        )
    return int(value)


def _open(crisis: Crisis) -> None:
    if not crisis.is_open:
        raise UserError(
            _("La crise %(pk)s est close.") % {"pk": crisis.pk}, [Problem(_("crise close"), field="crisis")]
        )


# --- lifecycle -----------------------------------------------------------------------------
def do_open_crisis(
    *, hazard: str, communes: list[str], level: Any, exercise: bool, title: str, actor: Actor
) -> Crisis:
    """Open a crisis (or an exercise) on some communes of the territory; starts its main courante."""

    communes = list(dict.fromkeys(communes))
    problems = []
    if hazard not in Hazard.values:
        problems.append(
            Problem(
                _("aléa inconnu %(hazard)s (%(values)s)")
                % {"hazard": repr(hazard), "values": ", ".join(Hazard.values)},
                field="hazard",
            )
        )
    known = territory_codes()
    if not communes:
        problems.append(Problem(_("au moins une commune"), field="communes"))
    problems += [
        Problem(_("%(c)s n'est pas dans le territoire") % {"c": c}, field="communes")
        for c in communes
        if c not in known
    ]
    if not (title or "").strip():
        problems.append(Problem(_("un titre est obligatoire"), field="title"))
    if problems:
        raise UserError(_("Impossible d'ouvrir la crise."), problems)
    level = _level(level)
    perm = "crisis.open_crisis"
    if exercise and not has_perm(actor, perm):
        perm = "crisis.run_exercise"
    for code in communes:
        require(actor, perm, commune=code, system=("cli",))
    now = utcnow()
    with transaction.atomic():
        crisis = Crisis.objects.create(
            title=title.strip(),
            hazard=hazard,
            communes=communes,
            level=level,
            exercise=bool(exercise),
            opened_at=now,
            opened_by=_user(actor),
            shift_lead=_user(actor),
        )
        LogChain.objects.create(crisis=crisis, length=0, head_hash=GENESIS, updated_at=now)
        record(
            actor,
            "crisis.open",
            crisis,
            commune=communes[0],
            detail={"hazard": hazard, "communes": communes, "level": level, "exercise": bool(exercise)},
        )
        opened = "Exercice ouvert" if exercise else "Crise ouverte"
        _append(
            crisis,
            text=f"{opened} : {crisis.title}. Aléa {crisis.get_hazard_display()}, "
            f"niveau {crisis.level_label}, communes {', '.join(communes)}.",
            category=Category.DECISION,
            source=Source.SYSTEM,
            actor=actor,
        )
        publish_event("crisis.opened", **_crisis_event(crisis))
    return crisis


def do_escalate(
    crisis: Crisis | int,
    *,
    level: Any,
    reason: str,
    actor: Actor,
    occurred_at: datetime | None = None,
    scenario_at: datetime | None = None,
    source: str = Source.CELL,
) -> Crisis:
    crisis = _crisis(crisis)
    _require_in_crisis(actor, "crisis.escalate_crisis", crisis, system=("exercise",))
    level = _level(level)
    with transaction.atomic():
        crisis = Crisis.objects.select_for_update().get(pk=crisis.pk)
        _open(crisis)
        old = crisis.level_label
        crisis.level = level
        crisis.save(update_fields=["level"])
        record(
            actor,
            "crisis.level",
            crisis,
            commune=crisis.communes[0],
            detail={"level": level, "reason": reason},
        )
        _append(
            crisis,
            text=f"Changement de niveau : {old} → {crisis.level_label}. {reason}".strip(),
            category=Category.DECISION,
            source=_choice(source, Source, SOURCE_ALIASES, "source"),
            actor=actor,
            occurred_at=occurred_at,
            scenario_at=_scenario_at(crisis, scenario_at),
        )
        publish_event("crisis.level", **_crisis_event(crisis))
    return crisis


def do_close_crisis(crisis: Crisis | int, *, summary: str, actor: Actor) -> Crisis:
    crisis = _crisis(crisis)
    perm = "crisis.close_crisis"
    if crisis.exercise and not has_perm(actor, perm):
        perm = "crisis.run_exercise"
    _require_in_crisis(actor, perm, crisis)
    with transaction.atomic():
        crisis = Crisis.objects.select_for_update().get(pk=crisis.pk)
        _open(crisis)
        open_tasks = Task.objects.filter(
            crisis=crisis, status__in=[Task.Status.TODO, Task.Status.DOING]
        ).count()
        entry = _append(
            crisis,
            text=f"Clôture. {summary}".strip() + f" ({open_tasks} tâche(s) encore ouverte(s).)",
            category=Category.DECISION,
            source=Source.CELL,
            actor=actor,
        )
        crisis.status = Crisis.Status.CLOSED
        crisis.closed_at = utcnow()
        crisis.closed_by = _user(actor)
        crisis.closing_summary = summary
        crisis.save(update_fields=["status", "closed_at", "closed_by", "closing_summary"])
        record(
            actor,
            "crisis.close",
            crisis,
            commune=crisis.communes[0],
            detail={"chain_head": entry.hash, "entries": entry.seq},
        )
        publish_event("crisis.closed", **_crisis_event(crisis))
    return crisis


def do_handover(crisis: Crisis | int, *, incoming: Any, summary: str, actor: Actor) -> Handover:
    """Shift handover: the outgoing lead writes the situation; the chain head is recorded and logged."""
    crisis = _crisis(crisis)
    _require_in_crisis(actor, "crisis.add_handover", crisis)
    if not (summary or "").strip():
        raise UserError(
            _("Une relève demande un point de situation."), [Problem(_("obligatoire"), field="summary")]
        )
    if _user(incoming) is None:
        raise UserError(
            _("Le responsable entrant doit être un compte."), [Problem(_("compte inconnu"), field="incoming")]
        )
    if _user(actor) is not None and incoming.pk == actor.pk:
        raise UserError(
            _("Le responsable entrant doit être une autre personne que le sortant."),
            [Problem(_("même personne"), field="incoming")],
        )
    # The outgoing lead is the one who hands over (the actor), named with the roles they hold, so
    # the record says who passed the crisis to whom, not only two login names.
    outgoing_label, incoming_label = lead_label(actor), lead_label(incoming)
    with transaction.atomic():
        _open(crisis)
        open_tasks = Task.objects.filter(
            crisis=crisis, status__in=[Task.Status.TODO, Task.Status.DOING]
        ).count()
        entry = _append(
            crisis,
            text=f"Relève : {outgoing_label} → {incoming_label}. {summary} "
            f"({open_tasks} tâche(s) ouverte(s).)",
            category=Category.INFO,
            source=Source.CELL,
            actor=actor,
        )
        handover = Handover.objects.create(
            crisis=crisis,
            at=entry.recorded_at,
            outgoing=outgoing_label[:150],
            incoming=_user(incoming),
            summary=summary,
            open_tasks=open_tasks,
            chain_head=entry.hash,
            chain_length=entry.seq,
        )
        Crisis.objects.filter(pk=crisis.pk).update(shift_lead=_user(incoming))
        record(
            actor,
            "crisis.handover",
            crisis,
            commune=crisis.communes[0],
            detail={
                "outgoing": outgoing_label,
                "incoming": incoming_label,
                "chain_head": entry.hash,
                "entries": entry.seq,
            },
        )
        anchor_head(crisis, reason="releve", actor=actor)
    return handover


def lead_label(actor: Any) -> str:
    """« Full Name (username, role labels) » for a user; the system actor's name otherwise."""
    if _user(actor) is None:
        return actor_label(actor)
    name = actor.get_full_name().strip() if hasattr(actor, "get_full_name") else ""
    roles = [str(ROLES[r].label) for r in roles_of(actor)]
    inner = ", ".join([actor.get_username(), *roles])
    return f"{name or actor.get_username()} ({inner})"


def do_anchor(crisis: Crisis | int, *, actor: Actor):
    """Write the chain head down outside the database now (``beffroi crisis anchor N``)."""
    crisis = _crisis(crisis)
    _require_in_crisis(actor, "crisis.view_logentry", crisis, system=("cli",))
    with transaction.atomic():
        return anchor_head(crisis, reason="demande", actor=actor)


def do_request_open_crisis(
    *, hazard: str, communes: list[str], level: Any, title: str, note: str, open_url: str, actor: Actor
) -> list[str]:
    """A crisis-cell member asks the mayor(s) to open a crisis they may not open themselves.

    The mayors of those communes get a live event and an e-mail with a link to the open form,
    prefilled (``open_url``); returns the addresses mailed. Nothing is opened.
    """
    communes = list(dict.fromkeys(communes))
    problems = []
    if hazard not in Hazard.values:
        problems.append(Problem(_("aléa inconnu %(hazard)s") % {"hazard": repr(hazard)}, field="hazard"))
    if not communes:
        problems.append(Problem(_("au moins une commune"), field="communes"))
    if not (title or "").strip():
        problems.append(Problem(_("un titre est obligatoire"), field="title"))
    if problems:
        raise UserError(_("Impossible d'envoyer la demande."), problems)
    level = _level(level)
    for code in communes:
        require(actor, "crisis.add_logentry", commune=code)
    recipients = mayors(communes)
    addresses = [u.email for u in recipients if u.email]
    with transaction.atomic():
        record(
            actor,
            "crisis.open.request",
            commune=communes[0],
            detail={
                "hazard": hazard,
                "communes": communes,
                "level": level,
                "title": title.strip(),
                "note": note.strip(),
                "mayors": [u.get_username() for u in recipients],
            },
        )
        publish_event(
            "crisis.open_requested",
            communes=communes,
            title=title.strip(),
            hazard=hazard,
            level=level,
            requested_by=lead_label(actor),
            url=open_url,
        )
        if addresses:
            transaction.on_commit(
                lambda: _mail_open_request(
                    addresses, title.strip(), note.strip(), lead_label(actor), open_url
                )
            )
    return addresses


def _mail_open_request(addresses: list[str], title: str, note: str, who: str, url: str) -> None:
    body = gettext(
        "%(who)s demande l'ouverture d'une crise : « %(title)s ».\n\n%(note)s\n\n"
        "Ouvrir la crise (formulaire prérempli, à valider) :\n%(url)s\n"
    ) % {"who": who, "title": title, "note": note, "url": url}
    try:
        send_mail(
            gettext("[Beffroi] Demande d'ouverture de crise : %(title)s") % {"title": title},
            body,
            settings.DEFAULT_FROM_EMAIL,
            addresses,
        )
    except Exception:  # the live event already reached the mayors' screens
        log.exception("open request not mailed to %s", addresses)


def do_add_staffing(
    crisis: Crisis | int, *, cell: str, name: str, contact: str = "", user: Any = None, actor: Actor
) -> Staffing:
    crisis = _crisis(crisis)
    _require_in_crisis(actor, "crisis.add_staffing", crisis)
    if cell not in Staffing.Cell.values:
        raise UserError(
            _("Cellule du PCC inconnue %(cell)s.") % {"cell": repr(cell)},
            [Problem(_("cellule inconnue"), field="cell")],
        )
    if not (name or "").strip():
        raise UserError(_("Un nom est obligatoire."), [Problem(_("obligatoire"), field="name")])
    member = _user(user)
    if member is not None and not any(
        has_perm(member, "crisis.view_task", commune=c) for c in crisis.communes
    ):
        # the cell's tasks are sent to this account: it must be able to open them
        raise UserError(
            "Ce compte ne voit pas les tâches de cette crise (aucune de ses communes).",
            [Problem(_("ne participe pas à la crise"), field="user")],
        )
    with transaction.atomic():
        _open(crisis)
        staff = Staffing.objects.create(
            crisis=crisis,
            cell=cell,
            name=name.strip(),
            contact=contact.strip(),
            user=member,
            started_at=utcnow(),
        )
        record(actor, "crisis.staffing.add", staff, commune=crisis.communes[0], detail={"cell": cell})
        _append(
            crisis,
            text=f"PCC : {staff.name} prend le poste « {staff.get_cell_display()} »"
            + (f" ({staff.contact})" if staff.contact else "")
            + ".",
            category=Category.INFO,
            source=Source.CELL,
            actor=actor,
        )
    return staff


def do_end_staffing(staff: Staffing, *, actor: Actor) -> Staffing:
    _require_in_crisis(actor, "crisis.change_staffing", staff.crisis)
    with transaction.atomic():
        staff.ended_at = utcnow()
        staff.save(update_fields=["ended_at"])
        record(actor, "crisis.staffing.end", staff, commune=staff.crisis.communes[0])
        _append(
            staff.crisis,
            text=f"PCC : {staff.name} quitte le poste « {staff.get_cell_display()} ».",
            category=Category.INFO,
            source=Source.CELL,
            actor=actor,
        )
    return staff


def _crisis_event(crisis: Crisis) -> dict[str, Any]:
    return {
        "crisis": crisis.pk,
        "title": crisis.title,
        "hazard": crisis.hazard,
        "level": crisis.level,
        "communes": crisis.communes,
        "exercise": crisis.exercise,
        "status": crisis.status,
    }
