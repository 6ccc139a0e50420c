"""The figures beside the composer's and the approver's map: residents, addresses, subscribers per
channel (as the targeting would pick them), sensitive facilities, and registered people only as the
registry's disclosure control releases them; scoped to the user's communes."""

from __future__ import annotations

import base64
import json
import os
from datetime import date

import pytest

from beffroi.alerts.area import validate_area
from beffroi.alerts.models import AlertVersion
from beffroi.alerts.targeting import subscribers_in_area
from beffroi.crossing import demo as crossing_demo

from .conftest import RUEIL, draft, subscribe

pytestmark = pytest.mark.django_db
GARCHES = "92033"
BOX = (2.165, 48.86, 2.215, 48.89)  # about 13 km² inside Rueil-Malmaison


def rect(lon0, lat0, lon1, lat1) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }


@pytest.fixture
def data(territory):
    crossing_demo.load(["92063", "92033", "94052"])


@pytest.fixture
def registered(settings):
    """Three fictitious registered people inside BOX (below the small-count threshold of 5)."""
    from beffroi.registry import crypto
    from beffroi.registry.actions import seal
    from beffroi.registry.models import Person
    from beffroi.registry.schema import PersonData

    settings.REGISTRY_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
    ring = crypto.keyring()
    for i, (lon, lat) in enumerate([(2.18, 48.87), (2.19, 48.875), (2.175, 48.865)]):
        person = Person(commune_code=RUEIL, source="self", consent="consent", request_date=date(2025, 1, 1))
        data = PersonData(
            last_name=f"Fictive{i}",
            first_names="Test",
            birth_date="1940-01-01",
            category="age_65",
            address=f"{i} rue de l'Essai",
            phone="01 99 00 00 00",
            lon=lon,
            lat=lat,
        )
        seal(person, data, {}, ring)
        person.save()


def form(**extra):
    return {"hazard": "inondation", "status": "Actual", "communes": [RUEIL], **extra}


def test_estimate_of_a_drawn_area_gives_every_figure_with_its_source(client_for, data, registered):
    inside = [
        subscribe("email", "a@example.org", 2.18, 48.87),
        subscribe("sms", "+33600000001", 2.19, 48.875),
        subscribe("webpush", "https://fcm.googleapis.com/x", 2.175, 48.865),
    ]
    subscribe("email", "dehors@example.org", 2.15, 48.87)  # in Rueil, outside the drawn box
    subscribe("email", "garches@example.org", commune=GARCHES)  # another commune, no point
    subscribe("sms", "+33600000002", 2.19, 48.875, topics=["canicule"])  # another hazard
    c = client_for("communication", [RUEIL])
    answer = c.post("/alertes/estimation/", form(polygon=json.dumps(rect(*BOX))))
    assert answer.status_code == 200, answer.content
    result = answer.json()
    assert result["subscribers"]["by_channel"] == {"email": 1, "sms": 1, "webpush": 1}
    assert result["subscribers"]["total"] == len(inside)
    assert result["residents"]["total"] > 0 and result["residents"]["sources"][0]["synthetic"] is True
    assert result["addresses"]["total"] > 0
    assert result["facilities"]["total"] == sum(result["facilities"]["by_type"].values())
    # Three registered people: released as « moins de 5 », never as 3.
    assert result["registry"]["total"] == "moins de 5"
    assert result["area"]["type"] in ("Polygon", "MultiPolygon") and 5 < result["km2"] < 16
    assert result["communes"] == [RUEIL] and result["exercise"] is False


def test_estimate_counts_the_subscribers_the_publication_would_target(client_for, data):
    for n in range(12):
        subscribe("email" if n % 2 else "sms", f"s{n}@example.org", 2.16 + n * 0.005, 48.875)
    c = client_for("communication", [RUEIL])
    area = {"polygon": rect(*BOX), "communes": [RUEIL]}
    result = c.post("/alertes/estimation/", form(polygon=json.dumps(area["polygon"]))).json()
    clean, _warnings = validate_area(area, allowed_communes=[RUEIL])
    from beffroi.alerts.models import Alert

    targeted = subscribers_in_area(AlertVersion(alert=Alert(hazard="inondation"), area=clean))
    assert result["subscribers"]["total"] == len(targeted) > 0


def test_estimate_of_a_circle_and_of_whole_communes(client_for, data):
    c = client_for("communication", [RUEIL, GARCHES])
    circle = c.post(
        "/alertes/estimation/", form(circle_lat="48.875", circle_lon="2.19", circle_radius_km="0.8")
    ).json()
    assert 1.9 < circle["km2"] < 2.1  # π × 0.8²
    whole = c.post("/alertes/estimation/", form(communes=[RUEIL, GARCHES])).json()
    assert whole["communes"] == [GARCHES, RUEIL]
    assert whole["residents"]["total"] > circle["residents"]["total"]


