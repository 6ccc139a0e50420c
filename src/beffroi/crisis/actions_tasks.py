"""Writes on tasks and reflex sheets: a task reaches the people it is for.

A task is assigned to an account, to a cell of the communal command post (PCC), or both, with a due
time. On assignment, in the task's own transaction: the main courante entry, the audit record, the
live events (``task`` for the lists, ``task.assigned`` for the people concerned) and one message to
each person through the alerts app's outbox (e-mail, SMS when a provider is configured), reached by
the ``monitoring.paging`` extension point the alerts app fills; the crisis app never imports it.
The people of a cell are those staffing it in this crisis with an account (``Staffing.user``).

Overdue is computed when read (``Task.is_overdue``: due time passed, neither done nor cancelled),
so no scheduled job has to flag it.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor, SystemActor
from beffroi.core.audit import actor_label, record
from beffroi.core.errors import Problem, UserError
from beffroi.core.events import publish_event
from beffroi.core.permissions import has_perm, require
from beffroi.core.timeutil import to_paris, utcnow
from beffroi.crisis.actions import _append, _crisis, _open, _require_in_crisis, _user
from beffroi.crisis.models import (
    Crisis,
    LogEntry,
    ReflexItem,
    ReflexRun,
    ReflexSheet,
    Staffing,
    Task,
)
from beffroi.crisis.models.crisis import LEVELS, Hazard
from beffroi.crisis.models.log import Category, Source
from beffroi.monitoring import paging

log = logging.getLogger(__name__)

# The notices of an assignment are sent by the crisis app itself (the audit of the task names who
# assigned it); the alerts outbox accepts this system actor for staff messages only.
NOTIFIER = SystemActor("crisis")


# --- who a task is for ---------------------------------------------------------------------
def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return " ".join(text.replace("/", " ").replace("-", " ").split())


# Words a reflex sheet writes in its « cellule » column, matched to the PCC cells.
_CELL_WORDS = {
    "dos": Staffing.Cell.DOS,
    "maire": Staffing.Cell.DOS,
    "cos": Staffing.Cell.COS,
    "liaison": Staffing.Cell.COS,
    "responsable du pcc": Staffing.Cell.PCC,
    "pcc": Staffing.Cell.PCC,
    "secretariat": Staffing.Cell.SECRETARIAT,
    "main courante": Staffing.Cell.SECRETARIAT,
    "logistique": Staffing.Cell.LOGISTICS,
    "soutien aux populations": Staffing.Cell.POPULATION,
    "soutien": Staffing.Cell.POPULATION,
    "communication": Staffing.Cell.COMMUNICATION,
    "services techniques": Staffing.Cell.TECHNICAL,
    "technique": Staffing.Cell.TECHNICAL,
}


def cell_for_label(label: str) -> str:
    """The PCC cell a free-text owner names (« Services techniques » → ``technique``), or ""."""
    folded = _fold(label)
    if not folded:
        return ""
    for value, display in Staffing.Cell.choices:
        if folded in (_fold(value), _fold(str(display))):
            return value
    for words, cell in sorted(_CELL_WORDS.items(), key=lambda kv: -len(kv[0])):
        if folded == words or folded.startswith(words + " "):
            return cell
    return ""


def _check_cell(cell: str) -> str:
    cell = (cell or "").strip()
    if cell and cell not in Staffing.Cell.values:
        raise UserError(
            f"Cellule inconnue « {cell} » ({', '.join(Staffing.Cell.values)}).",
            [Problem(_("cellule inconnue"), field="cell")],
        )
    return cell


def _check_assignee(crisis: Crisis, assignee: Any):
    """The account a task is assigned to: active, and able to see the crisis's tasks."""
    if assignee in (None, ""):
        return None
    user = _user(assignee)
    if user is None:
        user = get_user_model().objects.filter(pk=assignee).first() if str(assignee).isdigit() else None
    if (
        user is None
        or not user.is_active
        or not any(has_perm(user, "crisis.view_task", commune=c) for c in crisis.communes)
    ):
        raise UserError(
            "La tâche doit être attribuée à un compte actif qui voit les tâches de cette crise "
            "(une de ses communes).",
            [Problem(_("ne participe pas à la crise"), field="assignee")],
        )
    return user


