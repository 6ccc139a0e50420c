"""A flood campaign limited to a drawn area: the CCAS sees who is « à localiser », places one person on
the map, a caller records outcomes on a phone, the routes are printed with everyone accounted for, and a
visit is marked done on a 390-px screen. Screenshots: desktop, 390 px and English."""

from __future__ import annotations

import base64
import os
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.core.actors import SystemActor
from beffroi.registry import access
from beffroi.registry.actions import do_nominate, do_register_person
from beffroi.registry.models import CallAssignment, CallAttempt, Person, Visit
from beffroi.registry.models.people import Source

from ..conftest import PASSWORD
from .conftest import login

PHONE = {"width": 390, "height": 844}
# A part of Rueil-Malmaison west of the town centre, drawn vertex by vertex.
AREA = [(2.165, 48.865), (2.1815, 48.865), (2.1815, 48.88), (2.165, 48.88)]
PEOPLE = [
    # last name, first name, lon, lat (None: the address was not located)
    ("Quibbleworth", "Ambroisine", 2.170, 48.870),
    ("Plumeterre", "Honorine", 2.175, 48.872),
    ("Grumbledore", "Séraphin", 2.180, 48.874),
    ("Zanzibarre", "Théodule", 2.198, 48.872),  # outside the area: not called
    ("Introuvable", "Léontine", None, None),
    ("Perdu", "Anatole", None, None),
]


@pytest.fixture
def registry_key(settings):
    settings.REGISTRY_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()


def _login_totp(page, user):
    login(page, user.username, PASSWORD)
    device = TOTPDevice.objects.get(user=user)
    page.locator("input[name=token]").fill(
        f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Valider").click()


def _click_map(page, lon: float, lat: float) -> None:
    """Click the campaign map at a geographic point (Leaflet converts it to pixels)."""
    element = page.locator("#campaign-map")
    element.scroll_into_view_if_needed()
    x, y = page.evaluate(
        "([lat, lon]) => { const p = document.getElementById('campaign-map').leafletMap"
        ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lat, lon],
    )
    box = element.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def _shot(page, name: str) -> None:
    directory = Path(django_settings.DATA_DIR) / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True)


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide at {PHONE['width']} px"


def _users(make_user):
    agent = make_user("agent_ccas", ["92063"], username="cdurand", totp=True)
    agent.first_name, agent.last_name = "Camille", "Durand"
    agent.save()
    caller = make_user("agent_ccas", ["92063"], username="appelant", totp=True)
    for user, scope in ((agent, "manager"), (caller, "caller")):
        do_nominate(
            user,
            "92063",
            decision_date=date(2026, 1, 5),
            signer="Le maire",
            scope=scope,
            actor=SystemActor("cli"),
        )
    for last, first, lon, lat in PEOPLE:
        do_register_person(
            "92063",
            {
                "last_name": last,
                "first_names": first,
                "birth_date": "14/03/1938",
                "category": "65+",
                "address": f"{len(first)} rue des Hérissons Bleus, 92500 Rueil-Malmaison",
                "phone": "01 47 08 11 22",
                "lon": lon,
                "lat": lat,
            },
            source=Source.SELF,
            request_date=timezone.localdate(),
            actor=SystemActor("cli"),
        )
    return agent, caller


