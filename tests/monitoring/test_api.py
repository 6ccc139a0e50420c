"""POST /api/observations: token auth, validation (4xx with reason, nothing stored), permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from beffroi.accounts.actions import do_create_token
from beffroi.core.actors import SystemActor
from beffroi.monitoring.models import Observation, Proposal

from .conftest import points

SERIES = "hubeau:F664000104:H"


@pytest.fixture
def token(make_user):
    return do_create_token(make_user("cellule_crise"), "capteur", actor=SystemActor("cli"))


def post(client, token, body):
    return client.post(
        "/api/observations",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def body(values, **kw):
    pts = points(SERIES, values, **kw)
    for p in pts:
        p["at"] = p["at"].isoformat()
    return {"points": pts, "source": "capteur-berge"}


def test_push_with_token_stores_and_changes_level(client, marne, token):
    response = post(client, token, body([2.5, 3.2, 3.3]))
    assert response.status_code == 200, response.content
    assert response.json() == {"stored": 3}
    assert Observation.objects.filter(indicator=marne).count() == 3
    assert marne.state.__class__.objects.get(indicator=marne).level == 2
    assert Proposal.objects.filter(level=2).exists()
    assert Observation.objects.first().source.startswith("api:cellule_crise")


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"unit": "°C"}, "unité"),
        ({"series": "hubeau:UNKNOWN:H"}, "série d'indicateur inconnue"),
        ({"value": "3,2"}, "nombre fini"),
        ({"value": None}, "nombre fini"),
        ({"at": (timezone.now() + timedelta(days=1)).isoformat()}, "dans le futur"),
        ({"at": (timezone.now() - timedelta(days=365)).isoformat()}, "a plus de"),
        ({"at": "hier"}, "ISO 8601"),
    ],
)
def test_bad_point_gives_400_with_reason_and_stores_nothing(client, marne, token, change, reason):
    payload = body([1.0, 1.1, 1.2])
    payload["points"][2].update(change)
    response = post(client, token, payload)
    assert response.status_code == 400, response.content
    data = response.json()
    assert "rien n'a été enregistré" in data["detail"]
    assert any(reason in p and "points[2]" in p for p in data["problems"]), data
    assert Observation.objects.count() == 0


def test_no_token_is_refused(client, marne):
    response = client.post("/api/observations", body([1.0]), content_type="application/json")
    assert response.status_code == 401
    assert post(client, "bf_not-a-token", body([1.0])).status_code == 401


def test_reader_cannot_push_and_other_commune_is_refused(client, marne, make_user):
    reader = do_create_token(make_user("lecteur"), "t", actor=SystemActor("cli"))
    assert post(client, reader, body([1.0])).status_code == 403
    elsewhere = do_create_token(make_user("cellule_crise", communes=["92063"]), "t", actor=SystemActor("cli"))
    assert post(client, elsewhere, body([1.0])).status_code == 403
    assert Observation.objects.count() == 0


def test_malformed_json_is_4xx(client, marne, token):
    response = client.post(
        "/api/observations",
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert 400 <= response.status_code < 500


def test_indicators_and_proposal_decision_via_api(client, marne, token, make_user):
    post(client, token, body([3.5]))
    listing = client.get("/api/indicators", headers={"Authorization": f"Bearer {token}"}).json()
    item = listing["indicators"][0]
    assert item["key"] == "marne-gournay" and item["level"] == 2 and item["thresholds"][1]["value"] == 3.0
    proposal = Proposal.objects.filter(status="pending").first()
    response = client.post(
        f"/api/proposals/{proposal.pk}/dismiss",
        {"note": "déjà géré"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    reader = do_create_token(make_user("lecteur"), "t", actor=SystemActor("cli"))
    other = Proposal.objects.filter(status="pending").first()
    response = client.post(
        f"/api/proposals/{other.pk}/dismiss",
        {"note": ""},
        content_type="application/json",
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert response.status_code == 403
