"""The CCAS in a browser: import a spreadsheet, start a heatwave campaign, two callers record outcomes,
a no-answer escalates to a visit, a route is printed."""

from __future__ import annotations

import base64
import os
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.core.actors import SystemActor
from beffroi.registry.actions import do_nominate
from beffroi.registry.models import AccessLog, Person, Visit

from ..conftest import PASSWORD
from .conftest import login

FIXTURE = Path(__file__).parent.parent / "fixtures" / "registry" / "registre-ccas-geo.csv"


def _login_totp(page, user):
    login(page, user.username, PASSWORD)
    device = TOTPDevice.objects.get(user=user)
    page.locator("input[name=token]").fill(
        f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Valider").click()


@pytest.fixture
def registry_key(settings):
    settings.REGISTRY_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_import_campaign_calls_escalation_and_printed_route(
    page, screenshot, make_user, registry_key, browser, live_server
):
    agent = make_user("agent_ccas", ["92063"], username="agent", totp=True)
    caller = make_user("agent_ccas", ["92063"], username="appelant", totp=True)
    do_nominate(agent, "92063", decision_date=date(2026, 1, 5), signer="Le maire", actor=SystemActor("cli"))
    do_nominate(
        caller,
        "92063",
        decision_date=date(2026, 1, 5),
        signer="Le maire",
        scope="caller",
        actor=SystemActor("cli"),
    )

    _login_totp(page, agent)
    page.goto("/registre/")
    page.get_by_role("link", name="Importer un tableur").click()
    page.get_by_label("Fichier").set_input_files(str(FIXTURE))
    page.get_by_role("button", name="Vérifier (aperçu)").click()
    page.get_by_role("button", name="Confirmer et importer 4 personnes").click()
    page.wait_for_load_state("load")
    assert "4 personnes importées" in page.content()
    assert Person.objects.count() == 4

    page.goto("/registre/")
    page.get_by_role("link", name="Lancer une campagne d'appels").click()
    page.get_by_label("Aléa").select_option("canicule")
    page.get_by_label("agent (").check()
    page.get_by_label("appelant (").check()
    page.get_by_label("Visite après combien d'appels sans réponse").fill("1")
    page.get_by_role("button", name="Lancer la campagne").click()
    page.wait_for_load_state("load")
    campaign_url = page.url
    rows = page.locator("#my-calls tbody tr")
    assert rows.count() == 2  # half of the list each
    rows.nth(0).get_by_role("button", name="Joint, tout va bien").click()
    page.wait_for_load_state("load")
    page.locator("#my-calls tbody tr").filter(
        has=page.get_by_role("button", name="Pas de réponse")
    ).first.get_by_role("button", name="Pas de réponse").click()
    page.wait_for_load_state("load")
    assert Visit.objects.filter(reason="no_answer").count() == 1

    # The second caller, in another browser, sees only their own two people.
    other = browser.new_context(base_url=live_server.url, locale="fr-FR")
    caller_page = other.new_page()
    _login_totp(caller_page, caller)
    caller_page.goto(campaign_url)
    assert caller_page.locator("#my-calls tbody tr").count() == 2
    assert caller_page.locator("#visits").count() == 0  # a caller does not see the visits
    caller_page.locator("#my-calls tbody tr").first.get_by_role(
        "button", name="Joint, a besoin d'aide"
    ).click()
    caller_page.wait_for_load_state("load")
    other.close()
    assert Visit.objects.count() == 2

    page.goto(campaign_url)
    assert page.locator("#visits tbody tr").count() == 2
    page.get_by_label("Nombre d'équipes").fill("1")
    page.get_by_role("button", name="Calculer les tournées").click()
    page.wait_for_load_state("load")
    link = page.get_by_role("link", name="Imprimer la tournée de l'équipe 1 (2 visites)")
    screenshot("registry-campaign")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF")
    out = Path(django_settings.DATA_DIR) / "screenshots" / "registry-route.pdf"
    out.write_bytes(pdf)
    assert AccessLog.objects.filter(action="visit_list", reason="impression d'une tournée").exists()
    assert not page.js_errors


def _legal_wordings_workbook(path: Path) -> Path:
    """A CCAS spreadsheet as kept by hand: French headers, the legal wordings, every phone column."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Registre 2026"
    sheet.append(
        [
            "NOM",
            "Prénom",
            "Né(e) le",
            "Adresse",
            "Qualité",
            "Tél. fixe",
            "Portable",
            "Personne à prévenir",
            "Tél. personne à prévenir",
            "Service d'aide à domicile",
            "Demandeur",
            "Médecin traitant",
        ]
    )
    rows = [
        (
            "QUIBBLEWORTH",
            "Ambroisine",
            date(1931, 4, 3),
            "12 rue des Hérissons Bleus",
            "Personne âgée de 65 ans et plus",
            "01 47 08 11 22",
            "06 12 34 56 78",
            "Mme Fictive (fille)",
            "06 11 22 33 44",
            "SAAD Les Mimosas",
            "l'intéressée",
            "Dr Imaginaire",
        ),
        (
            "ZANZIBARRE",
            "Théodule",
            "21/11/1946",
            "4 avenue du Pélican Rose",
            "Personne adulte handicapée",
            "",
            "06 12 34 56 79",
            "",
            "",
            "",
            "tuteur (UDAF 92)",
            "",
        ),
        (
            "PLUMETERRE",
            "Honorine",
            "30/09/1962",
            "88 bis allée des Lucioles",
            "Personne de plus de 60 ans reconnue inapte au travail",
            "01 47 99 88 77",
            "",
            "",
            "",
            "",
            "Département (APA)",
            "",
        ),
    ]
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def test_nominated_agent_imports_a_realistic_xlsx_in_one_attempt(
    page, screenshot, make_user, registry_key, browser, live_server, tmp_path
):
    agent = make_user("agent_ccas", ["92063"], username="agent", totp=True)
    do_nominate(agent, "92063", decision_date=date(2026, 1, 5), signer="Le maire", actor=SystemActor("cli"))
    workbook = _legal_wordings_workbook(tmp_path / "registre-canicule.xlsx")

    _login_totp(page, agent)
    page.goto("/registre/commune/92063/import/")
    page.get_by_label("Fichier").set_input_files(str(workbook))
    page.get_by_role("button", name="Vérifier (aperçu)").click()
    page.wait_for_load_state("load")
    # The mapping: every column of the file, with what it goes into, or why it is ignored.
    assert page.get_by_label("Portable").input_value() == "mobile"
    assert page.get_by_label("Tél. personne à prévenir").input_value() == "emergency_contact_phone"
    assert page.get_by_label("Médecin traitant").input_value() == "ignore"
    assert "non prévue par l'article R121-4" in page.locator("#import-columns").inner_text()
    # The interpretation of the legal wordings, to confirm; the preview in clear for this agent.
    categories = page.locator("#import-categories")
    assert categories.get_by_label("« Personne âgée de 65 ans et plus »").input_value() == "age_65"
    assert categories.get_by_label("« Personne adulte handicapée »").input_value() == "disabled"
    requesters = page.locator("#import-requesters").inner_text()
    assert "UDAF 92" in requesters and "Transmission du département" in requesters
    preview = page.locator("#import-report").inner_text()
    assert "QUIBBLEWORTH" in preview and "06 11 22 33 44" in preview and "03/04/1931" in preview
    assert Person.objects.count() == 0
    screenshot("registry-import-preview")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("registry-import-preview-390")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    page.set_viewport_size({"width": 1366, "height": 900})

    # The same preview in English (the catalogue is complete), then back to French to confirm.
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.get_by_role("button", name="Vérifier à nouveau").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="Column mapping").count() == 1
    assert "Read as" in page.locator("#import-categories").inner_text()
    screenshot("registry-import-preview-en")
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])

    page.get_by_role("button", name="Confirm and import 3 people").click()
    page.wait_for_load_state("load")
    assert "3 personnes importées" in page.content()
    assert Person.objects.count() == 3
    assert sorted(Person.objects.values_list("source", flat=True)) == ["departement", "legal_rep", "self"]

    # Point 4: the phones and the emergency contact are edited on the record's page, on a phone too.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="ZANZIBARRE Théodule").click()
    page.get_by_label("Personne à prévenir en cas d'urgence").fill("M. Neveu Fictif")
    page.get_by_label("Téléphone de la personne à prévenir").fill("06 98 76 54 32")
    page.get_by_role("button", name="Enregistrer les téléphones et contacts").click()
    page.get_by_text("Téléphones et contacts enregistrés.").wait_for()
    screenshot("registry-person-contacts-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    from beffroi.registry.access import decrypt_person

    data = decrypt_person(
        next(p for p in Person.objects.all() if decrypt_person(p).last_name == "ZANZIBARRE")
    )
    assert (data.emergency_contact, data.emergency_contact_phone) == ("M. Neveu Fictif", "06 98 76 54 32")
    assert not page.js_errors


def test_an_ambiguous_wording_is_resolved_on_the_page_without_editing_the_file(
    page, screenshot, make_user, registry_key, tmp_path
):
    import openpyxl

    agent = make_user("agent_ccas", ["92063"], username="agent", totp=True)
    do_nominate(agent, "92063", decision_date=date(2026, 1, 5), signer="Le maire", actor=SystemActor("cli"))
    book = openpyxl.Workbook()
    book.active.append(["Nom", "Prénom", "Date de naissance", "Adresse", "Catégorie", "Téléphone", "Autre"])
    book.active.append(
        ["CHAUDRON", "Basile", "05/05/1958", "11 rue du Colibri", "60+", "01 47 00 00 03", "x"]
    )
    path = tmp_path / "registre.xlsx"
    book.save(path)

    _login_totp(page, agent)
    page.goto("/registre/commune/92063/import/")
    page.get_by_label("Fichier").set_input_files(str(path))
    page.get_by_role("button", name="Vérifier (aperçu)").click()
    page.wait_for_load_state("load")
    problems = page.locator("#import-problems").inner_text()
    assert "Ligne 2, colonne « Catégorie », valeur « 60+ » : qualité ambiguë" in problems
    assert page.get_by_role("button", name="Confirmer et importer 1 personne").count() == 0
    screenshot("registry-import-ambiguous")
    # The agent chooses the category and a column, checks again: the choices stay, the file too.
    page.locator("#import-categories").get_by_label("« 60+ »").select_option("age_60_unfit")
    page.get_by_label("Autre").select_option("ignore")
    page.get_by_role("button", name="Vérifier à nouveau").click()
    page.wait_for_load_state("load")
    assert page.locator("#import-problems").count() == 0
    assert page.locator("#import-categories").get_by_label("« 60+ »").input_value() == "age_60_unfit"
    page.get_by_role("button", name="Confirmer et importer 1 personne").click()
    page.wait_for_load_state("load")
    assert "1 personne importée." in page.content()
    assert Person.objects.count() == 1
    # The refused attempt answered 422 (bad input), which the browser notes; nothing else went wrong.
    assert [e for e in page.js_errors if "status of 422" not in e] == []
