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
    page.get_by_role("button", name="Importer", exact=True).click()
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
