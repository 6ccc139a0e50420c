"""The /live/ SSE stream: events reach only users of their communes who hold their permission;
resume with Last-Event-ID misses nothing; ``resync`` reaches everyone connected."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient

from beffroi.core import live
from beffroi.core.events import publish_event
from tests.conftest import run_async

RUEIL, GARCHES, CHAMPIGNY = "92063", "92033", "94052"


@pytest.fixture(autouse=True)
def memory_broker():
    broker = live.MemoryBroker(5000)
    live.set_broker(broker)
    yield broker
    live.reset()


def _alert(commune: str, alert: int) -> None:
    publish_event(
        "alert.published", communes=[commune], alert=alert, version=1, msgType="Alert", status="Actual"
    )


def _campaign(commune: str, pk: int) -> None:
    counts = dict.fromkeys(
        (
            "total",
            "to_call",
            "reached",
            "escalated",
            "needs_help",
            "visits_to_do",
            "visits_absent",
            "visits_refused",
        ),
        0,
    )
    publish_event("campaign.progress", communes=[commune], campaign=pk, crisis="", visits_done=0, **counts)


def _parse(frame: str) -> dict | None:
    fields = dict(
        line.split(": ", 1) for line in frame.splitlines() if ": " in line and not line.startswith(":")
    )
    return fields if "event" in fields else None


async def _frames(response, n, timeout=5.0):
    """Read SSE frames (id, event, data) of an ASGI streaming response until ``n`` events arrived."""
    events, buffer = [], b""
    iterator = response.streaming_content.__aiter__()

    async def run():
        nonlocal buffer
        while len(events) < n:
            buffer += await iterator.__anext__()
            while b"\n\n" in buffer:
                frame, buffer = buffer.split(b"\n\n", 1)
                parsed = _parse(frame.decode())
                if parsed:
                    events.append(parsed)

    try:
        await asyncio.wait_for(run(), timeout)
    finally:
        await iterator.aclose()
    return events


async def _connect(user, **params):
    client = AsyncClient()
    await client.aforce_login(user)
    return await client.get("/live/", params)


@pytest.mark.django_db(transaction=True)
def test_an_alert_of_one_commune_never_reaches_a_client_of_another_commune(make_user):
    """The bug this stream had: events without a commune passed the filter, so a Garches user
    received Rueil-Malmaison's alert events."""
    garches = make_user("communication", communes=[GARCHES])
    rueil = make_user("communication", communes=[RUEIL])

    async def scenario():
        to_garches = await _connect(garches, topics="alerts")
        to_rueil = await _connect(rueil, topics="alerts")
        assert to_garches.status_code == to_rueil.status_code == 200
        readers = asyncio.ensure_future(asyncio.gather(_frames(to_garches, 1), _frames(to_rueil, 2)))
        await asyncio.sleep(0.2)

        def produce():
            _alert(RUEIL, 1)
            _alert(RUEIL, 2)
            _alert(GARCHES, 3)  # published last: Garches's client reads it only after the two others

        await asyncio.to_thread(produce)
        return await readers

    garches_got, rueil_got = run_async(scenario())
    assert [json.loads(f["data"])["alert"] for f in garches_got] == [3]
    assert [json.loads(f["data"])["alert"] for f in rueil_got] == [1, 2]
    assert all(json.loads(f["data"])["communes"] == [RUEIL] for f in rueil_got)


@pytest.mark.django_db(transaction=True)
def test_replay_after_a_reconnection_keeps_the_commune_filter(make_user):
    garches = make_user("communication", communes=[GARCHES])

    async def scenario():
        first = await sync_to_async(live.last_id)()
        await asyncio.to_thread(lambda: (_alert(RUEIL, 1), _alert(GARCHES, 2)))
        response = await _connect(garches, last_event_id=first)
        return await _frames(response, 1)

    assert [json.loads(f["data"])["alert"] for f in run_async(scenario())] == [2]


@pytest.mark.django_db(transaction=True)
def test_a_user_without_the_permission_gets_none_of_those_events(make_user):
    # A CCAS agent follows its call campaigns but has no right to the alerts being prepared.
    agent = make_user("agent_ccas", communes=[RUEIL])
    assert not agent.has_perm("alerts.view_alert") and agent.has_perm("registry.view_campaign")

    async def scenario():
        response = await _connect(agent)
        reader = asyncio.ensure_future(_frames(response, 1))
        await asyncio.sleep(0.2)
        await asyncio.to_thread(lambda: (_alert(RUEIL, 1), _campaign(RUEIL, 7)))
        return await reader

    got = run_async(scenario())
    assert [f["event"] for f in got] == ["campaign.progress"]


