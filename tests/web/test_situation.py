"""The home dashboard's situation strip: each domain's card, only for who may see it."""

from __future__ import annotations

import pytest

from beffroi.crisis.actions import do_open_crisis
from beffroi.sources.models import Source
from tests.conftest import login_client

pytestmark = pytest.mark.django_db


def _home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def _open_flood(actor) -> None:
    do_open_crisis(
        title="Crue de la Seine",
        hazard="inondation",
        communes=["92063"],
        level=2,
        exercise=False,
        actor=actor,
    )


def test_an_open_crisis_and_a_failing_source_show_on_the_home_page(client, make_user):
    maire = make_user("maire", ["92063"])
    _open_flood(maire)
    Source.objects.create(
        name="vigicrues-seine", kind="vigicrues", title="Vigicrues Seine", consecutive_failures=3
    )
    html = _home(login_client(client, maire))
    assert "Crises ouvertes" in html and "Crue de la Seine" in html
    assert "tone-danger" in html
    assert "Vigicrues Seine : en échec (3 échecs de suite)" in html


def test_a_crisis_of_another_commune_is_not_shown(client, make_user):
    _open_flood(make_user("maire", ["92063"]))
    html = _home(login_client(client, make_user("maire", ["92033"])))
    assert "Crue de la Seine" not in html
    assert "Aucune crise ouverte." in html


def test_a_card_that_fails_leaves_the_page_up(client_for, monkeypatch):
    import beffroi.crisis.situation as crisis_situation

    def broken(user):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(crisis_situation, "summary", broken)
    html = _home(client_for("maire", ["92063"]))
    assert "Crises ouvertes" not in html
    assert "Indicateurs en vigilance" in html