def test_area_campaign_to_locate_routes_and_visits_on_a_phone(
    page, screenshot, make_user, registry_key, browser, live_server
):
    agent, caller = _users(make_user)

    # --- the manager draws the area and starts the campaign -------------------------------------
    _login_totp(page, agent)
    page.goto("/registre/commune/92063/campagne/")
    page.get_by_label("Aléa").select_option("inondation")
    page.get_by_label("cdurand (").check()
    page.get_by_label("appelant (").check()
    page.get_by_label("Visite après combien d'appels sans réponse").fill("1")
    page.get_by_role("button", name="Dessiner la zone").click()
    assert page.get_by_label("Une zone dessinée sur la carte").is_checked()
    for lon, lat in AREA:
        _click_map(page, lon, lat)
    page.get_by_role("button", name="Fermer le polygone").click()
    assert (
        '"Polygon"' in page.get_by_label("Zone en GeoJSON (remplie par le dessin, ou collée)").input_value()
    )
    screenshot("registry-outreach-new-campaign")
    page.get_by_role("button", name="Lancer la campagne").click()
    page.wait_for_load_state("load")
    campaign_url = page.url
    campaign = CallAssignment.objects.first().campaign
    called = set(CallAssignment.objects.filter(campaign=campaign).values_list("person__public_id", flat=True))
    assert len(called) == 5  # three in the area and the two not located; the one east is not called
    assert campaign.area_label == "Zone dessinée sur la carte"

    # --- « à localiser » at the top; the script speaks in the agent's name ----------------------
    box = page.locator("#to-locate")
    assert box.get_by_role("heading").inner_text() == "À localiser : 2 personnes"
    assert "INTROUVABLE Léontine" in box.inner_text() and "PERDU Anatole" in box.inner_text()
    assert page.locator("#to-locate").bounding_box()["y"] < page.locator("#my-calls").bounding_box()["y"]
    script = page.locator("details.script").inner_text()
    assert "Bonjour, je suis Camille Durand, du CCAS de Rueil-Malmaison." in script
    assert "je suis ccas" not in script.lower()
    screenshot("registry-outreach-campaign")

    # --- place one of them with a click on the map ----------------------------------------------
    item = box.locator("li", has_text="INTROUVABLE Léontine")
    item.get_by_role("button", name="Choisir sur la carte").click()
    _click_map(page, 2.172, 48.868)
    assert item.get_by_label("Longitude").input_value().startswith("2.17")
    item.get_by_role("button", name="Placer ici").click()
    page.wait_for_load_state("load")
    assert "Personne localisée." in page.locator(".messages").inner_text()
    assert page.locator("#to-locate h2").inner_text() == "À localiser : 1 personne"
    assert _located_count(agent, called) == 4  # the other one is still « à localiser »

    # --- the manager's own calls: wrong numbers, with a note on the first ------------------------
    first = page.locator("#my-calls tbody tr").first
    first.get_by_label("Note (facultative)").fill("Numéro attribué à quelqu'un d'autre")
    first.get_by_role("button", name="Faux numéro").click()
    page.wait_for_load_state("load")
    while page.get_by_role("button", name="Faux numéro").count():
        page.get_by_role("button", name="Faux numéro").first.click()
        page.wait_for_load_state("load")
    assert "Numéro attribué à quelqu'un d'autre" in page.locator("#my-calls").inner_text()
    stored = CallAttempt.objects.exclude(note="").get()
    assert "attribué" not in stored.note  # kept encrypted

    # --- the caller, on a phone: their share, no sideways scrolling ------------------------------
    phone = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport=PHONE)
    caller_page = phone.new_page()
    _login_totp(caller_page, caller)
    caller_page.goto(campaign_url)
    _no_sideways_scroll(caller_page)
    assert caller_page.locator("#visits").count() == 0
    _shot(caller_page, "registry-outreach-caller-390")
    while caller_page.get_by_role("button", name="Faux numéro").count():
        button = caller_page.get_by_role("button", name="Faux numéro").first
        assert button.bounding_box()["x"] + button.bounding_box()["width"] <= PHONE["width"]
        button.click()
        caller_page.wait_for_load_state("load")
    caller_state = phone.storage_state()
    phone.close()
    assert Visit.objects.filter(campaign=campaign).count() == 5

    # --- routes: everyone on a route, or named as missing on the sheet ---------------------------
    page.goto(campaign_url)
    page.get_by_label("Nombre d'équipes").fill("1")
    page.get_by_role("button", name="Calculer les tournées").click()
    page.wait_for_load_state("load")
    page.get_by_role("link", name="Tournée de l'équipe 1", exact=True).click()
    page.wait_for_load_state("load")
    route_url = page.url
    assert page.locator("#to-locate h2").inner_text() == "À localiser : 1 personne"
    assert page.locator("#stops > li").count() == 4
    sheet = page.request.get(
        page.get_by_role("link", name="Version imprimable (page web)").get_attribute("href")
    )
    text = sheet.text()
    for last, first_name, _lon, _lat in PEOPLE:
        if last == "Zanzibarre":
            assert last.upper() not in text  # outside the area: not in this campaign
        else:
            assert f"{last.upper()} {first_name}" in text
    assert "Non localisée : 1 personne à visiter n'est sur aucune tournée" in text
    pdf = page.request.get(page.get_by_role("link", name="Imprimer (PDF)").get_attribute("href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    screenshot("registry-outreach-route")

    # --- a visit marked done on a 390-px screen ---------------------------------------------------
    # The same session on a phone (a TOTP code is accepted once: the session is carried over).
    phone = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport=PHONE, storage_state=page.context.storage_state()
    )
    field = phone.new_page()
    field.goto(route_url)
    _no_sideways_scroll(field)
    stop = field.locator("#stops > li").first
    stop.scroll_into_view_if_needed()
    stop.get_by_label("Note (facultative)").fill("Va bien, fille présente")
    done = stop.get_by_role("button", name="Visité")
    assert done.bounding_box()["x"] + done.bounding_box()["width"] <= PHONE["width"]
    done.click()
    field.wait_for_load_state("load")
    assert field.url.endswith(route_url.split(live_server.url)[1])
    assert "Résultat de la visite enregistré." in field.locator(".messages").inner_text()
    visit = Visit.objects.get(campaign=campaign, route_order=1)
    assert visit.status == "done" and visit.visited_by_id == agent.pk and "fille" not in visit.note
    again = field.locator("#stops > li").first
    assert again.get_by_label("Note (facultative)").input_value() == "Va bien, fille présente"
    assert "Visité" in again.locator(".status-done").inner_text()
    _shot(field, "registry-outreach-route-390")
    field.goto(campaign_url)
    _no_sideways_scroll(field)
    _shot(field, "registry-outreach-campaign-390")
    phone.close()

    # --- in English -------------------------------------------------------------------------------
    english = browser.new_context(
        base_url=live_server.url, locale="en-GB", storage_state=page.context.storage_state()
    )
    en = english.new_page()
    en.goto(campaign_url)
    assert en.locator("#to-locate h2").inner_text() == "To locate: 1 person"
    assert (
        "Hello, my name is Camille Durand, from the CCAS of Rueil-Malmaison."
        in en.locator("details.script").inner_text()
    )
    _shot(en, "registry-outreach-campaign-en")
    en.goto(route_url)
    assert en.get_by_role("button", name="Visited").count() >= 1
    _shot(en, "registry-outreach-route-en")
    english.close()
    english = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport=PHONE, storage_state=caller_state
    )
    en = english.new_page()
    en.goto(campaign_url)
    _no_sideways_scroll(en)
    _shot(en, "registry-outreach-caller-en")
    english.close()
    assert not page.js_errors


def _located_ids(agent, public_ids) -> set[str]:
    out = set()
    for person in Person.objects.filter(public_id__in=public_ids):
        data = access.decrypt_person(person)
        if data.lon is not None:
            out.add(person.public_id)
    return out


def _located_count(agent, public_ids) -> int:
    return len(_located_ids(agent, public_ids))
