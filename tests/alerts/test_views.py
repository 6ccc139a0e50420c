from __future__ import annotations

import pytest

from beffroi.alerts.models import Alert
from beffroi.core.actors import SystemActor

pytestmark = pytest.mark.django_db


def test_compose_and_approve_through_pages(client_for, client, make_user, django_capture_on_commit_callbacks):
    c = client_for("communication", ["92063"])
    assert c.get("/alertes/").status_code == 200
    assert c.get("/alertes/nouvelle/").status_code == 200
    data = {
        "hazard": "inondation",
        "status": "Actual",
        "severity": "Severe",
        "urgency": "Immediate",
        "certainty": "Observed",
        "communes": ["92063"],
        "onset": "2030-01-01T10:00",
        "expires": "2030-01-01T20:00",
        "fr_headline": "Crue <b>forte</b>",
        "fr_description": "La Seine monte.",
        "fr_instruction": "Montez",
        "en_headline": "Flood",
        "en_description": "The Seine is rising.",
        "falc_headline": "",
    }
    refused = c.post("/alertes/nouvelle/", data)
    assert refused.status_code == 400 and "balisage" in refused.content.decode()
    data["fr_headline"] = "Crue < forte >"
    response = c.post("/alertes/nouvelle/", data)
    assert response.status_code == 302, response.content[:500]
    alert = Alert.objects.get()
    page = c.get(f"/alertes/{alert.pk}/").content.decode()
    assert "Crue &lt; forte &gt;" in page and "SMS" in page and "FR-Alert" in page
    c.post(f"/alertes/{alert.pk}/soumettre/")
    assert alert.latest().state == "submitted"
    c.logout()
    mayor = make_user("maire", ["92063"], totp=True)
    from tests.conftest import login_client

    login_client(client, mayor)
    digest = alert.latest().digest()
    client.post(f"/alertes/{alert.pk}/approuver/", {"digest": digest})
    assert alert.latest().state == "approved"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/alertes/{alert.pk}/publier/")
    assert alert.latest().state == "published"


def test_reader_cannot_compose_and_other_commune_is_hidden(client_for, make_user):
    from beffroi.alerts import actions

    other = actions.do_draft_alert(hazard="canicule", communes=["94052"], actor=SystemActor("demo"))
    c = client_for("lecteur", ["92063"])
    assert c.get("/alertes/").status_code == 200
    assert c.get("/alertes/nouvelle/").status_code == 403
    assert c.get(f"/alertes/{other.pk}/").status_code == 403


def test_live_preview_counts_sms_and_strips_markup(client_for):
    c = client_for("communication", ["92063"])
    r = c.post(
        "/alertes/apercu/",
        {
            "hazard": "inondation",
            "status": "Exercise",
            "fr_headline": "Crue <i>x</i>",
            "fr_instruction": "Montez",
        },
    )
    data = r.json()["fr"]
    assert data["sms"].startswith("EXERCICE") and "<i>" not in data["sms"]
    assert data["sms_segments"] == 1 and data["sms_length"] == len(data["sms"])
    assert c.get("/alertes/modele/canicule/").json()["en"]["headline"] == "Heatwave"


def test_commune_edits_its_hazard_template(client_for):
    c = client_for("communication", ["92063"])
    assert c.get("/alertes/modeles/").status_code == 200
    data = {
        "commune": "92063",
        "hazard": "canicule",
        "fr_headline": "Canicule à Rueil",
        "fr_instruction": "Salle fraîche",
    }
    assert c.post("/alertes/modeles/", data).status_code == 302
    assert c.get("/alertes/modele/canicule/").json()["fr"]["headline"] == "Canicule à Rueil"
    assert "Canicule à Rueil" in c.get("/alertes/nouvelle/?alea=canicule").content.decode()
    assert c.post("/alertes/modeles/", {**data, "commune": "94052"}).status_code == 403