def recipients(task: Task) -> list[Any]:
    """The people told of a task: its account, and the accounts staffing its cell in the crisis now."""
    users: dict[int, Any] = {}
    if task.assignee_id is not None and task.assignee is not None and task.assignee.is_active:
        users[task.assignee.pk] = task.assignee
    if task.cell:
        for staff in Staffing.objects.filter(
            crisis_id=task.crisis_id, cell=task.cell, ended_at__isnull=True, user__isnull=False
        ).select_related("user"):
            if staff.user is not None and staff.user.is_active:
                users.setdefault(staff.user.pk, staff.user)
    return list(users.values())


def _due_text(deadline: datetime | None) -> str:
    if deadline is None:
        return _("sans échéance")
    return to_paris(deadline).strftime("%d/%m/%Y %H:%M")


def _notify(crisis: Crisis, tasks: list[Task], *, actor: Actor, url: str = "") -> int:
    """Tell the people of each task (live, and one outbox message per person); returns how many
    messages were queued. Called inside the assigning transaction: the messages leave after commit."""
    queued = 0
    for task in tasks:
        if not (task.assignee_id or task.cell):
            continue
        publish_event(
            "task.assigned",
            communes=crisis.communes,
            crisis=crisis.pk,
            task=task.pk,
            title=task.title[:200],
            owner=task.owner_label,
            cell=task.cell,
            due=task.deadline,
        )
    by_user: dict[int, tuple[Any, list[Task]]] = {}
    for task in tasks:
        for user in recipients(task):
            by_user.setdefault(user.pk, (user, []))[1].append(task)
    prefix = "[EXERCICE] " if crisis.exercise else ""
    # A task made by a job or a proposal has no request to take the address from: the configured one.
    url = url or settings.PUBLIC_URL + reverse("crisis:detail", args=[crisis.pk])
    for user, theirs in by_user.values():
        if len(theirs) == 1:
            subject = prefix + _("[Beffroi] Tâche attribuée : %(title)s") % {"title": theirs[0].title}
        else:
            subject = prefix + _("[Beffroi] %(n)d tâches attribuées (%(crisis)s)") % {
                "n": len(theirs),
                "crisis": crisis.title,
            }
        lines = [
            _("%(who)s vous attribue dans la crise « %(crisis)s » :")
            % {"who": actor_label(actor), "crisis": crisis.title},
            "",
        ]
        for task in theirs:
            lines.append(f"- {task.title}")
            lines.append(
                "  "
                + _("pour %(owner)s, priorité %(priority)s, échéance %(due)s (heure de Paris)")
                % {
                    "owner": task.owner_label,
                    "priority": task.get_priority_display(),
                    "due": _due_text(task.deadline),
                }
            )
            if task.details:
                lines.append("  " + task.details)
        lines += ["", _("Ouvrir la crise : %(url)s") % {"url": url}]
        try:
            # A savepoint: a failed enqueue is logged and the task stays assigned (shown live).
            with transaction.atomic():
                queued += paging.page_staff([user], subject, "\n".join(lines), actor=NOTIFIER)
        except Exception:
            log.exception("crisis: notifying %s of task(s) %s failed", user.pk, [t.pk for t in theirs])
    return queued


def _publish_task(task: Task) -> None:
    publish_event(
        "task",
        communes=task.crisis.communes,
        crisis=task.crisis_id,
        task=task.pk,
        status=task.status,
        reflex_run=None,
    )


# --- tasks ---------------------------------------------------------------------------------
def do_create_task(
    crisis: Crisis | int,
    *,
    title: str,
    actor: Actor,
    assignee: Any = None,
    cell: str = "",
    assignee_label: str = "",
    priority: int = Task.Priority.NORMAL,
    deadline=None,
    source_entry: LogEntry | None = None,
    details: str = "",
    url: str = "",
) -> Task:
    """Create a task; when it is for an account or a cell, those people are told (live and mail)."""
    crisis = _crisis(crisis)
    _require_in_crisis(actor, "crisis.add_task", crisis)
    problems = []
    if not (title or "").strip():
        problems.append(Problem(_("obligatoire"), field="title"))
    if priority not in Task.Priority.values:
        problems.append(Problem("1 (haute), 2 (normale) ou 3 (basse)", field="priority"))
    if deadline is not None and deadline.tzinfo is None:
        problems.append(Problem("échéance sans fuseau horaire", field="deadline"))
    if problems:
        raise UserError("Impossible de créer la tâche.", problems)
    if source_entry is not None and source_entry.crisis_id != crisis.pk:
        raise UserError(
            _("L'entrée liée n'est pas dans cette crise."), [Problem(_("autre crise"), field="source_entry")]
        )
    cell = _check_cell(cell)
    user = _check_assignee(crisis, assignee)
    with transaction.atomic():
        _open(crisis)
        task = Task.objects.create(
            crisis=crisis,
            title=title.strip(),
            details=details,
            assignee=user,
            cell=cell,
            assignee_label=assignee_label.strip() or (actor_label(user) if user else ""),
            priority=priority,
            deadline=deadline,
            created_at=utcnow(),
            created_by=actor_label(actor),
            source_entry=source_entry,
        )
        record(
            actor,
            "crisis.task.create",
            task,
            commune=crisis.communes[0],
            detail={"assignee": user.pk if user else None, "cell": cell},
        )
        owner = task.owner_label
        _append(
            crisis,
            text=f"Tâche créée : {task.title}"
            + (f" → {owner}" if owner else "")
            + (f", échéance {_due_text(task.deadline)}" if task.deadline else "")
            + (f" (suite à l'entrée n°{source_entry.seq})" if source_entry else ""),
            category=Category.ACTION,
            source=Source.CELL,
            actor=actor,
            task=task,
        )
        _publish_task(task)
        _notify(crisis, [task], actor=actor, url=url)
    return task


