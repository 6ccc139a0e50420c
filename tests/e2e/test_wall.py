"""The crisis room's wall screen on a 1920×1080 TV during the demo's flood exercise: every part on
one screen without scrolling, a new main courante entry appearing live, the connection's loss said
and recovered."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from beffroi.alerts import actions as alert_actions
from beffroi.core.actors import SystemActor
from beffroi.core.timeutil import utcnow
from beffroi.crisis import demo as crisis_demo
from beffroi.crisis import scenario
from beffroi.crisis.actions import do_add_staffing, do_append_entry, do_close_crisis, do_open_crisis
from beffroi.crisis.actions_means import do_open_shelter, do_register_arrival, do_set_occupancy
from beffroi.crisis.actions_tasks import do_create_task, do_start_reflex_sheet
from beffroi.crisis.exercise import apply_due, do_start_exercise
from beffroi.crisis.models import ReflexSheet, Shelter
from beffroi.monitoring import demo as monitoring_demo
from beffroi.sources.models import Source
from beffroi.web import live as web_live

ROOT = Path(__file__).resolve().parents[2]
DEMO = ["92063", "92033", "94052"]
TV = {"width": 1920, "height": 1080}
PARTS = ["header", "indicators", "journal", "tasks", "shelters", "alerts", "sources"]


@pytest.fixture
def flood_exercise(make_user, settings, tmp_path):
    """The demo's data and its flood scenario played for two and a half scenario hours."""
    settings.PUBLIC_ROOT = tmp_path / "public"
    monitoring_demo.load(DEMO)
    crisis_demo.load(DEMO)
    cell = make_user("cellule_crise", DEMO, username="cellule")
    mayor = make_user("maire", DEMO, username="maire", totp=True)
    run = do_start_exercise(
        scenario.load(ROOT / "scenarios" / "crue-marne-nogent.yaml"), speed=60, actor=SystemActor("cli")
    )
    apply_due(run, now=run.started_at + timedelta(seconds=150))  # injects up to 02:30 (level 3 at 01:30)
    crisis = run.crisis
    crisis.refresh_from_db()
    do_add_staffing(crisis, cell="technique", name="Services techniques", user=cell, actor=cell)
    sheet = ReflexSheet.objects.get(title="Crue — alerte, activation du PCS")
    do_start_reflex_sheet(crisis, sheet, actor=cell)
    do_create_task(
        crisis,
        title="Fermer le parking du port",
        cell="technique",
        deadline=utcnow() - timedelta(minutes=20),
        priority=1,
        actor=cell,
    )
    watteau = Shelter.objects.get(name="Gymnase Watteau")
    do_open_shelter(watteau, actor=cell)
    for name, size in (("Famille Martin", 4), ("M. Duval", 1), ("Famille Benali", 5)):
        do_register_arrival(watteau, name=name, household_size=size, actor=cell)
    ariane = Shelter.objects.get(name="Espace Ariane (salle rafraîchie)")
    do_open_shelter(ariane, actor=cell)
    do_set_occupancy(ariane, occupancy=12, actor=cell)
    alert = alert_actions.do_draft_alert(
        hazard="inondation",
        communes=["94052"],
        headline="Crue de la Marne : quittez les berges et le port",
        onset=utcnow(),
        expires=utcnow() + timedelta(hours=12),
        crisis_id=crisis.pk,
        exercise=True,
        actor=cell,
    )
    version = alert.latest()
    alert_actions.do_submit(version, actor=cell)
    mayor.is_verified = lambda: True
    alert_actions.do_approve(version, digest=version.digest(), actor=mayor)
    alert_actions.do_publish(version, actor=cell)
    Source.objects.create(
        name="vigicrues-idf",
        kind="vigicrues",
        title="Vigicrues — Seine à Paris, Marne, Seine yvelinoise",
        consecutive_failures=4,
        last_error="pas de réseau",
        last_run_at=utcnow() - timedelta(hours=2),
    )
    return crisis, cell


