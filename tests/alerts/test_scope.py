"""A user of one commune never reaches another commune's subscribers, by any route, and never
writes in another commune's crisis. (Garches 92033 and Rueil-Malmaison 92063 are neighbours.)"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from beffroi.alerts import actions
from beffroi.alerts.models import Alert, Delivery
from beffroi.core.errors import UserError
from tests.conftest import login_client

from .conftest import RUEIL, draft, publish_real, subscribe

pytestmark = pytest.mark.django_db
GARCHES = "92033"
# A square over Rueil-Malmaison (east of Garches), and one astride both communes.
OVER_RUEIL = {
    "type": "Polygon",
    "coordinates": [[[2.18, 48.86], [2.20, 48.86], [2.20, 48.88], [2.18, 48.88], [2.18, 48.86]]],
}
ASTRIDE = {
    "type": "Polygon",
    "coordinates": [[[2.15, 48.835], [2.20, 48.835], [2.20, 48.87], [2.15, 48.87], [2.15, 48.835]]],
}


@pytest.fixture
def garches(make_user):
    return make_user("cellule_crise", [GARCHES]), make_user("maire", [GARCHES], totp=True)


@pytest.fixture
def people(territory):
    rueil = subscribe("email", "rueil@example.org", 2.19, 48.87)
    rueil_commune = subscribe("sms", "+33611111111")  # Rueil, no address
    garches = subscribe("email", "garches@example.org", 2.189, 48.846, commune=GARCHES)
    return rueil, rueil_commune, garches


def reached(version) -> set[str]:
    return set(Delivery.objects.filter(version=version).values_list("recipient", flat=True))


def test_action_refuses_an_alert_over_a_commune_of_someone_else(garches, people):
    author, _mayor = garches
    with pytest.raises(PermissionDenied):  # the API's and CLI's way: a list of communes
        draft(author, communes=[GARCHES, RUEIL])
    with pytest.raises(PermissionDenied):  # or communes hidden in the area
        draft(author, communes=[GARCHES], area={"communes": [RUEIL]})
    assert not Alert.objects.exists()


def test_approver_must_hold_every_commune_of_the_alert(make_user, people):
    both = make_user("cellule_crise", [GARCHES, RUEIL])
    alert = draft(both, communes=[GARCHES, RUEIL])
    version = alert.latest()
    actions.do_submit(version, actor=both)
    mayor = make_user("maire", [GARCHES], totp=True)
    mayor.is_verified = lambda: True
    with pytest.raises(PermissionDenied):
        actions.do_approve(version, digest=version.digest(), actor=mayor)


@pytest.mark.parametrize(
    "area",
    [
        {"polygon": OVER_RUEIL},
        {"circle": {"lon": 2.19, "lat": 48.87, "radius_km": 1}},
    ],
)
def test_a_shape_drawn_over_another_commune_is_refused(garches, people, area):
    author, _mayor = garches
    with pytest.raises(UserError) as exc:
        draft(author, communes=[GARCHES], area=area)
    assert "hors des communes de l'alerte" in exc.value.message


@pytest.mark.parametrize(
    "area",
    [
        {"polygon": ASTRIDE},
        {"circle": {"lon": 2.165, "lat": 48.85, "radius_km": 4}},
    ],
)
def test_a_shape_astride_is_clipped_to_the_alerts_communes(garches, people, area):
    author, mayor = garches
    alert = draft(author, communes=[GARCHES], area=area)
    assert any("sort des communes" in w for w in alert.warnings)
    version = publish_real(alert, author, mayor)
    assert reached(version) == {"garches@example.org"}
    assert "92063" not in version.xml


def test_api_cannot_target_another_commune(client, garches, people):
    author, _mayor = garches
    login_client(client, author)
    for payload in (
        {"hazard": "inondation", "communes": [GARCHES, RUEIL]},
        {"hazard": "inondation", "communes": [GARCHES], "area": {"communes": [RUEIL]}},
    ):
        response = client.post("/api/alerts/", payload, content_type="application/json")
        assert response.status_code == 403, response.content
    response = client.post(
        "/api/alerts/",
        {"hazard": "inondation", "communes": [GARCHES], "area": {"polygon": OVER_RUEIL}},
        content_type="application/json",
    )
    assert response.status_code == 400 and "hors des communes" in response.content.decode()
    assert not Alert.objects.exists()


def test_form_cannot_target_another_commune(client, garches, people):
    author, _mayor = garches
    login_client(client, author)
    base = {
        "hazard": "inondation",
        "status": "Actual",
        "severity": "Severe",
        "urgency": "Immediate",
        "certainty": "Observed",
        "onset": "2030-01-01T10:00",
        "expires": "2030-01-01T20:00",
        "fr_headline": "Crue",
        "fr_description": "La Seine monte.",
        "en_headline": "",
        "falc_headline": "",
    }
    # Rueil is not among the form's choices; a polygon or a circle over Rueil is refused.
    assert (
        client.post("/alertes/nouvelle/", {**base, "communes": [RUEIL]}).status_code == 400
    )  # refused, form shown again
    import json

    over = {**base, "communes": [GARCHES], "polygon": json.dumps(OVER_RUEIL)}
    assert "hors des communes" in client.post("/alertes/nouvelle/", over).content.decode()
    circle = {**base, "communes": [GARCHES], "circle_lat": 48.87, "circle_lon": 2.19, "circle_radius_km": 1}
    assert "hors des communes" in client.post("/alertes/nouvelle/", circle).content.decode()
    assert not Alert.objects.exists()


def test_another_communes_crisis_cannot_be_linked(garches, make_user, people):
    from beffroi.crisis.actions import do_open_crisis

    author, _mayor = garches
    rueil_crisis = do_open_crisis(
        hazard="inondation",
        communes=[RUEIL],
        level=2,
        exercise=False,
        title="Crue à Rueil",
        actor=make_user("maire", [RUEIL]),
    )
    for status in ("Actual", "Exercise"):
        with pytest.raises(UserError) as exc:
            draft(author, communes=[GARCHES], status=status, crisis_id=rueil_crisis.pk)
        assert exc.value.problems[0].field == "crisis_id"
    with pytest.raises(UserError):
        draft(author, communes=[GARCHES], crisis_id=999999)
    # A reader of the crisis who may not write its log cannot link it either.
    communication = make_user("communication", [RUEIL])
    with pytest.raises(UserError):
        draft(communication, crisis_id=rueil_crisis.pk)
    assert not Alert.objects.exists()


def test_crisis_link_logs_every_message_and_feeds_the_retex(
    make_user, mayor, people, django_capture_on_commit_callbacks
):
    from beffroi.alerts.selectors import alerts_for_crisis
    from beffroi.crisis.actions import do_open_crisis
    from beffroi.crisis.selectors import entries

    from .conftest import end_alert

    crisis = do_open_crisis(
        hazard="inondation", communes=[RUEIL], level=2, exercise=False, title="Crue", actor=mayor
    )
    cell = make_user("cellule_crise", [RUEIL])
    alert = draft(cell, crisis_id=crisis.pk)
    with django_capture_on_commit_callbacks(execute=True):
        publish_real(alert, cell, mayor)
        update = actions.do_prepare_update(alert, actor=cell, texts={"fr": {"headline": "La crue continue"}})
        publish_real(alert, cell, mayor, update)
        end_alert(alert, cell, mayor)
    texts = [e.text for e in entries(crisis)]
    for kind in ("Alerte publiée", "Mise à jour publiée", "Fin d'alerte publiée"):
        assert any(kind in t for t in texts), texts
    [row] = alerts_for_crisis(crisis.pk)
    assert [m["msgType"] for m in row["messages"]] == ["Alert", "Update", "Cancel"]
    assert row["cancelled"] is True