def do_assign_task(
    task: Task,
    *,
    actor: Actor,
    assignee: Any = None,
    cell: str = "",
    deadline=None,
    url: str = "",
) -> Task:
    """(Re)assign an open task to an account and/or a PCC cell, with its due time; the new owners are
    told. Nothing changes (and nobody is told) when owner and due time are the same."""
    _require_in_crisis(actor, "crisis.change_task", task.crisis)
    if deadline is not None and deadline.tzinfo is None:
        raise UserError(
            "Échéance sans fuseau horaire.", [Problem(_("heure sans fuseau horaire"), field="deadline")]
        )
    cell = _check_cell(cell)
    user = _check_assignee(task.crisis, assignee)
    if user is None and not cell:
        raise UserError(
            "Attribuez la tâche à un compte ou à une cellule du PCC.",
            [Problem(_("obligatoire"), field="assignee")],
        )
    with transaction.atomic():
        task = (
            Task.objects.select_for_update(of=("self",)).select_related("crisis", "assignee").get(pk=task.pk)
        )
        _open(task.crisis)
        if not task.is_open:
            raise UserError(
                f"La tâche « {task.title} » est {task.get_status_display().lower()}.",
                [Problem(_("tâche close"), field="status")],
            )
        same = (task.assignee_id, task.cell, task.deadline) == (user.pk if user else None, cell, deadline)
        if same:
            return task
        before = task.owner_label
        task.assignee, task.cell, task.deadline = user, cell, deadline
        task.assignee_label = actor_label(user) if user else ""
        task.save(update_fields=["assignee", "cell", "deadline", "assignee_label"])
        record(
            actor,
            "crisis.task.assign",
            task,
            commune=task.crisis.communes[0],
            detail={
                "assignee": user.pk if user else None,
                "cell": cell,
                "deadline": deadline.isoformat() if deadline else None,
            },
        )
        _append(
            task.crisis,
            text=f"Tâche « {task.title} » attribuée à {task.owner_label}"
            + (f" (auparavant : {before})" if before and before != task.owner_label else "")
            + f", échéance {_due_text(task.deadline)}.",
            category=Category.ACTION,
            source=Source.CELL,
            actor=actor,
            task=task,
        )
        _publish_task(task)
        _notify(task.crisis, [task], actor=actor, url=url)
    return task


def do_set_task_status(task: Task, *, status: str, actor: Actor, note: str = "") -> Task:
    _require_in_crisis(actor, "crisis.change_task", task.crisis)
    if status not in Task.Status.values:
        raise UserError(
            _("Statut inconnu %(status)s.") % {"status": repr(status)},
            [Problem(_("statut inconnu"), field="status")],
        )
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        _open(task.crisis)
        if task.status == status:
            return task
        old = task.get_status_display()
        late = task.is_overdue() and status == Task.Status.DONE
        task.status = status
        task.done_at = utcnow() if status in (Task.Status.DONE, Task.Status.CANCELLED) else None
        task.save(update_fields=["status", "done_at"])
        record(actor, "crisis.task.status", task, commune=task.crisis.communes[0], detail={"status": status})
        _append(
            task.crisis,
            text=f"Tâche « {task.title} » : {old} → {task.get_status_display()}."
            + (" (après l'échéance)" if late else "")
            + (f" {note}" if note else ""),
            category=Category.ACTION,
            source=Source.CELL,
            actor=actor,
            task=task,
        )
        _publish_task(task)
    return task


