"""The live-event catalogue: every publish is checked against it, and apps fill it from their modules."""

from __future__ import annotations

import pytest
from django.db import transaction

from beffroi.core import live
from beffroi.core.events import catalogue, event_names, publish_event, register_event


@pytest.fixture
def broker():
    broker = live.MemoryBroker(buffer_size=50)
    live.set_broker(broker)
    yield broker
    live.reset()


def test_every_app_declares_its_events_with_a_permission_and_a_topic():
    specs = catalogue()
    for name in ("observation", "level", "stale", "proposal", "entry", "task", "shelter", "crisis.opened"):
        assert name in specs
    for name in ("alert.submitted", "alert.approved", "alert.published", "campaign.progress", live.RESYNC):
        assert name in specs
    for spec in specs.values():
        assert spec.topic in (*live.TOPICS, "live")
        assert spec.name == live.RESYNC or "." in spec.permission
    assert specs["alert.published"].permission == "alerts.view_alert"
    assert specs["observation"].permission == "monitoring.view_indicator"
    assert specs["entry"].permission == "crisis.view_logentry"
    assert event_names() == sorted(specs)


def test_publishing_an_uncatalogued_name_raises(broker):
    with pytest.raises(ValueError, match="not in the catalogue"):
        publish_event("log_entry", communes=["94052"], crisis=1)
    assert live.recent() == []


def test_publishing_without_communes_raises(broker):
    payload = {"shelter": 1, "occupancy": 3, "capacity": 10, "status": "ouvert"}
    for communes in ([], (), None, "94052", [""]):
        with pytest.raises(ValueError, match="communes"):
            publish_event("shelter", communes=communes or [], **payload)
    with pytest.raises(TypeError):
        publish_event("shelter", **payload)  # type: ignore[call-arg]  # communes is required
    assert live.recent() == []


def test_missing_extra_or_mistyped_fields_raise(broker):
    good = {"shelter": 1, "occupancy": 3, "capacity": 10, "status": "ouvert"}
    with pytest.raises(ValueError, match=r"missing fields \['status'\]"):
        publish_event("shelter", communes=["94052"], **{k: v for k, v in good.items() if k != "status"})
    with pytest.raises(ValueError, match=r"unexpected fields \['name'\]"):
        publish_event("shelter", communes=["94052"], **good, name="Gymnase")
    with pytest.raises(ValueError, match="'occupancy' should be int"):
        publish_event("shelter", communes=["94052"], **{**good, "occupancy": "3"})
    with pytest.raises(ValueError, match="resync"):
        publish_event(live.RESYNC, communes=["94052"], reason="x")
    assert live.recent() == []


def test_a_valid_event_carries_its_communes_and_waits_for_the_commit(
    db, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish_event(
            "shelter",
            communes=["94052", "92063", "94052"],
            shelter=1,
            occupancy=3,
            capacity=10,
            status="ouvert",
        )
        assert live.recent() == []
    (event,) = live.recent()
    assert (event.topic, event.event) == ("crisis", "shelter")
    assert event.data["communes"] == ["92063", "94052"] and event.data["occupancy"] == 3


def test_a_rolled_back_write_publishes_nothing(transactional_db, broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_event("shelter", communes=["94052"], shelter=1, occupancy=3, capacity=10, status="ouvert")
        raise RuntimeError
    assert live.recent() == []


def test_declarations_are_checked():
    with pytest.raises(ValueError, match="unknown topic"):
        register_event("x.test", topic="nowhere", permission="a.b", fields={})
    with pytest.raises(ValueError, match="reserved"):
        register_event("x.test", topic="crisis", permission="a.b", fields={"communes": list})
    with pytest.raises(ValueError, match="permission"):
        register_event("x.test", topic="crisis", permission="", fields={})
    with pytest.raises(ValueError, match="already declared differently"):
        register_event("shelter", topic="crisis", permission="crisis.view_shelter", fields={"shelter": int})
