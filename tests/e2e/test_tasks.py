"""A task assigned in the crisis page reaches its person: the « Pour vous » card of their open crisis
page shows it live, flagged when overdue, and an e-mail is queued in the outbox."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.test import Client

from beffroi.alerts.models import Delivery
from beffroi.core.timeutil import utcnow
from beffroi.crisis.actions import do_add_staffing, do_open_crisis
from beffroi.crisis.actions_tasks import do_create_task


def _browser_for(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": 1366, "height": 900}
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context, context.new_page()


def test_an_assigned_task_appears_live_for_its_person(browser, live_server, make_user):
    mayor = make_user("maire", ["94052"])
    crisis = do_open_crisis(
        hazard="inondation", communes=["94052"], level=3, exercise=True, title="Crue", actor=mayor
    )
    chief = make_user("cellule_crise", ["94052"], username="chef")
    agent = make_user("cellule_crise", ["94052"], username="agent")
    agent.email = "agent@nogent.test"
    agent.save()
    do_add_staffing(crisis, cell="technique", name="Agent", user=agent, actor=chief)
    context, page = _browser_for(browser, live_server, agent)
    page.goto(f"/crise/{crisis.pk}/")
    page.locator("#my-tasks").wait_for()
    assert "Aucune tâche ouverte ne vous est attribuée" in page.locator("#my-tasks").inner_text()
    do_create_task(
        crisis,
        title="Baliser la rue de la Marne",
        cell="technique",
        deadline=utcnow() - timedelta(minutes=5),
        actor=chief,
    )
    page.locator("#my-tasks .task.overdue", has_text="Baliser la rue de la Marne").wait_for(timeout=10000)
    assert "En retard" in page.locator("#my-tasks").inner_text()
    page.locator("#tasks .task.overdue", has_text="Baliser la rue de la Marne").wait_for(timeout=10000)
    assert Delivery.objects.filter(recipient="agent@nogent.test", channel="email").exists()
    directory = Path(settings.DATA_DIR) / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(directory / "crisis-task-for-you.png"), full_page=True)
    context.close()
