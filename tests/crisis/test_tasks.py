"""Tasks that reach people: assigned to an account or a PCC cell with a due time, the people told
live and by e-mail through the outbox, overdue flagged when read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from beffroi.alerts.models import Delivery
from beffroi.alerts.outbox import dispatch_all
from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.core.models import AuditEvent
from beffroi.core.timeutil import utcnow
from beffroi.crisis import selectors
from beffroi.crisis.actions import do_add_staffing, do_open_crisis
from beffroi.crisis.actions_tasks import (
    cell_for_label,
    do_assign_task,
    do_create_task,
    do_save_reflex_sheet,
    do_set_task_status,
    do_start_reflex_sheet,
)
from beffroi.crisis.chain import verify
from beffroi.crisis.models import LogEntry, Staffing, Task
from tests.conftest import login_client

NOGENT = "94052"


@pytest.fixture
def published(monkeypatch):
    import beffroi.core.live as live

    seen: list[tuple[str, dict]] = []
    monkeypatch.setattr(live, "_publish_now", lambda topic, event, data: seen.append((event, data)))
    return seen


@pytest.fixture
def people(make_user):
    def person(role, username, communes=(NOGENT,)):
        user = make_user(role, list(communes), username=username)
        user.email = f"{username}@nogent.test"
        user.first_name, user.last_name = username.capitalize(), "Test"
        user.save()
        return user

    return person


@pytest.fixture
def crisis(make_user):
    lead = make_user("maire", [NOGENT])
    return do_open_crisis(
        hazard="inondation", communes=[NOGENT], level=3, exercise=False, title="Crue", actor=lead
    )


def test_a_task_assigned_to_an_account_tells_that_person_live_and_by_mail(
    crisis, people, published, mailoutbox, django_capture_on_commit_callbacks
):
    cell = people("cellule_crise", "chef")
    agent = people("cellule_crise", "agent")
    due = utcnow() + timedelta(minutes=45)
    with django_capture_on_commit_callbacks(execute=True):
        task = do_create_task(
            crisis,
            title="Fermer le parking du port",
            assignee=agent,
            deadline=due,
            url="http://beffroi.test/crise/1/",
            actor=cell,
        )
    assert task.assignee == agent and task.owner_label == "Agent Test"
    # live: the list and the person
    event = next(d for name, d in published if name == "task.assigned")
    assert event["task"] == task.pk and event["owner"] == "Agent Test" and event["communes"] == [NOGENT]
    assert ("task", True) in [(name, d.get("task") == task.pk) for name, d in published]
    # e-mail: one staff message in the outbox, sent by its workers
    row = Delivery.objects.get(staff_message__isnull=False)
    assert (row.channel, row.recipient) == ("email", "agent@nogent.test")
    dispatch_all()
    assert [m.to for m in mailoutbox] == [["agent@nogent.test"]]
    assert "Fermer le parking du port" in mailoutbox[0].subject
    assert "http://beffroi.test/crise/1/" in mailoutbox[0].body and "heure de Paris" in mailoutbox[0].body
    # main courante and audit
    entry = LogEntry.objects.filter(crisis=crisis, task=task).get()
    assert "→ Agent Test" in entry.text and "échéance" in entry.text
    assert AuditEvent.objects.filter(action="crisis.task.create").get().detail["assignee"] == agent.pk
    assert AuditEvent.objects.filter(action="alerts.notify_staff", actor_label="crisis").exists()
    assert verify(crisis).ok


def test_a_task_for_a_cell_reaches_the_accounts_staffing_it_now(
    crisis, people, mailoutbox, django_capture_on_commit_callbacks
):
    cell = people("cellule_crise", "chef")
    logi1, logi2, comm = (
        people("cellule_crise", "logi1"),
        people("cellule_crise", "logi2"),
        people("communication", "comm"),
    )
    for user, post in ((logi1, "logistique"), (logi2, "logistique"), (comm, "communication")):
        do_add_staffing(crisis, cell=post, name=user.username, user=user, actor=cell)
    left = do_add_staffing(crisis, cell="logistique", name="parti", user=cell, actor=cell)
    left.ended_at = utcnow()
    left.save()
    do_add_staffing(crisis, cell="logistique", name="Sans compte", actor=cell)  # no account: no mail
    with django_capture_on_commit_callbacks(execute=True):
        task = do_create_task(crisis, title="Armer le gymnase Watteau", cell="logistique", actor=cell)
    dispatch_all()
    assert sorted(m.to[0] for m in mailoutbox) == ["logi1@nogent.test", "logi2@nogent.test"]
    assert task.owner_label == "Logistique"


def test_reassigning_logs_the_change_and_tells_only_the_new_owner(
    crisis, people, published, mailoutbox, django_capture_on_commit_callbacks
):
    cell = people("cellule_crise", "chef")
    first, second = people("cellule_crise", "premier"), people("cellule_crise", "second")
    task = do_create_task(crisis, title="Prévenir les riverains", assignee=first, actor=cell)
    Delivery.objects.all().delete()
    due = utcnow() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        do_assign_task(task, assignee=second, cell="communication", deadline=due, actor=cell)
    task.refresh_from_db()
    assert task.assignee == second and task.cell == "communication" and task.deadline == due
    assert list(Delivery.objects.values_list("recipient", flat=True)) == ["second@nogent.test"]
    text = LogEntry.objects.filter(crisis=crisis, task=task).order_by("seq").last().text
    assert "attribuée à Second Test (Communication)" in text and "auparavant : Premier Test" in text
    # the same owner and due time again: nothing written, nobody told
    length = LogEntry.objects.filter(crisis=crisis).count()
    do_assign_task(task, assignee=second, cell="communication", deadline=due, actor=cell)
    assert LogEntry.objects.filter(crisis=crisis).count() == length
    assert Delivery.objects.count() == 1


def test_bad_assignments_are_refused_with_the_field_named(crisis, people, make_user):
    cell = people("cellule_crise", "chef")
    elsewhere = make_user("cellule_crise", ["92063"])
    with pytest.raises(UserError) as exc:
        do_create_task(crisis, title="X", assignee=elsewhere, actor=cell)
    assert exc.value.problems[0].field == "assignee"
    with pytest.raises(UserError) as exc:
        do_create_task(crisis, title="X", cell="cuisine", actor=cell)
    assert exc.value.problems[0].field == "cell"
    with pytest.raises(UserError) as exc:
        do_create_task(crisis, title="X", deadline=utcnow().replace(tzinfo=None), actor=cell)
    assert exc.value.problems[0].field == "deadline"
    task = do_create_task(crisis, title="Y", actor=cell)
    with pytest.raises(UserError) as exc:
        do_assign_task(task, actor=cell)
    assert exc.value.problems[0].field == "assignee"
    assert Task.objects.count() == 1  # nothing partial kept
    reader = make_user("lecteur", [NOGENT])
    with pytest.raises(PermissionDenied):
        do_assign_task(task, cell="logistique", actor=reader)
    with pytest.raises(UserError) as exc:
        do_add_staffing(crisis, cell="logistique", name="Hors commune", user=elsewhere, actor=cell)
    assert exc.value.problems[0].field == "user"


def test_overdue_is_computed_when_read_and_done_tasks_are_never_overdue(crisis, people):
    cell = people("cellule_crise", "chef")
    now = utcnow()
    late = do_create_task(
        crisis, title="En retard", cell="technique", deadline=now - timedelta(minutes=5), actor=cell
    )
    soon = do_create_task(
        crisis, title="Bientôt", cell="technique", deadline=now + timedelta(minutes=5), actor=cell
    )
    done = do_create_task(crisis, title="Faite tard", deadline=now - timedelta(hours=1), actor=cell)
    do_set_task_status(done, status="done", actor=cell)
    do_create_task(crisis, title="Sans échéance", assignee_label="Port de Nogent", actor=cell)
    assert late.is_overdue() and not soon.is_overdue()
    assert soon.is_overdue(now + timedelta(minutes=6))  # no job: time alone makes it overdue
    done.refresh_from_db()
    assert not done.is_overdue()
    assert "(après l'échéance)" in LogEntry.objects.filter(task=done).order_by("seq").last().text
    assert list(selectors.overdue_tasks(crisis)) == [late]
    groups = selectors.open_tasks_by_owner(crisis, now=now)
    assert [(g["owner"], g["overdue"], [t.title for t in g["tasks"]]) for g in groups] == [
        ("Services techniques", 1, ["En retard", "Bientôt"]),
        ("Port de Nogent", 0, ["Sans échéance"]),
    ]


def test_reflex_sheet_tasks_go_to_the_cells_their_sheet_names(
    crisis, people, mailoutbox, django_capture_on_commit_callbacks
):
    cell = people("cellule_crise", "chef")
    tech = people("cellule_crise", "tech")
    do_add_staffing(crisis, cell="technique", name="Tech", user=tech, actor=cell)
    sheet = do_save_reflex_sheet(
        actor=SystemActor("demo"),
        hazard="inondation",
        level=3,
        title="Crue",
        items=[
            {"title": "Fermer les quais", "cell": "Services techniques", "within_minutes": 30},
            {"title": "Poser les barrières", "cell": "Services techniques", "within_minutes": 60},
            {"title": "Informer le COD", "cell": "DOS", "within_minutes": 60},
            {"title": "Appeler le port", "cell": "Capitainerie"},
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = do_start_reflex_sheet(crisis, sheet, actor=cell)
    cells = dict(run.tasks.values_list("title", "cell"))
    assert cells == {
        "Fermer les quais": "technique",
        "Poser les barrières": "technique",
        "Informer le COD": "dos",
        "Appeler le port": "",
    }
    dispatch_all()
    # one message for the two tasks of the one person staffing « Services techniques »
    assert [m.to for m in mailoutbox] == [["tech@nogent.test"]]
    assert "2 tâches" in mailoutbox[0].subject and "Poser les barrières" in mailoutbox[0].body
    assert f"http://localhost:8000/crise/{crisis.pk}/" in mailoutbox[0].body  # BEFFROI_PUBLIC_URL


@pytest.mark.parametrize(
    ("label", "cell"),
    [
        ("Services techniques", "technique"),
        ("Secrétariat", "secretariat"),
        ("soutien aux populations", "soutien_population"),
        ("DOS", "dos"),
        ("Logistique / hébergement", "logistique"),
        ("Liaison SDIS", "cos"),
        ("Capitainerie", ""),
        ("", ""),
    ],
)
def test_cell_names_of_reflex_sheets(label, cell):
    assert cell_for_label(label) == cell


def test_the_crisis_page_assigns_a_task_and_flags_it_for_its_person(
    client, crisis, people, django_capture_on_commit_callbacks
):
    cell = people("cellule_crise", "chef")
    agent = people("cellule_crise", "agent")
    login_client(client, cell)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/crise/{crisis.pk}/taches/",
            {
                "task-title": "Baliser la rue de la Marne",
                "task-assignee": agent.pk,
                "task-cell": "technique",
                "task-priority": 1,
                "task-deadline": "2020-01-01T10:00",  # long past: overdue at once
            },
        )
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.assignee, task.cell) == (agent, "technique")
    assert Delivery.objects.get().recipient == "agent@nogent.test"
    page = client.get(f"/crise/{crisis.pk}/").content.decode()
    assert f'id="task-{task.pk}"' in page and "overdue" in page and "En retard" in page
    # « for you » shows it to the agent, not to the one who created it
    assert (
        "Aucune tâche ouverte ne vous est attribuée"
        in client.get(f"/crise/{crisis.pk}/taches/miennes/").content.decode()
    )
    login_client(client, agent)
    mine = client.get(f"/crise/{crisis.pk}/taches/miennes/").content.decode()
    assert "Baliser la rue de la Marne" in mine and "En retard" in mine
    # reassigned to a cell through the page (htmx): the tasks part comes back
    response = client.post(
        f"/crise/{crisis.pk}/taches/{task.pk}/attribuer/",
        {"assign-cell": "logistique", "assign-deadline": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and 'id="tasks"' in response.content.decode()
    task.refresh_from_db()
    assert (task.assignee, task.cell, task.deadline) == (None, "logistique", None)
    bad = client.post(
        f"/crise/{crisis.pk}/taches/{task.pk}/attribuer/", {"assign-cell": ""}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 422


def test_a_staffing_with_an_account_is_made_from_the_page(client, crisis, people):
    cell = people("cellule_crise", "chef")
    login_client(client, cell)
    response = client.post(
        f"/crise/{crisis.pk}/pcc/",
        {"staff-cell": "logistique", "staff-name": "Chef Test", "staff-contact": "", "staff-user": cell.pk},
    )
    assert response.status_code == 302
    assert Staffing.objects.get().user == cell