def test_estimate_refuses_other_communes_and_areas_outside_with_a_french_message(client_for, territory):
    c = client_for("communication", [GARCHES])
    refused = c.post("/alertes/estimation/", form())
    assert refused.status_code == 403 and RUEIL in refused.json()["detail"]
    # A polygon drawn over Rueil by a Garches user: outside the alert's commune.
    outside = c.post("/alertes/estimation/", form(communes=[GARCHES], polygon=json.dumps(rect(*BOX))))
    assert outside.status_code == 400 and "hors des communes" in outside.json()["detail"]
    swapped = rect(48.86, 2.165, 48.89, 2.215)
    answer = c.post("/alertes/estimation/", form(communes=[GARCHES], polygon=json.dumps(swapped)))
    assert answer.status_code == 400 and "[latitude, longitude]" in answer.json()["detail"]
    assert c.post("/alertes/estimation/", form(communes=[GARCHES], polygon="{")).status_code == 400


def test_readers_and_anonymous_visitors_get_no_estimate(client_for, client, territory):
    assert client_for("lecteur", [RUEIL]).post("/alertes/estimation/", form()).status_code == 403
    anonymous = client.post("/alertes/estimation/", form())
    assert (
        anonymous.status_code == 302 and "/connexion" in anonymous["Location"] or anonymous.status_code == 403
    )


def test_approver_page_shows_the_map_and_the_same_figures(client_for, make_user, data):
    from tests.conftest import login_client

    subscribe("email", "a@example.org", 2.18, 48.87)
    composer = client_for("communication", [RUEIL])
    posted = composer.post("/alertes/estimation/", form(polygon=json.dumps(rect(*BOX)))).json()
    author = make_user("communication", [RUEIL])
    alert = draft(author, area={"polygon": rect(*BOX), "communes": [RUEIL]})
    mayor = make_user("maire", [RUEIL], totp=True)
    composer.logout()
    login_client(composer, mayor)
    page = composer.get(f"/alertes/{alert.pk}/").content.decode()
    assert 'id="alert-map"' in page and f"/alertes/{alert.pk}/estimation/" in page
    stored = composer.get(f"/alertes/{alert.pk}/estimation/").json()
    for key in ("residents", "addresses", "facilities"):
        assert stored[key]["total"] == posted[key]["total"]
    assert stored["subscribers"] == posted["subscribers"] and stored["km2"] == posted["km2"]
    # Another commune's mayor sees neither the alert nor its estimate.
    other = make_user("maire", [GARCHES], totp=True)
    login_client(composer, other)
    assert composer.get(f"/alertes/{alert.pk}/estimation/").status_code == 403


def test_zone_from_a_dataset_becomes_a_valid_drawn_area(client_for, data):
    c = client_for("communication", [RUEIL])
    page = c.get("/alertes/nouvelle/").content.decode()
    assert 'id="zone-select"' in page and "flood-zones-seine|" in page
    zone = c.get("/alertes/zone/", {"dataset": "flood-zones-seine", "level": "7.5"})
    assert zone.status_code == 200, zone.content
    feature = zone.json()
    clean, _warnings = validate_area(
        {"polygon": feature["geometry"], "communes": [RUEIL]}, allowed_communes=[RUEIL]
    )
    assert clean["polygon"]["type"] in ("Polygon", "MultiPolygon")
    estimate = c.post("/alertes/estimation/", form(polygon=json.dumps(feature["geometry"])))
    assert estimate.status_code == 200 and estimate.json()["residents"]["total"] > 0
    assert c.get("/alertes/zone/", {"dataset": "nope", "level": "7.5"}).status_code == 404
    assert c.get("/alertes/zone/", {"dataset": "flood-zones-seine", "level": "x"}).status_code == 400


def test_cap_enumerations_are_shown_in_french_and_stay_cap_in_the_xml(client_for, make_user, territory):
    author = make_user("communication", [RUEIL])
    alert = draft(author, severity="Severe", urgency="Immediate", certainty="Observed")
    page = client_for("communication", [RUEIL]).get(f"/alertes/{alert.pk}/").content.decode()
    assert "Sévère (danger important)" in page and "Immédiate (agir tout de suite)" in page
    assert "Observée (en cours)" in page
    compose = client_for("communication", [RUEIL]).get("/alertes/nouvelle/").content.decode()
    assert '<option value="Severe">Sévère (danger important)</option>' in compose


def test_composing_from_a_crisis_preselects_its_commune_and_links_it(client_for, make_user, territory):
    from beffroi.crisis.actions import do_open_crisis

    crisis = do_open_crisis(
        hazard="inondation",
        communes=[GARCHES],
        level=2,
        exercise=True,
        title="Crue à Garches",
        actor=make_user("maire", [GARCHES]),
    )
    c = client_for("cellule_crise", [RUEIL, GARCHES])
    crisis_page = c.get(f"/crise/{crisis.pk}/").content.decode()
    assert f"/alertes/nouvelle/?crise={crisis.pk}" in crisis_page
    page = c.get(f"/alertes/nouvelle/?crise={crisis.pk}").content.decode()
    boxes = [chunk.split(">")[0] for chunk in page.split('name="communes"')[1:]]
    checked = [box for box in boxes if "checked" in box]
    assert len(boxes) == 2 and len(checked) == 1 and f'value="{GARCHES}"' in checked[0]
    assert f'<option value="{crisis.pk}" selected>' in page
    assert '<option value="Exercise" selected>' in page  # an exercise crisis drafts an exercise
    # The list of the user's crises ticks their communes when one is chosen in the page.
    assert f'"{crisis.pk}": ["{GARCHES}"]' in page
