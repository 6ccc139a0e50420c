"""A short exercise in a browser: the mayor opens it, the cell logs entries, starts a reflex sheet,
completes tasks, the mayor closes it and downloads the RETEX PDF."""

from __future__ import annotations

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.core.actors import SystemActor
from beffroi.crisis.actions_means import do_save_reflex_sheet
from beffroi.crisis.chain import verify
from beffroi.crisis.models import Crisis, LogEntry, Task
from tests.conftest import PASSWORD
from tests.e2e.conftest import login


def _login_totp(page, user):
    login(page, user.username, PASSWORD)
    device = TOTPDevice.objects.get(user=user)
    page.locator("input[name=token]").fill(
        f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    )
    page.locator("form button[type=submit]").last.click()


def test_short_exercise_from_opening_to_retex(page, make_user, screenshot, tmp_path):
    do_save_reflex_sheet(
        actor=SystemActor("demo"),
        hazard="inondation",
        level=3,
        title="Crue — alerte",
        items=[
            {
                "title": "Fermer le quai de la Marne",
                "cell": "Services techniques",
                "within_minutes": 30,
                "priority": 1,
            },
            {"title": "Prévenir les riverains", "cell": "Communication", "within_minutes": 60},
        ],
    )
    mayor = make_user("maire", ["94052"], totp=True)
    _login_totp(page, mayor)

    page.goto("/crise/")
    page.get_by_label("Intitulé").fill("Exercice crue de la Marne")
    page.get_by_label("Aléa").select_option("inondation")
    page.get_by_label("Niveau").select_option("3")
    page.get_by_label("Nogent-sur-Marne (94052)").check()
    page.get_by_label("Exercice (tout sera marqué EXERCICE)").check()
    page.get_by_role("button", name="Ouvrir").click()
    page.wait_for_url("**/crise/*/")
    assert page.get_by_text("EXERCICE —").is_visible()

    for text, category in [
        ("Appel du capitaine du port : eau au ras du quai", "info"),
        ("Fermeture du parking du port", "decision"),
    ]:
        page.get_by_label("Message").fill(text)
        page.get_by_label("Catégorie").select_option(category)
        page.get_by_role("button", name="Inscrire").first.click()
        page.locator("#entries").get_by_text(text).wait_for()

    # A located entry: a click on the map fills its position; it then shows as a marker.
    page.locator("#crisis-map").click()
    assert page.locator("#id_lat").input_value()
    page.get_by_label("Message").fill("Eau sur la chaussée, boulevard de la Marne")
    page.get_by_role("button", name="Inscrire").first.click()
    page.locator("#entries").get_by_text("Eau sur la chaussée").wait_for()
    page.wait_for_function("document.getElementById('crisis-map').dataset.markers === '1'")

    page.get_by_label("Déclencher une fiche réflexe").select_option(label="Crue — alerte (niveau 3)")
    page.get_by_role("button", name="Déclencher la fiche").click()
    page.get_by_text("Fermer le quai de la Marne").wait_for()
    for title in ["Fermer le quai de la Marne", "Prévenir les riverains"]:
        page.get_by_role("button", name=f"Marquer faite : {title}").click()
        page.locator(".task.status-done", has_text=title).wait_for()
        page.locator("#entries").get_by_text(f"Tâche « {title} » : À faire → Faite").wait_for()
    screenshot("crisis-exercise")

    page.get_by_label("Bilan de clôture").fill("Fin de l'exercice, décrue simulée.")
    page.get_by_role("button", name="Clore").click()
    page.wait_for_load_state()
    screenshot("crisis-closed")
    page.locator(".badge.status-closed").wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le RETEX (PDF)").click()
    path = tmp_path / "retex.pdf"
    download_info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    crisis = Crisis.objects.get()
    assert crisis.exercise and crisis.status == "closed"
    assert Task.objects.filter(crisis=crisis, status="done").count() == 2
    assert LogEntry.objects.filter(crisis=crisis, text__startswith="Fermeture du parking").exists()
    assert verify(crisis).ok
    assert not page.js_errors, page.js_errors


def test_exercise_from_the_ui_and_shelter_occupancy(page, make_user, screenshot, settings):
    from beffroi.crisis.demo import load

    load(["92063", "92033"])
    cell = make_user("cellule_crise", ["92063", "92033"])
    login(page, cell.username, PASSWORD)
    page.goto("/crise/exercices/")
    row = page.locator("tr", has_text="Canicule à Rueil-Malmaison et Garches")
    row.get_by_label("Vitesse ×").fill("3600")
    row.get_by_role("button", name="Lancer l'exercice").click()
    page.wait_for_url("**/crise/*/")
    # At ×3600 a scenario hour passes each real second: the page's clock plays the injects.
    page.locator("#entries").get_by_text("EHPAD de Garches").wait_for(timeout=20000)
    screenshot("crisis-exercise-ui")
    assert page.get_by_text("EXERCICE —").is_visible()

    for path in (page.url, "/crise/", "/crise/moyens/", "/crise/exercices/", "/crise/annuaire/"):
        page.goto(path)
        page.add_script_tag(url="/static/vendor/axe/axe.min.js")
        result = page.evaluate(
            "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
        )
        serious = [
            (v["id"], len(v["nodes"])) for v in result["violations"] if v["impact"] in ("serious", "critical")
        ]
        assert result["passes"] and serious == [], (path, serious)
        if path == "/crise/":
            screenshot("crisis-index")

    page.goto("/crise/moyens/")
    # A cooling room keeps a head count, no register: open it, then type the count.
    page.get_by_role("button", name="Ouvrir Espace Ariane (salle rafraîchie)").click()
    page.get_by_label("Occupation Espace Ariane (salle rafraîchie)").fill("35")
    page.locator("tr", has_text="Espace Ariane").get_by_role("button", name="OK").click()
    page.locator("tr", has_text="Espace Ariane").get_by_text("35 (29 %)").wait_for()
    screenshot("crisis-resources")
    assert not page.js_errors, page.js_errors


def test_journal_and_tasks_update_live_from_another_member(page, make_user):
    """What a colleague writes appears on an open crisis page without a reload and without polling:
    the main courante on its ``entry`` event, the tasks on their ``task`` event (htmx SSE)."""
    from beffroi.crisis.actions import do_append_entry, do_open_crisis
    from beffroi.crisis.actions_means import do_create_task

    colleague = make_user("cellule_crise", ["92063"])
    crisis = do_open_crisis(
        hazard="inondation", communes=["92063"], level=2, exercise=True, title="Crue test", actor=colleague
    )
    viewer = make_user("cellule_crise", ["92063"])
    login(page, viewer.username, PASSWORD)
    page.goto(f"/crise/{crisis.pk}/")
    assert "every" not in (page.locator("#entries").get_attribute("hx-trigger") or "")
    page.wait_for_function("() => document.querySelector('[sse-connect]') !== null")
    page.wait_for_timeout(1000)  # let the EventSource connect
    do_append_entry(
        crisis, text="Digue surveillée au pont", category="info", source="terrain", actor=colleague
    )
    page.locator("#entries").get_by_text("Digue surveillée au pont").wait_for(timeout=10000)
    do_create_task(crisis, title="Barrer la rue du quai", actor=colleague)
    page.locator("#tasks").get_by_text("Barrer la rue du quai").wait_for(timeout=10000)
    assert not page.js_errors, page.js_errors