@pytest.mark.django_db(transaction=True)
def test_asking_only_for_a_topic_one_may_not_see_is_refused(make_user):
    agent = make_user("agent_ccas", communes=[RUEIL])

    async def scenario():
        return (await _connect(agent, topics="alerts")).status_code

    assert run_async(scenario()) == 403


@pytest.mark.django_db(transaction=True)
def test_administrators_see_every_commune_and_resync_reaches_everyone(make_user):
    admin = make_user("administrateur", communes=[])
    garches = make_user("communication", communes=[GARCHES])

    async def scenario():
        to_admin = await _connect(admin, topics="alerts")
        to_garches = await _connect(garches, topics="alerts")
        readers = asyncio.ensure_future(asyncio.gather(_frames(to_admin, 2), _frames(to_garches, 1)))
        await asyncio.sleep(0.2)

        def produce():
            _alert(RUEIL, 1)
            broker = live.get_broker()
            resync = live._resync_event((int(time.time() * 1000) + 1, 0))
            broker.fanout.dispatch([resync])

        await asyncio.to_thread(produce)
        return await readers

    admin_got, garches_got = run_async(scenario())
    assert [f["event"] for f in admin_got] == ["alert.published", live.RESYNC]
    assert [f["event"] for f in garches_got] == [live.RESYNC]


@pytest.mark.django_db(transaction=True)
def test_sse_resume_after_dropped_connection_misses_nothing(make_user):
    user = make_user("cellule_crise", communes=[CHAMPIGNY])

    def observation(commune, n):
        publish_event(
            "stale", communes=[commune], indicator=f"i{n}", stale=True, last_at=None
        ) if n % 2 else publish_event(
            "level",
            communes=[commune],
            indicator=f"i{n}",
            label="Vigilance",
            colour="#f2c200",
            at="2026-01-01T00:00:00+00:00",
            value=float(n),
            **{"from": 0, "to": 1},
        )

    async def scenario():
        first = await sync_to_async(live.last_id)()
        await asyncio.to_thread(lambda: (observation(CHAMPIGNY, 1), observation(CHAMPIGNY, 2)))
        await asyncio.to_thread(observation, RUEIL, 99)  # not their commune
        response = await _connect(user, topics="monitoring", last_event_id=first)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
        got = await _frames(response, 2)
        assert [json.loads(f["data"])["indicator"] for f in got] == ["i1", "i2"]
        # The connection drops; meanwhile two more events are published.
        last_seen = got[-1]["id"]
        await asyncio.to_thread(
            lambda: (observation(CHAMPIGNY, 3), observation(RUEIL, 5), observation(CHAMPIGNY, 4))
        )
        client = AsyncClient()
        await client.aforce_login(user)
        again = await client.get("/live/", {"topics": "monitoring"}, headers={"Last-Event-ID": last_seen})
        got = await _frames(again, 2)
        assert [json.loads(f["data"])["indicator"] for f in got] == ["i3", "i4"]
        assert all(live.parse_id(f["id"]) > live.parse_id(last_seen) for f in got)

    run_async(scenario())


@pytest.mark.django_db(transaction=True)
def test_sse_requires_login(territory):
    async def scenario():
        return (await AsyncClient().get("/live/")).status_code

    assert run_async(scenario()) in (302, 401)


def test_a_real_http_client_of_the_live_server_gets_only_its_commune(live_server, client, make_user):
    """The same guarantee through a real HTTP connection (the test server streams on a thread)."""
    garches = make_user("communication", communes=[GARCHES])
    client.force_login(garches)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    got: list[dict] = []
    connected = threading.Event()

    def listen():
        url = f"{live_server.url}/live/?topics=alerts&heartbeat=0.2"
        with httpx.stream("GET", url, cookies=cookies, timeout=10) as response:
            assert response.status_code == 200
            buffer = ""
            for chunk in response.iter_text():
                connected.set()
                buffer += chunk
                while "\n\n" in buffer:
                    frame, buffer = buffer.split("\n\n", 1)
                    parsed = _parse(frame)
                    if parsed:
                        got.append(parsed)
                        return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert connected.wait(10)
    time.sleep(0.2)
    _alert(RUEIL, 1)
    _alert(GARCHES, 2)
    thread.join(10)
    assert [json.loads(f["data"])["alert"] for f in got] == [2]
