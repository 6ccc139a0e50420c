"""Nobody left off a call list or a route: campaigns limited to an area (drawn or an alert's), the
« à localiser » list and how to place someone, visit outcomes with notes, printed routes that name
who is missing, and the call script in the agent's own name."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.core.models import AuditEvent
from beffroi.registry import access, actions, outreach, routes
from beffroi.registry.models import AccessLog, CallAssignment, CallAttempt, Person, Visit
from beffroi.registry.models.people import Source

from ..conftest import login_client
from .conftest import PERSON, verified

# West of Rueil-Malmaison's town centre: holds the first three people of ``people`` below.
WEST = {
    "type": "Polygon",
    "coordinates": [[[2.165, 48.865], [2.1815, 48.865], [2.1815, 48.88], [2.165, 48.88], [2.165, 48.865]]],
}
FIXTURES = Path(__file__).parent.parent / "fixtures" / "territory_layers"


def register(agent, first, lon, lat, **extra):
    raw = {**PERSON, "first_names": first, "lon": lon, "lat": lat, **extra}
    return actions.do_register_person(
        "92063", raw, source=Source.SELF, request_date=timezone.localdate(), actor=agent
    )


@pytest.fixture
def people(agent):
    """Three people in WEST, two east of it, and two whose address was not located."""
    verified(agent)
    out = {}
    for i, (lon, lat) in enumerate([(2.170, 48.870), (2.175, 48.872), (2.180, 48.874)]):
        out[f"west{i}"] = register(agent, f"Ouest{i}", lon, lat, birth_date=f"01/01/{1930 + i}")
    for i, (lon, lat) in enumerate([(2.195, 48.870), (2.200, 48.875)]):
        out[f"east{i}"] = register(agent, f"Est{i}", lon, lat, birth_date=f"01/01/{1940 + i}")
    out["lost0"] = register(agent, "Perdue", None, None, birth_date="01/01/1935", address="Lieu-dit Inconnu")
    out["lost1"] = register(agent, "Egarée", None, None, birth_date="01/01/1936", address="Sans adresse")
    return out


def called(campaign) -> set[str]:
    return set(CallAssignment.objects.filter(campaign=campaign).values_list("person__public_id", flat=True))


# --- 1. a campaign limited to an area -----------------------------------------------------------


def test_a_drawn_area_limits_the_calls_and_keeps_people_not_located(agent, people):
    campaign = outreach.do_start_campaign(
        "92063", hazard="inondation", callers=[agent], actor=agent, area=json.dumps(WEST)
    )
    ids = {k: p.public_id for k, p in people.items()}
    assert called(campaign) == {ids["west0"], ids["west1"], ids["west2"], ids["lost0"], ids["lost1"]}
    assert campaign.area["type"] == "Polygon" and campaign.area_label == "Zone dessinée sur la carte"
    listed = access.to_locate(agent, campaign, reason="test")
    assert {t.public_id for t in listed} == {ids["lost0"], ids["lost1"]}
    assert all(t.called and t.visit_id is None for t in listed)
    assert AccessLog.objects.filter(action="to_locate", record_count=2).exists()
    start = AuditEvent.objects.get(action="registry.campaign_start")
    assert start.detail["not_located"] == 2 and start.detail["area"] == "drawn"


def test_a_campaign_without_area_calls_the_whole_commune(agent, people):
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[agent], actor=agent)
    assert len(called(campaign)) == 7 and campaign.area is None and campaign.area_label == ""


def _published_alert(area: dict, *, commune="92063", cancelled=False):
    from beffroi.alerts.models import Alert, AlertVersion

    alert = Alert.objects.create(commune=commune, hazard="inondation", status="Exercise", cancelled=cancelled)
    now = timezone.now()
    AlertVersion.objects.create(
        alert=alert,
        number=1,
        state="published",
        texts={"fr": {"headline": "Crue de la Seine"}},
        area=area,
        onset=now,
        expires=now + timedelta(hours=6),
        sent=now,
    )
    return alert


def test_an_alerts_area_limits_the_campaign(agent, people):
    alert = _published_alert({"polygon": WEST, "communes": ["92063"], "description": "bords de Seine"})
    campaign = outreach.do_start_campaign(
        "92063", hazard="inondation", callers=[agent], actor=agent, alert_id=str(alert.pk)
    )
    ids = {k: p.public_id for k, p in people.items()}
    assert called(campaign) == {ids["west0"], ids["west1"], ids["west2"], ids["lost0"], ids["lost1"]}
    assert campaign.alert_id == alert.pk and "Crue de la Seine" in campaign.area_label


def test_an_alert_of_another_commune_or_cancelled_is_refused_in_french(agent, people):
    other = _published_alert({"communes": ["92033"]}, commune="92033")
    gone = _published_alert({"polygon": WEST, "communes": ["92063"]}, cancelled=True)
    for alert in (other, gone):
        with pytest.raises(UserError) as caught:
            outreach.do_start_campaign(
                "92063", hazard="inondation", callers=[agent], actor=agent, alert_id=alert.pk
            )
        assert caught.value.problems[0].field == "alert"
        assert "n'est pas une alerte publiée de cette commune" in caught.value.message


@pytest.mark.parametrize(
    ("area", "words"),
    [
        ("{pas du json", "n'est pas du GeoJSON"),
        ({"type": "Point", "coordinates": [2.17, 48.87]}, "polygone GeoJSON"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[48.87, 2.17], [48.88, 2.17], [48.88, 2.18], [48.87, 2.17]]],
            },
            "[latitude, longitude]",
        ),
        (
            {"type": "Polygon", "coordinates": [[[2.17, 48.87], [2.18, 48.87], [2.18, 48.88]]]},
            "au moins 3 points",
        ),
    ],
)
def test_a_broken_area_is_refused_with_a_french_message_naming_the_field(agent, people, area, words):
    with pytest.raises(UserError) as caught:
        outreach.do_start_campaign("92063", hazard="inondation", callers=[agent], actor=agent, area=area)
    assert caught.value.message.startswith("Zone : ") and words in caught.value.message
    assert caught.value.problems[0].field == "area"
    assert not CallAssignment.objects.exists()


# --- 2. nobody left off: place the people « à localiser » --------------------------------------


def test_placing_on_the_map_updates_coordinates_and_cell_audited(agent, people):
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[agent], actor=agent)
    lost = people["lost0"]
    assert Person.objects.get(pk=lost.pk).cell == ""
    result = outreach.do_place_person(campaign, lost.public_id, lon="2,1801", lat="48.8702", actor=agent)
    assert result["method"] == "map" and result["removed"] is False
    person = Person.objects.get(pk=lost.pk)
    data = access.decrypt_person(person)
    assert (data.lon, data.lat) == (2.1801, 48.8702)
    assert person.cell != ""  # the disclosure cell follows the new coordinates
    assert {t.public_id for t in access.to_locate(agent, campaign, reason="t")} == {people["lost1"].public_id}
    event = AuditEvent.objects.get(action="registry.locate")
    assert event.object_id == lost.public_id and event.detail == {"method": "map"}
    assert "Lieu-dit" not in json.dumps(event.detail)
    assert AuditEvent.objects.filter(action="registry.campaign_place").exists()


def test_a_point_outside_the_commune_is_refused(agent, people):
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[agent], actor=agent)
    with pytest.raises(UserError) as caught:
        outreach.do_place_person(campaign, people["lost0"].public_id, lon=2.48, lat=48.83, actor=agent)
    assert "hors de la commune" in caught.value.message and caught.value.problems[0].field == "lon/lat"
    with pytest.raises(UserError) as caught:
        outreach.do_place_person(campaign, people["lost0"].public_id, lon="", lat="", actor=agent)
    assert "cliquez sur la carte" in caught.value.message
    assert access.decrypt_person(Person.objects.get(pk=people["lost0"].pk)).lon is None


def test_placed_outside_the_area_and_not_called_yet_leaves_the_call_list(agent, people):
    campaign = outreach.do_start_campaign(
        "92063", hazard="inondation", callers=[agent], actor=agent, area=WEST
    )
    lost0, lost1 = people["lost0"].public_id, people["lost1"].public_id
    result = outreach.do_place_person(campaign, lost0, lon=2.198, lat=48.872, actor=agent)
    assert result == {**result, "in_area": False, "removed": True}
    assert lost0 not in called(campaign)
    inside = outreach.do_place_person(campaign, lost1, lon=2.172, lat=48.871, actor=agent)
    assert inside["in_area"] is True and lost1 in called(campaign)


def test_someone_already_called_stays_in_the_campaign_when_placed_outside(agent, people):
    campaign = outreach.do_start_campaign(
        "92063", hazard="inondation", callers=[agent], actor=agent, area=WEST
    )
    lost = people["lost0"].public_id
    a = CallAssignment.objects.get(campaign=campaign, person__public_id=lost)
    outreach.do_record_outcome(a.pk, "no_answer", actor=agent)
    result = outreach.do_place_person(campaign, lost, lon=2.198, lat=48.872, actor=agent)
    assert result["removed"] is False and lost in called(campaign)


def test_only_people_of_the_campaign_are_placed_through_it(agent, nominate, people):
    campaign = outreach.do_start_campaign(
        "92063", hazard="inondation", callers=[agent], actor=agent, area=WEST
    )
    with pytest.raises(PermissionDenied):
        outreach.do_place_person(campaign, people["east0"].public_id, lon=2.17, lat=48.87, actor=agent)
    caller = verified(nominate(scope="caller"))
    with pytest.raises(PermissionDenied):
        outreach.do_place_person(campaign, people["lost0"].public_id, lon=2.17, lat=48.87, actor=caller)


@pytest.fixture
def ban(db, tmp_path):
    from beffroi.sources.geocoding import clear_cache
    from beffroi.sources.territory_layers import build

    for name in ("adresses-92.csv", "adresses-94.csv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    clear_cache()
    build(["92063", "92033", "94052"], folder=tmp_path, only=["addresses"], actor=SystemActor("cli"))
    yield
    clear_cache()


def test_a_corrected_address_is_geocoded_on_the_local_table(agent, people, ban):
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[agent], actor=agent)
    lost = people["lost0"].public_id
    result = outreach.do_place_person(campaign, lost, address="34 av. Paul Doumer, 92500 Rueil", actor=agent)
    assert result["method"] == "address"
    data = access.decrypt_person(Person.objects.get(public_id=lost))
    assert (data.lon, data.lat) == (pytest.approx(2.185512), pytest.approx(48.874101))
    assert data.address == "34 av. Paul Doumer, 92500 Rueil"
    with pytest.raises(UserError) as caught:
        outreach.do_place_person(
            campaign, people["lost1"].public_id, address="12 rue Imaginaire", actor=agent
        )
    assert "introuvable dans la base d'adresses locale" in caught.value.message
    assert caught.value.problems[0].field == "address"


def test_an_empty_corrected_address_is_refused_naming_the_field(agent, people, ban):
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[agent], actor=agent)
    with pytest.raises(UserError) as caught:
        outreach.do_place_person(campaign, people["lost0"].public_id, address="  ", actor=agent)
    assert caught.value.message == "Adresse corrigée : saisissez l'adresse (numéro, voie, code postal)."
    assert caught.value.problems[0].field == "address"


def test_the_list_to_locate_of_a_caller_holds_only_their_share(agent, nominate, people):
    caller = verified(nominate(scope="caller"))
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[agent, caller], actor=agent)
    mine = {a.person.public_id for a in CallAssignment.objects.filter(campaign=campaign, caller=caller)}
    lost = {people["lost0"].public_id, people["lost1"].public_id}
    assert {t.public_id for t in access.to_locate(caller, campaign, reason="t")} == lost & mine
    assert {t.public_id for t in access.to_locate(agent, campaign, reason="t")} == lost


def test_without_an_address_table_the_agent_is_told_to_use_the_map(agent, people):
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[agent], actor=agent)
    with pytest.raises(UserError) as caught:
        outreach.do_place_person(campaign, people["lost0"].public_id, address="3 rue X", actor=agent)
    assert "aucune base d'adresses locale" in caught.value.message


# --- routes and printed sheets name who is missing ----------------------------------------------


def _all_to_visit(agent, campaign):
    for row in access.caller_share(agent, campaign):
        outreach.do_record_outcome(row.assignment_id, "wrong_number", actor=agent)


def test_routes_leave_out_the_unlocated_but_the_sheet_names_them(agent, people, client):
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[agent], actor=agent)
    _all_to_visit(agent, campaign)
    created = routes.do_plan_routes(campaign, teams=2, actor=agent)
    assert Visit.objects.filter(route__isnull=False).count() == 5
    missing = access.missing_from_routes(agent, campaign, reason="t")
    assert {s.public_id for s in missing} == {people["lost0"].public_id, people["lost1"].public_id}
    login_client(client, agent)
    sheet = client.get(reverse("reports:route_print", args=[campaign.pk, created[0].pk]) + "?format=html")
    text = sheet.content.decode()
    assert "Non localisées : 2 personnes à visiter ne sont sur aucune tournée" in text
    assert "ZORGLUBIENNE Perdue" in text and "ZORGLUBIENNE Egarée" in text
    for stop in access.visit_stops(agent, campaign, route=created[0], reason="t"):
        assert stop.name in text
    pdf = client.get(reverse("reports:route_print", args=[campaign.pk, created[0].pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert AccessLog.objects.filter(action="visit_missing", reason__startswith="impression").exists()


def test_a_sheet_with_everyone_located_says_so(agent, people, client):
    campaign = outreach.do_start_campaign(
        "92063", hazard="inondation", callers=[agent], actor=agent, area=WEST
    )
    for key, lon in (("lost0", 2.171), ("lost1", 2.173)):
        outreach.do_place_person(campaign, people[key].public_id, lon=lon, lat=48.871, actor=agent)
    _all_to_visit(agent, campaign)
    created = routes.do_plan_routes(campaign, teams=1, actor=agent)
    login_client(client, agent)
    text = client.get(
        reverse("reports:route_print", args=[campaign.pk, created[0].pk]) + "?format=html"
    ).content.decode()
    assert "Non localisées : aucune." in text
    assert text.count('class="name"') == 5


def test_a_visit_located_after_the_routes_is_named_as_off_route(agent, people, client):
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[agent], actor=agent)
    _all_to_visit(agent, campaign)
    created = routes.do_plan_routes(campaign, teams=1, actor=agent)
    outreach.do_place_person(campaign, people["lost0"].public_id, lon=2.176, lat=48.871, actor=agent)
    login_client(client, agent)
    text = client.get(
        reverse("reports:route_print", args=[campaign.pk, created[0].pk]) + "?format=html"
    ).content.decode()
    assert "Non localisée : 1 personne à visiter n'est sur aucune tournée" in text
    assert "Hors tournée : 1 visite ajoutée après le calcul des tournées" in text
    page = client.get(reverse("registry:route", args=[campaign.pk, created[0].pk])).content.decode()
    assert 'id="unrouted"' in page and "ZORGLUBIENNE Perdue" in page


# --- 3. visits marked with a note; call notes ---------------------------------------------------


def test_visit_outcomes_carry_an_encrypted_note(agent, people):
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[agent], actor=agent)
    _all_to_visit(agent, campaign)
    v1, v2, v3 = Visit.objects.filter(campaign=campaign)[:3]
    outreach.do_record_visit(v1.pk, "done", note="Va bien, voisine présente", actor=agent)
    outreach.do_record_visit(v2.pk, "absent", note="Volets fermés, avis laissé", actor=agent)
    outreach.do_record_visit(v3.pk, "refused", actor=agent)
    stored = Visit.objects.get(pk=v1.pk)
    assert stored.status == "done" and stored.visited_by_id == agent.pk and stored.done_at
    assert "voisine" not in stored.note and stored.note_key_id
    notes = {s.visit_id: (s.status, s.note) for s in access.visit_stops(agent, campaign, reason="t")}
    assert notes[v1.pk] == ("done", "Va bien, voisine présente")
    assert notes[v2.pk] == ("absent", "Volets fermés, avis laissé")
    assert notes[v3.pk] == ("refused", "")
    p = outreach.progress(campaign)
    assert (p["visits_done"], p["visits_absent"], p["visits_refused"], p["visits_to_do"]) == (1, 1, 1, 4)
    events = AuditEvent.objects.filter(action="registry.visit_outcome")
    assert events.count() == 3 and "voisine" not in json.dumps(list(events.values_list("detail", flat=True)))
    assert "1 faites, 1 personnes absentes, 1 refus" in outreach.summary_text(campaign)


def test_a_bad_visit_outcome_or_a_long_note_is_refused(agent, people):
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[agent], actor=agent)
    _all_to_visit(agent, campaign)
    visit = Visit.objects.filter(campaign=campaign).first()
    with pytest.raises(UserError) as caught:
        outreach.do_record_visit(visit.pk, "to_visit", actor=agent)
    assert caught.value.problems[0].field == "status"
    with pytest.raises(UserError) as caught:
        outreach.do_record_visit(visit.pk, "done", note="x" * 1001, actor=agent)
    assert caught.value.problems[0].field == "note" and "1000 caractères" in caught.value.message
    assert Visit.objects.get(pk=visit.pk).status == "to_visit"


def test_call_outcomes_carry_notes_shown_to_the_caller(agent, people):
    campaign = outreach.do_start_campaign(
        "92063", hazard="canicule", callers=[agent], actor=agent, max_failed_calls=3
    )
    row = access.caller_share(agent, campaign)[0]
    outreach.do_record_outcome(row.assignment_id, "no_answer", note="Messagerie pleine", actor=agent)
    outreach.do_record_outcome(row.assignment_id, "help", note="Plus de médicaments", actor=agent)
    attempt = CallAttempt.objects.filter(assignment_id=row.assignment_id).last()
    assert "médicaments" not in attempt.note and attempt.note_key_id
    again = next(r for r in access.caller_share(agent, campaign) if r.assignment_id == row.assignment_id)
    assert again.notes == ["Messagerie pleine", "Plus de médicaments"]
    detail = AuditEvent.objects.filter(action="registry.call_outcome").last().detail
    assert detail["note"] is True and "médicaments" not in json.dumps(detail)


def test_notes_follow_a_key_rotation(agent, people, settings):
    import base64
    import os

    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[agent], actor=agent)
    _all_to_visit(agent, campaign)
    visit = Visit.objects.filter(campaign=campaign).first()
    outreach.do_record_visit(visit.pk, "absent", note="Repasser demain", actor=agent)
    old_key = settings.REGISTRY_KEY
    settings.REGISTRY_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode() + "," + old_key
    from beffroi.registry import crypto

    crypto.forget_verified()
    actions.do_rotate_key(actor=SystemActor("cli"))
    stored = Visit.objects.get(pk=visit.pk)
    assert stored.note_key_id == crypto.keyring().current_id
    settings.REGISTRY_KEY = settings.REGISTRY_KEY.split(",")[0]  # the old key is gone
    crypto.forget_verified()
    stop = next(s for s in access.visit_stops(agent, campaign, reason="t") if s.visit_id == visit.pk)
    assert stop.note == "Repasser demain"


# --- 4. French done right ----------------------------------------------------------------------


def test_the_call_script_names_the_agent_and_the_communes_ccas(agent, people):
    agent.first_name, agent.last_name = "Camille", "Durand"
    agent.save()
    script = outreach.script_for("canicule", outreach.agent_name(agent), "92063")
    assert script[0] == "Bonjour, je suis Camille Durand, du CCAS de Rueil-Malmaison."
    assert not any("je suis ccas" in line.lower() for line in script)
    assert outreach.script_for("canicule", "", "92063")[0] == (
        "Bonjour, je vous appelle de la part du CCAS de Rueil-Malmaison."
    )


def test_ccas_names_follow_french_articles(monkeypatch):
    from types import SimpleNamespace

    names = {
        "78650": "Le Vésinet",
        "93045": "Les Lilas",
        "97411": "La Possession",
        "94038": "L'Haÿ-les-Roses",
    }
    monkeypatch.setattr(
        outreach, "communes", lambda: [SimpleNamespace(code=k, name=v) for k, v in names.items()]
    )
    assert outreach.ccas_name("78650") == "CCAS du Vésinet"
    assert outreach.ccas_name("93045") == "CCAS des Lilas"
    assert outreach.ccas_name("97411") == "CCAS de la Possession"
    assert outreach.ccas_name("94038") == "CCAS de l'Haÿ-les-Roses"


def test_the_script_and_messages_are_translated_to_english(agent, people):
    from django.utils import translation

    with translation.override("en"):
        script = outreach.script_for("canicule", "Camille Durand", "92063")
        assert script[0] == "Hello, my name is Camille Durand, from the CCAS of Rueil-Malmaison."
        assert "heatwave" in script[1]
        with pytest.raises(UserError) as caught:
            outreach.do_start_campaign("92063", hazard="inondation", callers=[agent], actor=agent, area="{x")
        assert caught.value.message.startswith("Area: ")


def test_birth_dates_read_jj_mm_aaaa_on_the_record(agent, people, client):
    login_client(client, agent)
    page = client.get(reverse("registry:person", args=[people["west0"].public_id])).content.decode()
    assert "01/01/1930" in page and "1930-01-01" not in page


def test_a_registration_error_reads_in_french_with_the_fields_labels(agent, client):
    login_client(client, agent)
    page = client.post(
        reverse("registry:register", args=["92063"]),
        {
            "last_name": "",
            "first_names": "Eulalie",
            "birth_date": "12/03/1938",
            "category": "65+",
            "address": "3 rue X",
            "phone": "12",
            "source": "self",
        },
    ).content.decode()
    assert "L&#x27;inscription est incomplète ou invalide. — Nom : obligatoire" in page
    assert "Téléphone : numéro de téléphone français attendu" in page
    message = page.split('class="messages"')[1].split("</ul>")[0]
    assert "field" not in message and "required" not in message


def test_every_string_of_the_campaign_pages_has_an_english_translation():
    """Each literal {% translate %} of the campaign, route and print templates is in the English
    catalogue (a new string without its translation fails here)."""
    import re

    from django.utils.translation import trans_real

    root = Path(__file__).parents[2] / "src" / "beffroi"
    templates = [
        root / "registry/templates/registry" / name
        for name in (
            "campaign.html",
            "campaign_new.html",
            "campaign_route.html",
            "_to_locate.html",
            "_visit_form.html",
        )
    ] + [root / "reports/templates/reports/visit_route.html"]
    catalog = trans_real.translation("en")._catalog  # « Longitude » is the same word in English
    missing = []
    for path in templates:
        for text in re.findall(r'{% translate "([^"]+)" %}', path.read_text()):
            if text not in catalog:
                missing.append(f"{path.name}: {text}")
    assert not missing, missing


# --- pages: the views call the actions ----------------------------------------------------------


def test_the_new_campaign_page_starts_a_campaign_limited_to_a_drawn_area(agent, people, client):
    login_client(client, agent)
    url = reverse("registry:campaign_new", args=["92063"])
    page = client.get(url)
    assert page.status_code == 200 and b'id="campaign-map"' in page.content
    bad = client.post(url, {"hazard": "inondation", "callers": [agent.pk], "zone": "drawn", "area": "{nope"})
    assert bad.status_code == 400 and "n&#x27;est pas du GeoJSON" in bad.content.decode()
    assert b"{nope" in bad.content  # the drawn area is kept for the next attempt
    ok = client.post(
        url, {"hazard": "inondation", "callers": [agent.pk], "zone": "drawn", "area": json.dumps(WEST)}
    )
    assert ok.status_code == 302
    campaign_page = client.get(ok["Location"]).content.decode()
    assert "À localiser : 2 personnes" in campaign_page
    assert campaign_page.count('data-pick="place-map-') == 2


def test_the_campaign_page_offers_visit_outcomes_and_an_alert_zone(agent, people, client):
    alert = _published_alert({"polygon": WEST, "communes": ["92063"]})
    login_client(client, agent)
    url = reverse("registry:campaign_new", args=["92063"])
    assert f'<option value="{alert.pk}"' in client.get(url).content.decode()
    ok = client.post(url, {"hazard": "inondation", "callers": [agent.pk], "zone": "alert", "alert": alert.pk})
    campaign = CallAssignment.objects.first().campaign
    assert ok.status_code == 302 and campaign.alert_id == alert.pk and len(called(campaign)) == 5
    _all_to_visit(agent, campaign)
    page = client.get(ok["Location"]).content.decode()
    assert page.count('name="status" value="absent"') == 5
    assert "Limitée à : la zone de l'alerte n° " in page


def test_the_route_page_marks_a_visit_and_places_a_person(agent, people, client):
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[agent], actor=agent)
    _all_to_visit(agent, campaign)
    route = routes.do_plan_routes(campaign, teams=1, actor=agent)[0]
    login_client(client, agent)
    url = reverse("registry:route", args=[campaign.pk, route.pk])
    page = client.get(url).content.decode()
    assert "À localiser : 2 personnes" in page and page.count('class="stop card"') == 5
    visit = Visit.objects.filter(route=route).order_by("route_order").first()
    done = client.post(
        reverse("registry:visit_outcome", args=[campaign.pk, visit.pk]),
        {"status": "done", "note": "RAS", "route": route.pk},
    )
    assert done.status_code == 302 and done["Location"] == url
    assert Visit.objects.get(pk=visit.pk).status == "done"
    placed = client.post(
        reverse("registry:place", args=[campaign.pk, people["lost0"].public_id]),
        {"how": "map", "lon": "2.176", "lat": "48.871", "route": route.pk},
    )
    assert placed["Location"] == url
    after = client.get(url).content.decode()
    assert "À localiser : 1 personne" in after and "Recalculez les tournées" in after
