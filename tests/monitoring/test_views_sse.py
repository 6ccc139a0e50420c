"""Dashboard pages, and an ingested observation reaching the /live/ stream (the stream's own tests,
commune and permission filter and resume, are in tests/web/test_live.py)."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient

from beffroi.core.actors import SystemActor
from beffroi.crisis import actions as crisis_actions
from beffroi.monitoring import actions
from beffroi.monitoring.models import Proposal

from .conftest import points, run_async


def test_dashboard_renders_for_a_reader_without_decision_buttons(client_for, marne):
    actions.do_ingest_points(points(marne.series, [2.2, 3.3]), source="t", actor=SystemActor("poll_sources"))
    client = client_for("lecteur")
    page = client.get("/veille/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hauteur de la Marne" in html and 'id="veille-config"' in html and "Accepter" not in html
    assert "<script>" not in html.replace("<script id=", "")  # data only through json_script


def test_cell_member_accepts_and_dismisses_from_the_page(client_for, marne):
    actions.do_ingest_points(points(marne.series, [3.3]), source="t", actor=SystemActor("poll_sources"))
    client = client_for("cellule_crise")
    html = client.get("/veille/").content.decode()
    assert "Accepter" in html and "Écarter" in html
    proposal = Proposal.objects.filter(status="pending", action="log_entry").first()
    response = client.post(f"/veille/propositions/{proposal.pk}/ecarter/", {"note": "vu"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "dismissed"
    fragment = client.get("/veille/propositions/").content.decode()
    assert f'id="proposal-{proposal.pk}"' in fragment and 'data-status="dismissed"' in fragment


def test_wall_mode_and_nav(client_for, marne):
    client = client_for("maire")
    html = client.get("/veille/mur/").content.decode()
    assert 'data-wall="1"' in html
    assert 'href="/veille/"' in client.get("/").content.decode()


def test_reader_of_another_commune_does_not_see_the_indicator(client_for, marne):
    client = client_for("lecteur", communes=["92033"])
    assert "Hauteur de la Marne" not in client.get("/veille/").content.decode()


async def _frames(response, n, timeout=5.0):
    """Read SSE frames (id, event, data) until ``n`` events arrived."""
    events, buffer = [], b""
    iterator = response.streaming_content.__aiter__()

    async def run():
        nonlocal buffer
        while len(events) < n:
            buffer += await iterator.__anext__()
            while b"\n\n" in buffer:
                frame, buffer = buffer.split(b"\n\n", 1)
                fields = dict(
                    line.split(": ", 1)
                    for line in frame.decode().splitlines()
                    if ": " in line and not line.startswith(":")
                )
                if "event" in fields:
                    events.append(fields)

    await asyncio.wait_for(run(), timeout)
    await iterator.aclose()
    return events


@pytest.mark.django_db(transaction=True)
def test_sse_receives_an_ingested_observation_live(make_user, marne):
    user = make_user("cellule_crise")

    async def scenario():
        client = AsyncClient()
        await client.aforce_login(user)
        response = await client.get("/live/", {"topics": "monitoring"})
        reader = asyncio.ensure_future(_frames(response, 1))
        await asyncio.sleep(0.2)
        await sync_to_async(actions.do_ingest_points)(
            points(marne.series, [1.23]), source="t", actor=SystemActor("poll_sources")
        )
        return await reader

    got = run_async(scenario())
    assert got[0]["event"] == "observation" and '"value":1.23' in got[0]["data"]


def test_crisis_layer_on_the_monitoring_map(client_for, marne):
    crisis = crisis_actions.do_open_crisis(
        hazard="inondation",
        communes=["94052"],
        level=3,
        exercise=True,
        title="Crue de la Marne",
        actor=SystemActor("cli"),
    )
    crisis_actions.do_append_entry(
        crisis,
        text="Cave inondée rue des Bords",
        category="info",
        source="terrain",
        actor=SystemActor("exercise 1"),
        lat=48.84,
        lon=2.48,
        location_label="rue des Bords",
    )
    crisis_actions.do_append_entry(
        crisis, text="Sans lieu", category="info", source="terrain", actor=SystemActor("exercise 1")
    )
    data = client_for("cellule_crise").get("/veille/crise.json").json()
    assert [e["text"] for e in data["entries"]] == ["Cave inondée rue des Bords"]
    assert data["entries"][0]["exercise"] is True and data["crises"][0]["title"] == "Crue de la Marne"
    elsewhere = client_for("cellule_crise", communes=["92033"]).get("/veille/crise.json").json()
    assert elsewhere["entries"] == []