def _tv(browser, live_server, user, *, locale="fr-FR", viewport=TV):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, locale=locale, viewport=viewport)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return context, page, errors


def _shoot(page, name: str) -> Path:
    directory = Path(settings.DATA_DIR) / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    page.screenshot(path=str(path))  # the screen as the TV shows it, not the full page
    return path


def _overflowing(page) -> list[str]:
    """Panels and parts whose content is cut (taller than their box), and the page's own scroll."""
    return page.evaluate(
        """() => {
          const cut = [];
          const d = document.documentElement;
          if (d.scrollHeight > innerHeight || d.scrollWidth > innerWidth) cut.push('page');
          document.querySelectorAll('.panel, .part, .wall-top').forEach(el => {
            if (el.scrollHeight > el.clientHeight + 1) cut.push(el.id || el.className);
          });
          return cut;
        }"""
    )


def test_wall_screen_during_the_flood_exercise(browser, live_server, flood_exercise, monkeypatch):
    crisis, cell = flood_exercise
    context, page, errors = _tv(browser, live_server, cell)
    page.goto(f"/mur/{crisis.pk}/")
    page.wait_for_selector("#wall-status[data-state='live']", timeout=15000)
    for part in PARTS:
        assert page.locator(f"#wall-{part}").count() == 1, part
    header = page.locator("#wall-header").inner_text()
    assert "EXERCICE" in header and "Crue de la Marne à Nogent-sur-Marne" in header
    assert "3 – alerte (PCS activé)" in header
    assert page.locator("#wall-clock").inner_text().count(":") == 2
    indicators = page.locator("#wall-indicators .indicator")
    assert indicators.count() == 4  # what fits: the flood's, the crisis commune's first
    assert "et 1 autre indicateur" in page.locator("#wall-indicators").inner_text()
    marne = page.locator(".indicator[data-key='marne-gournay']")
    assert "Seuil suivant" in marne.inner_text() and " m/h" in marne.inner_text()
    assert indicators.first.get_attribute("data-key") == "marne-gournay"  # the crisis commune's first
    assert page.locator("#wall-journal .entry").count() == 6
    tasks = page.locator("#wall-tasks").inner_text()
    assert "en retard" in tasks and "Services techniques" in tasks
    assert page.locator("#wall-tasks .owner.has-overdue").count() >= 1
    shelters = page.locator("#wall-shelters").inner_text()
    assert "Gymnase Watteau" in shelters and "10/150" in shelters.replace(" ", "")
    assert "Crue de la Marne : quittez les berges" in page.locator("#wall-alerts").inner_text()
    assert "Vigicrues" in page.locator("#wall-sources").inner_text()
    _shoot(page, "wall-flood")
    assert _overflowing(page) == []
    # high contrast and the parts named for a screen reader (WCAG 2.1 AA)
    page.add_script_tag(url="/static/vendor/axe/axe.min.js")
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
    )
    serious = [
        (v["id"], len(v["nodes"])) for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert result["passes"] and serious == [], serious

    # A new main courante entry appears live, alone: the other parts are not re-fetched.
    # The datetime attribute, not the text: the text has whole seconds, and the swap can land in
    # the same second as this read.
    before = page.locator("#wall-updated").get_attribute("datetime")
    page.evaluate("document.getElementById('wall-indicators').dataset.kept = '1'")
    entry = do_append_entry(
        crisis,
        text="SDIS : la personne de la péniche a été mise en sécurité",
        category="info",
        source="radio",
        actor=cell,
    )
    page.locator(f"#wall-journal .entry[data-seq='{entry.seq}']").wait_for(timeout=10000)
    assert "péniche a été mise en sécurité" in page.locator("#wall-journal .entry").first.inner_text()
    assert page.locator("#wall-indicators[data-kept='1']").count() == 1
    # A locator assertion, not wait_for_function: polling a string predicate needs eval, which the
    # page's CSP (no 'unsafe-eval') refuses when the first check does not already hold.
    expect(page.locator("#wall-updated")).not_to_have_attribute("datetime", before or "", timeout=5000)

    # The connection drops (the server ends the stream, as a proxy's timeout would, and the
    # browser's reconnections fail): the wall says so and greys its data, then recovers and re-reads
    # every part, since events may have been missed meanwhile.
    assert not errors, errors
    page.route("**/live/**", lambda route: route.abort())
    ended = SimpleNamespace(monotonic=lambda: time.monotonic() + 10 * web_live.WSGI_MAX_SECONDS)
    monkeypatch.setattr(web_live, "time", ended)
    page.wait_for_selector("#wall-status[data-state='lost']", timeout=15000)
    monkeypatch.setattr(web_live, "time", time)
    assert page.locator("#wall-lost").is_visible()
    assert "Connexion perdue depuis" in page.locator("#wall-lost").inner_text()
    assert page.locator("#wall-connection").inner_text().strip() == "Connexion perdue"
    _shoot(page, "wall-flood-lost")
    page.unroute("**/live/**")
    page.wait_for_selector("#wall-status[data-state='live']", timeout=30000)
    assert not page.locator("#wall-lost").is_visible()
    page.wait_for_selector("#wall-indicators:not([data-kept])", timeout=5000)  # re-read after the gap
    # and live events flow again (the outage's aborted reconnections were its only console errors)
    errors.clear()
    entry = do_append_entry(
        crisis, text="Décrue amorcée à Gournay", category="info", source="phone", actor=cell
    )
    page.locator(f"#wall-journal .entry[data-seq='{entry.seq}']").wait_for(timeout=10000)
    assert not errors, errors
    context.close()


def test_wall_screen_in_english_and_on_a_phone(browser, live_server, flood_exercise):
    crisis, cell = flood_exercise
    context, page, errors = _tv(browser, live_server, cell, locale="en-GB")
    page.goto(f"/mur/{crisis.pk}/")
    page.wait_for_selector("#wall-status[data-state='live']", timeout=15000)
    assert page.locator("#wall-ind-title").inner_text().strip().lower() == "indicators"
    assert "Next threshold" in page.locator("#wall-indicators").inner_text()
    assert "overdue" in page.locator("#wall-tasks").inner_text()
    assert page.locator("#wall-connection").inner_text().strip() == "Live"
    _shoot(page, "wall-flood-en")
    assert _overflowing(page) == []
    context.close()
    context, page, errors = _tv(browser, live_server, cell, viewport={"width": 390, "height": 844})
    page.goto(f"/mur/{crisis.pk}/")
    page.wait_for_selector("#wall-status[data-state='live']", timeout=15000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(Path(settings.DATA_DIR) / "screenshots" / "wall-flood-390.png"), full_page=True)
    assert not errors, errors
    context.close()


def test_the_wall_without_a_number_shows_a_crisis_when_it_opens(browser, live_server, make_user):
    cell = make_user("cellule_crise", DEMO)
    mayor = make_user("maire", DEMO)
    context, page, errors = _tv(browser, live_server, cell)
    page.goto("/mur/")
    page.wait_for_selector("#wall-status[data-state='live']", timeout=15000)
    assert "Aucune crise ouverte" in page.locator("#wall-header").inner_text()
    crisis = do_open_crisis(
        hazard="inondation",
        communes=["94052"],
        level=3,
        exercise=False,
        title="Crue de la Marne",
        actor=mayor,
    )
    page.wait_for_selector(f"#wall-root[data-crisis='{crisis.pk}']", timeout=10000)
    assert "Crue de la Marne" in page.locator("#wall-header").inner_text()
    page.wait_for_selector("#wall-status[data-state='live']", timeout=15000)  # a new connection
    entry_text = "Premier point de situation"
    do_append_entry(crisis, text=entry_text, category="info", source="phone", actor=cell)
    page.locator("#wall-journal .entry", has_text=entry_text).wait_for(timeout=10000)
    do_close_crisis(crisis, summary="Décrue", actor=mayor)
    page.wait_for_selector("#wall-root[data-crisis='']", timeout=10000)
    assert not errors, errors
    context.close()
