"""Every write on crisis data: permission check, one transaction, audit entry, live event.

Contract functions other apps call: ``do_open_crisis``, ``do_append_entry``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext

from beffroi.accounts.roles import ROLES, roles_of
from beffroi.core.actors import Actor
from beffroi.core.audit import actor_label, record
from beffroi.core.errors import Problem, UserError
from beffroi.core.events import publish_event
from beffroi.core.permissions import allowed_system, has_perm, in_commune, require
from beffroi.core.timeutil import utcnow
from beffroi.crisis.anchoring import anchor_head, mayors
from beffroi.crisis.models import Crisis, Handover, Hazard, LogChain, LogEntry, Staffing, Task
from beffroi.crisis.models.crisis import LEVEL_ALIASES, LEVELS
from beffroi.crisis.models.log import GENESIS, Category, Source
from beffroi.territory.selectors import territory_codes

log = logging.getLogger(__name__)

SOURCE_ALIASES = {
    "phone": Source.PHONE,
    "téléphone": Source.PHONE,
    "tel": Source.PHONE,
    "appel": Source.PHONE,
    "field": Source.FIELD,
    "terrain": Source.FIELD,
    "radio": Source.RADIO,
    "system": Source.SYSTEM,
    "système": Source.SYSTEM,
    "systeme": Source.SYSTEM,
    "préfecture": Source.PREFECTURE,
    "prefecture": Source.PREFECTURE,
    "prefect": Source.PREFECTURE,
    "media": Source.MEDIA,
    "médias": Source.MEDIA,
    "press": Source.MEDIA,
    "email": Source.EMAIL,
    "citizen": Source.PUBLIC,
    "public": Source.PUBLIC,
    "cell": Source.CELL,
}
CATEGORY_ALIASES = {
    "décision": Category.DECISION,
    "decision": Category.DECISION,
    "info": Category.INFO,
    "information": Category.INFO,
    "action": Category.ACTION,
    "demande": Category.REQUEST,
    "request": Category.REQUEST,
}


# --- helpers -------------------------------------------------------------------------------
def _crisis(crisis: Crisis | int) -> Crisis:
    if isinstance(crisis, Crisis):
        return crisis
    found = Crisis.objects.filter(pk=crisis).first()
    if found is None:
        raise UserError(f"No crisis number {crisis}.", [Problem("unknown crisis", field="crisis")])
    return found


def _require_in_crisis(actor: Actor, perm: str, crisis: Crisis, *, system: tuple[str, ...] = ()) -> None:
    """The user holds ``perm`` and belongs to one of the crisis's communes, or the system actor is
    of a kind the action declared in ``system``."""
    if allowed_system(actor, system):
        return
    require(actor, perm)
    if not any(in_commune(actor, c) for c in crisis.communes):
        record(actor, "permission.denied", crisis, detail={"perm": perm})
        raise PermissionDenied(perm)


def _level(value: Any) -> int:
    if isinstance(value, str):
        key = value.strip().lower()
        if key.isdigit():
            value = int(key)
        elif key in LEVEL_ALIASES:
            value = LEVEL_ALIASES[key]
    if value not in LEVELS:
        raise UserError(
            f"Unknown crisis level {value!r}: 1 to 4 (veille, vigilance, alerte, crise).",
            [Problem("unknown level", field="level")],
        )
    return int(value)


def _choice(value: str, choices, aliases: dict, field: str) -> str:
    key = (value or "").strip().lower()
    if key in choices.values:
        return key
    if key in aliases:
        return aliases[key]
    raise UserError(
        f"Unknown {field} {value!r}: one of {', '.join(choices.values)}.",
        [Problem(f"unknown {field}", field=field)],
    )


def _open(crisis: Crisis) -> None:
    if not crisis.is_open:
        raise UserError(f"Crisis {crisis.pk} is closed.", [Problem("crisis closed", field="crisis")])


# --- lifecycle -----------------------------------------------------------------------------
def do_open_crisis(
    *, hazard: str, communes: list[str], level: Any, exercise: bool, title: str, actor: Actor
) -> Crisis:
    """Open a crisis (or an exercise) on some communes of the territory; starts its main courante."""

    communes = list(dict.fromkeys(communes))
    problems = []
    if hazard not in Hazard.values:
        problems.append(Problem(f"unknown hazard {hazard!r} ({', '.join(Hazard.values)})", field="hazard"))
    known = territory_codes()
    if not communes:
        problems.append(Problem("at least one commune", field="communes"))
    problems += [
        Problem(f"{c} is not in the territory", field="communes") for c in communes if c not in known
    ]
    if not (title or "").strip():
        problems.append(Problem("a title is required", field="title"))
    if problems:
        raise UserError("Cannot open the crisis.", problems)
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
        kind = "Exercice" if exercise else "Crise"
        _append(
            crisis,
            text=f"{kind} ouvert(e) : {crisis.title}. Aléa {crisis.get_hazard_display()}, "
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
        raise UserError("A handover needs a situation summary.", [Problem("required", field="summary")])
    if _user(incoming) is None:
        raise UserError("The incoming lead must be a user.", [Problem("unknown user", field="incoming")])
    if _user(actor) is not None and incoming.pk == actor.pk:
        raise UserError(
            "The incoming lead must be someone else than the outgoing one.",
            [Problem("same person", field="incoming")],
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
        problems.append(Problem(f"unknown hazard {hazard!r}", field="hazard"))
    if not communes:
        problems.append(Problem("at least one commune", field="communes"))
    if not (title or "").strip():
        problems.append(Problem("a title is required", field="title"))
    if problems:
        raise UserError("Cannot send the request.", problems)
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
        raise UserError(f"Unknown PCC cell {cell!r}.", [Problem("unknown cell", field="cell")])
    if not (name or "").strip():
        raise UserError("A name is required.", [Problem("required", field="name")])
    with transaction.atomic():
        _open(crisis)
        staff = Staffing.objects.create(
            crisis=crisis,
            cell=cell,
            name=name.strip(),
            contact=contact.strip(),
            user=_user(user),
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


# --- main courante -------------------------------------------------------------------------
def do_append_entry(
    crisis: Crisis | int,
    *,
    text: str,
    category: str,
    source: str,
    actor: Actor,
    occurred_at: datetime | None = None,
    deferred: bool = False,
    corrects: LogEntry | int | None = None,
    location_label: str = "",
    lat: float | None = None,
    lon: float | None = None,
    task: Task | None = None,
    attachment=None,
    scenario_at: datetime | None = None,
) -> LogEntry:
    """Append one entry to the main courante of a crisis (contract function).

    The server sets ``recorded_at`` (UTC); ``occurred_at`` is the time the event happened as
    reported, never in the future. ``scenario_at`` (exercises only) is the scenario clock's time,
    which may run ahead of the wall clock. ``deferred`` marks a paper entry re-entered afterwards.
    """
    crisis = _crisis(crisis)
    # Injects, the alerts app (a publication) and outreach (a campaign's summary) write entries.
    _require_in_crisis(actor, "crisis.add_logentry", crisis, system=("exercise", "alerts", "outreach"))
    problems = []
    if not (text or "").strip():
        problems.append(Problem("the text is empty", field="text"))
    if occurred_at is not None and occurred_at.tzinfo is None:
        problems.append(Problem("naive datetime: give a time zone", field="occurred_at"))
    if occurred_at is not None and occurred_at.tzinfo is not None and occurred_at > utcnow():
        problems.append(Problem("the event time is in the future", field="occurred_at"))
    if deferred and occurred_at is None:
        problems.append(Problem("a re-entered paper entry needs its real time", field="occurred_at"))
    for name, value, bound in (("lat", lat, 90), ("lon", lon, 180)):
        if value is not None and not -bound <= float(value) <= bound:
            problems.append(Problem(f"out of range (±{bound})", field=name))
    if problems:
        raise UserError("Cannot add the entry.", problems)
    category = _choice(category, Category, CATEGORY_ALIASES, "category")
    source = _choice(source, Source, SOURCE_ALIASES, "source")
    if corrects is not None and not isinstance(corrects, LogEntry):
        corrects = (
            LogEntry.objects.filter(crisis=crisis, pk=corrects).first()
            or LogEntry.objects.filter(crisis=crisis, seq=corrects).first()
        )
        if corrects is None:
            raise UserError(
                "The corrected entry is not in this crisis.", [Problem("unknown entry", field="corrects")]
            )
    if corrects is not None and corrects.crisis_id != crisis.pk:
        raise UserError(
            "The corrected entry is not in this crisis.", [Problem("other crisis", field="corrects")]
        )
    digest = ""
    if attachment is not None:
        sha = hashlib.sha256()
        for chunk in attachment.chunks():
            sha.update(chunk)
        digest = sha.hexdigest()
        attachment.seek(0)

    def write() -> LogEntry:
        with transaction.atomic():
            entry = _append(
                crisis,
                text=text.strip(),
                category=category,
                source=source,
                actor=actor,
                occurred_at=occurred_at,
                deferred=deferred,
                corrects=corrects,
                location_label=location_label.strip(),
                lat=lat,
                lon=lon,
                task=task,
                attachment=attachment,
                attachment_sha256=digest,
                scenario_at=_scenario_at(crisis, scenario_at),
            )
            record(
                actor,
                "crisis.log.append",
                entry,
                commune=crisis.communes[0],
                detail={"seq": entry.seq, "hash": entry.hash, "corrects": corrects.seq if corrects else None},
            )
        return entry

    # PostgreSQL queues writers on the chain row (select_for_update); SQLite on its file lock, taken
    # up front by the IMMEDIATE transaction and waited for with the busy timeout.
    with _process_lock(crisis.pk):
        return write()


_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def _process_lock(crisis_id: int) -> threading.Lock:
    """Writers of one process queue on a per-crisis lock before the database lock.

    The database lock (the chain row) is what keeps the chain correct across processes; this one
    only spares threads of the same process SQLite's busy-wait back-off, which sleeps in steps of
    up to 100 ms.
    """
    with _locks_guard:
        return _locks.setdefault(crisis_id, threading.Lock())


def _append(
    crisis: Crisis,
    *,
    text: str,
    category: str,
    source: str,
    actor: Any,
    occurred_at: datetime | None = None,
    deferred: bool = False,
    corrects: LogEntry | None = None,
    location_label: str = "",
    lat=None,
    lon=None,
    task: Task | None = None,
    attachment=None,
    attachment_sha256: str = "",
    scenario_at: datetime | None = None,
) -> LogEntry:
    """The one place entries are written: lock the chain row, link, hash, insert, move the head."""
    with transaction.atomic():
        chain = (
            LogChain.objects.select_for_update(of=("self",)).select_related("crisis").get(crisis_id=crisis.pk)
        )
        if chain.crisis.status != Crisis.Status.OPEN:
            raise UserError(f"Crisis {crisis.pk} is closed.", [Problem("crisis closed", field="crisis")])
        now = utcnow()
        entry = LogEntry(
            crisis=crisis,
            seq=chain.length + 1,
            recorded_at=now,
            occurred_at=occurred_at or now,
            deferred=bool(deferred),
            author=_user(actor),
            author_label=actor_label(actor),
            source=source,
            category=category,
            text=text,
            location_label=location_label,
            lat=None if lat is None else Decimal(str(lat)).quantize(Decimal("0.000001")),
            lon=None if lon is None else Decimal(str(lon)).quantize(Decimal("0.000001")),
            corrects=corrects,
            task=task,
            attachment_sha256=attachment_sha256,
            exercise=crisis.exercise,
            scenario_at=scenario_at,
            prev_hash=chain.head_hash,
        )
        if attachment is not None:
            entry.attachment = attachment
        entry.hash = entry.compute_hash()
        entry.save()
        LogChain.objects.filter(pk=chain.pk).update(length=entry.seq, head_hash=entry.hash, updated_at=now)
        publish_event(
            "entry",
            communes=crisis.communes,
            crisis=crisis.pk,
            seq=entry.seq,
            category=category,
            source=source,
            text=text[:200],
            head=entry.hash,
            exercise=crisis.exercise,
        )
    return entry


def _scenario_at(crisis: Crisis, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if not crisis.exercise:
        raise UserError(
            "A scenario time is only for exercises.", [Problem("not an exercise", field="scenario_at")]
        )
    if value.tzinfo is None:
        raise UserError("Naive scenario time: give a time zone.", [Problem("naive", field="scenario_at")])
    return value


def _user(actor: Any):
    return actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None


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
