"""The live broker: ids, replay after Last-Event-ID, topics, commit ordering, Redis fan-out."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid

import pytest
from django.db import transaction

from beffroi.core import live
from tests.conftest import run_async


@pytest.fixture
def broker():
    broker = live.MemoryBroker(buffer_size=5)
    live.set_broker(broker)
    yield broker
    live.reset()


async def _take(iterator, n, timeout=3.0):
    out = []

    async def run():
        async for event in iterator:
            if event is not None:
                out.append(event)
                if len(out) == n:
                    return

    await asyncio.wait_for(run(), timeout)
    return out


def test_ids_strictly_increase(broker):
    ids = [broker.publish("monitoring", "x", {"i": i}) for i in range(50)]
    keys = [live.parse_id(i) for i in ids]
    assert keys == sorted(keys) and len(set(keys)) == 50


def test_async_subscriber_receives_published_events_in_order(broker):
    async def scenario():
        iterator = live.subscribe(["monitoring"], heartbeat=0.05)
        task = asyncio.ensure_future(_take(iterator, 3))
        await asyncio.sleep(0.05)  # let the subscriber register

        # Published from another thread, as a Django sync view or a Huey task would.
        def produce():
            live.publish("crisis", "ignored", {"n": 0})
            for n in (1, 2, 3):
                live.publish("monitoring", "observation", {"n": n})

        await asyncio.to_thread(produce)
        return await task

    events = run_async(scenario())
    assert [e.data["n"] for e in events] == [1, 2, 3]
    assert all(e.topic == "monitoring" for e in events)


def test_resume_with_last_event_id_misses_nothing(broker):
    first = broker.publish("monitoring", "a", {"n": 1})
    broker.publish("monitoring", "b", {"n": 2})
    broker.publish("monitoring", "c", {"n": 3})

    async def scenario():
        return await _take(live.subscribe(None, last_event_id=first, heartbeat=0.05), 2)

    events = run_async(scenario())
    assert [e.event for e in events] == ["b", "c"]


def test_resume_after_buffer_trimmed_sends_resync(broker):
    first = broker.publish("monitoring", "old", {})
    for n in range(6):  # buffer holds 5: "old" and the first new one are dropped
        broker.publish("monitoring", "new", {"n": n})

    async def scenario():
        return await _take(live.subscribe(None, last_event_id=first, heartbeat=0.05), 6)

    events = run_async(scenario())
    assert events[0].event == live.RESYNC
    assert [e.data["n"] for e in events[1:]] == [1, 2, 3, 4, 5]


def test_sync_subscriber_and_sse_frame(broker):
    got = []

    def consume():
        for event in live.subscribe_sync(["alerts"], heartbeat=0.05):
            if event is not None:
                got.append(event)
                return

    thread = threading.Thread(target=consume)
    thread.start()
    import time

    time.sleep(0.1)
    broker.publish("alerts", "drafted", {"title": "Crue"})
    thread.join(3)
    assert got and got[0].data == {"title": "Crue"}
    frame = got[0].to_sse().decode()
    assert frame.startswith(f"id: {got[0].id}\nevent: drafted\ndata: ")
    assert '"title":"Crue"' in frame and frame.endswith("\n\n")


@pytest.mark.django_db(transaction=True)
def test_publish_waits_for_commit_and_skips_rollback(broker):
    with transaction.atomic():
        live.publish("monitoring", "committed", {})
        assert live.recent() == []  # not before the commit
    assert [e.event for e in live.recent()] == ["committed"]
    try:
        with transaction.atomic():
            live.publish("monitoring", "rolled-back", {})
            raise RuntimeError
    except RuntimeError:
        pass
    assert [e.event for e in live.recent()] == ["committed"]


def test_publish_in_a_test_transaction_waits_for_the_captured_commit(
    db, broker, django_capture_on_commit_callbacks
):
    """No shortcut for tests in the broker: a test sees events by running the commit callbacks."""
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            live.publish("monitoring", "now", {"v": 1})
        assert live.recent() == []
    assert [e.event for e in live.recent()] == ["now"]


def test_publish_outside_a_transaction_is_immediate(broker):
    live.publish("monitoring", "now", {"v": 1})
    assert [e.event for e in live.recent()] == ["now"]


@pytest.mark.redis
def test_redis_event_published_by_one_broker_reaches_subscriber_of_another():
    """Two brokers = two web processes sharing Redis."""
    url = os.environ["BEFFROI_REDIS_URL"]
    prefix = f"beffroi:test:{uuid.uuid4().hex}"
    a = live.RedisBroker(url, 100, prefix=prefix)
    b = live.RedisBroker(url, 100, prefix=prefix)
    try:
        first = a.publish("monitoring", "before", {"n": 0})
        live.set_broker(b)

        async def scenario():
            iterator = live.subscribe(["monitoring"], last_event_id=first, heartbeat=0.05)
            task = asyncio.ensure_future(_take(iterator, 3))
            await asyncio.sleep(0.3)
            a.publish("monitoring", "live", {"n": 2})
            a.publish("monitoring", "live", {"n": 3})
            return await task

        # One event published before the subscription but after ``first``: replayed from the stream.
        a.publish("monitoring", "missed", {"n": 1})
        events = run_async(scenario())
        assert [e.data["n"] for e in events] == [1, 2, 3]
        assert live.parse_id(events[0].id) > live.parse_id(first)
    finally:
        live.set_broker(None)
        a.redis.delete(a.stream_key)
        a.close()
        b.close()


def test_async_heartbeat_when_idle(broker):
    async def scenario():
        iterator = live.subscribe(None, heartbeat=0.05)
        first = await asyncio.wait_for(iterator.__anext__(), 2)
        await iterator.aclose()
        return first

    assert run_async(scenario()) is None
