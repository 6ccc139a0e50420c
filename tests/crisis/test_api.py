"""The crisis API: token-authenticated append, read, chain head; permissions per role and commune."""

from __future__ import annotations

import pytest

from beffroi.accounts.actions import do_create_token
from beffroi.core.actors import SystemActor
from beffroi.crisis.actions import do_open_crisis


@pytest.fixture
def crisis(make_user):
    return do_open_crisis(
        hazard="inondation",
        communes=["94052"],
        level=3,
        exercise=False,
        title="Crue",
        actor=make_user("maire", ["94052"]),
    )


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {do_create_token(user, 'test', actor=SystemActor('cli'))}"}


def test_a_system_appends_and_reads_entries_with_a_token(client, make_user, crisis):
    headers = _auth(make_user("cellule_crise", ["94052"]))
    response = client.post(
        f"/api/crisis/{crisis.pk}/entries",
        {"text": "Relevé radio", "category": "info", "source": "radio"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    assert response.json()["seq"] == 2
    entries = client.get(f"/api/crisis/{crisis.pk}/entries?after=1", **headers).json()
    assert [e["text"] for e in entries] == ["Relevé radio"]
    chain = client.get(f"/api/crisis/{crisis.pk}/chain", **headers).json()
    assert chain["valid"] and chain["length"] == 2 and chain["head"] == entries[-1]["hash"]
    assert [c["id"] for c in client.get("/api/crisis/", **headers).json()] == [crisis.pk]


def test_bad_entry_is_a_400_with_the_field(client, make_user, crisis):
    headers = _auth(make_user("cellule_crise", ["94052"]))
    response = client.post(
        f"/api/crisis/{crisis.pk}/entries",
        {"text": "x", "category": "rumeur", "source": "radio"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 400 and "category" in str(response.json())


def test_reader_cannot_append_and_other_commune_cannot_read(client, make_user, crisis):
    reader = _auth(make_user("lecteur", ["94052"]))
    response = client.post(
        f"/api/crisis/{crisis.pk}/entries",
        {"text": "x", "category": "info", "source": "radio"},
        content_type="application/json",
        **reader,
    )
    assert response.status_code == 403
    outsider = _auth(make_user("cellule_crise", ["92063"]))
    assert client.get(f"/api/crisis/{crisis.pk}/entries", **outsider).status_code == 403
