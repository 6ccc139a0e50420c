"""The main courante: entries appended to a crisis's hash chain, the one place they are written.

Re-exported by ``beffroi.crisis.actions`` (the app's write contract); the crisis lifecycle and the
means use the helpers below.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor
from beffroi.core.audit import actor_label, record
from beffroi.core.errors import Problem, UserError
from beffroi.core.events import publish_event
from beffroi.core.permissions import allowed_system, in_commune, require
from beffroi.core.timeutil import utcnow
from beffroi.crisis.models import Crisis, LogChain, LogEntry, Task
from beffroi.crisis.models.log import Category, Source

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
        raise UserError(
            _("Aucune crise numéro %(crisis)s.") % {"crisis": crisis},
            [Problem(_("crise inconnue"), field="crisis")],
        )
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


def _choice(value: str, choices, aliases: dict, field: str) -> str:
    key = (value or "").strip().lower()
    if key in choices.values:
        return key
    if key in aliases:
        return aliases[key]
    raise UserError(
        _("%(field)s inconnu(e) %(value)s : l'une des valeurs %(values)s.")
        % {"field": field, "value": repr(value), "values": ", ".join(choices.values)},
        [Problem(_("%(field)s inconnu(e)") % {"field": field}, field=field)],
    )


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
        problems.append(Problem(_("le texte est vide"), field="text"))
    if occurred_at is not None and occurred_at.tzinfo is None:
        problems.append(Problem(_("date-heure sans fuseau horaire : donnez-en un"), field="occurred_at"))
    if occurred_at is not None and occurred_at.tzinfo is not None and occurred_at > utcnow():
        problems.append(Problem(_("l'heure de l'événement est dans le futur"), field="occurred_at"))
    if deferred and occurred_at is None:
        problems.append(
            Problem(_("une entrée papier ressaisie demande son heure réelle"), field="occurred_at")
        )
    for name, value, bound in (("lat", lat, 90), ("lon", lon, 180)):
        if value is not None and not -bound <= float(value) <= bound:
            problems.append(Problem(_("hors limites (±%(bound)s)") % {"bound": bound}, field=name))
    if problems:
        raise UserError(_("Impossible d'ajouter l'entrée."), problems)
    category = _choice(category, Category, CATEGORY_ALIASES, "category")
    source = _choice(source, Source, SOURCE_ALIASES, "source")
    if corrects is not None and not isinstance(corrects, LogEntry):
        corrects = (
            LogEntry.objects.filter(crisis=crisis, pk=corrects).first()
            or LogEntry.objects.filter(crisis=crisis, seq=corrects).first()
        )
        if corrects is None:
            raise UserError(
                _("L'entrée corrigée n'est pas dans cette crise."),
                [Problem(_("entrée inconnue"), field="corrects")],
            )
    if corrects is not None and corrects.crisis_id != crisis.pk:
        raise UserError(
            _("L'entrée corrigée n'est pas dans cette crise."), [Problem(_("autre crise"), field="corrects")]
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
            raise UserError(
                _("La crise %(pk)s est close.") % {"pk": crisis.pk},
                [Problem(_("crise close"), field="crisis")],
            )
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
            _("Une heure de scénario ne vaut que pour les exercices."),
            [Problem(_("pas un exercice"), field="scenario_at")],
        )
    if value.tzinfo is None:
        raise UserError(
            _("Heure de scénario sans fuseau horaire : donnez-en un."),
            [Problem(_("sans fuseau horaire"), field="scenario_at")],
        )
    return value


def _user(actor: Any):
    return actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None
