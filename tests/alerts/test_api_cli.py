from __future__ import annotations

import pytest

from beffroi.alerts.models import Alert
from beffroi.cli import main
from beffroi.core.actors import SystemActor

pytestmark = pytest.mark.django_db


def test_api_draft_and_reach(client_for):
    c = client_for("cellule_crise", ["92063"])
    r = c.post("/api/alerts/", {"hazard": "canicule", "communes": ["92063"]}, content_type="application/json")
    assert r.status_code == 200, r.content
    pk = r.json()["id"]
    assert c.get("/api/alerts/").json()[0]["headline"] == "Canicule"
    assert c.get(f"/api/alerts/{pk}/reach").json()["targeted"] == 0
    text = c.get(f"/api/alerts/{pk}/fralert").json()["text"]
    assert "FR-Alert" in text and len(text) <= 1395
    bad = c.post(
        "/api/alerts/",
        {"hazard": "canicule", "communes": ["92063"], "severity": "Huge"},
        content_type="application/json",
    )
    assert bad.status_code == 400


def test_cli_dispatch_and_reach(territory, capsys):
    from beffroi.alerts import actions

    alert = actions.do_draft_alert(hazard="canicule", communes=["92063"], actor=SystemActor("demo"))
    assert main(["alerts", "dispatch"]) == 0
    assert main(["alerts", "reach", str(alert.pk)]) == 0
    assert main(["alerts", "reach", "999"]) == 2
    assert main(["alerts", "fralert", str(alert.pk)]) == 0
    assert "Demande de diffusion FR-Alert" in capsys.readouterr().out
    assert Alert.objects.count() == 1


def test_fralert_text_is_cut_to_limit(territory):
    from beffroi.alerts import actions
    from beffroi.alerts.fralert import request_text

    alert = actions.do_draft_alert(
        hazard="inondation", communes=["92063"], description="mot " * 800, actor=SystemActor("demo")
    )
    assert len(request_text(alert.latest())) <= 1395


def test_fralert_text_is_in_french_with_french_dates(territory):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from beffroi.alerts.fralert import request_text

    from .conftest import draft

    paris = ZoneInfo("Europe/Paris")
    alert = draft(
        SystemActor("demo"),
        severity="Severe",
        urgency="Expected",
        certainty="Likely",
        onset=datetime(2036, 7, 12, 14, 30, tzinfo=paris),
        expires=datetime(2036, 7, 13, 8, 5, tzinfo=paris),
    )
    text = request_text(alert.latest())
    assert "Début le 12/07/2036 à 14 h 30, fin le 13/07/2036 à 8 h 05." in text
    assert "Gravité : grave, urgence : attendue (dans l'heure), certitude : probable." in text
    assert "Severe" not in text and "Expected" not in text and "2036-07-12T" not in text
    assert "Aléa : Inondation" in text