# --- reflex sheets -------------------------------------------------------------------------
def do_save_reflex_sheet(
    *,
    actor: Actor,
    sheet: ReflexSheet | None = None,
    commune: str = "",
    hazard: str,
    level: int,
    title: str,
    objective: str = "",
    items: list[dict],
) -> ReflexSheet:
    """Create or edit a reflex sheet (bumps its version).

    ``items``: [{title, cell, within_minutes, priority}].
    """
    require(
        actor,
        "crisis.change_reflexsheet" if sheet else "crisis.add_reflexsheet",
        commune=commune or None,
        system=("demo",),
    )
    problems = []
    if hazard not in Hazard.values:
        problems.append(Problem(_("aléa inconnu %(hazard)s") % {"hazard": repr(hazard)}, field="hazard"))
    if level not in LEVELS:
        problems.append(Problem(_("niveau de 1 à 4"), field="level"))
    if not (title or "").strip():
        problems.append(Problem(_("obligatoire"), field="title"))
    for i, item in enumerate(items, 1):
        if not str(item.get("title", "")).strip():
            problems.append(Problem(_("l'action %(i)s n'a pas de titre") % {"i": i}, field="items"))
    if problems:
        raise UserError(_("Impossible d'enregistrer la fiche réflexe."), problems)
    with transaction.atomic():
        if sheet is None:
            sheet = ReflexSheet(version=1)
        else:
            sheet.version += 1
        sheet.commune, sheet.hazard, sheet.level = commune, hazard, level
        sheet.title, sheet.objective = title.strip(), objective
        sheet.updated_at, sheet.updated_by = utcnow(), actor_label(actor)
        sheet.save()
        sheet.items.all().delete()
        ReflexItem.objects.bulk_create(
            [
                ReflexItem(
                    sheet=sheet,
                    order=i,
                    title=str(it["title"]).strip(),
                    cell=it.get("cell", ""),
                    within_minutes=it.get("within_minutes"),
                    priority=int(it.get("priority") or 2),
                )
                for i, it in enumerate(items, 1)
            ]
        )
        record(actor, "crisis.reflexsheet.save", sheet, commune=commune, detail={"version": sheet.version})
    return sheet


def do_start_reflex_sheet(
    crisis: Crisis | int, sheet: ReflexSheet, *, actor: Actor, url: str = ""
) -> ReflexRun:
    """Start a reflex sheet in a crisis: each of its actions becomes a task with its due time, for
    the PCC cell its « cellule » names; the people staffing those cells are told."""
    crisis = _crisis(crisis)
    _require_in_crisis(actor, "crisis.add_reflexrun", crisis)
    if sheet.commune and sheet.commune not in crisis.communes:
        raise UserError(
            _("Cette fiche réflexe appartient à une autre commune."),
            [Problem(_("autre commune"), field="sheet")],
        )
    with transaction.atomic():
        _open(crisis)
        now = utcnow()
        run = ReflexRun.objects.create(
            crisis=crisis,
            sheet=sheet,
            sheet_title=sheet.title,
            sheet_version=sheet.version,
            started_at=now,
            started_by=actor_label(actor),
        )
        entry = _append(
            crisis,
            text=f"Fiche réflexe déclenchée : {sheet.title} (v{sheet.version}, "
            f"{sheet.items.count()} actions).",
            category=Category.DECISION,
            source=Source.CELL,
            actor=actor,
        )
        Task.objects.bulk_create(
            [
                Task(
                    crisis=crisis,
                    title=item.title,
                    assignee_label=item.cell,
                    cell=cell_for_label(item.cell),
                    priority=item.priority,
                    deadline=now + timedelta(minutes=item.within_minutes) if item.within_minutes else None,
                    created_at=now,
                    created_by=actor_label(actor),
                    source_entry=entry,
                    reflex_run=run,
                )
                for item in sheet.items.all()
            ]
        )
        record(actor, "crisis.reflexsheet.start", run, commune=crisis.communes[0], detail={"sheet": sheet.pk})
        publish_event(
            "task", communes=crisis.communes, crisis=crisis.pk, task=None, status=None, reflex_run=run.pk
        )
        _notify(crisis, list(run.tasks.filter(cell__gt="").order_by("pk")), actor=actor, url=url)
    return run
