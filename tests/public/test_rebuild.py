"""The public site follows every public change, rebuilt in the background once per burst."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

import pytest
from huey.contrib.djhuey import HUEY

from beffroi.alerts.models import AlertVersion
from beffroi.core.actors import SystemActor
from beffroi.core.signals import public_content_changed
from beffroi.crisis.actions_means import (
    do_close_shelter,
    do_open_shelter,
    do_register_arrival,
    do_save_shelter,
)
from beffroi.public import tasks
from beffroi.public.site import write_atomic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def public_root(settings, tmp_path):
    settings.PUBLIC_ROOT = tmp_path / "public"
    HUEY.delete(tasks.PENDING_KEY)
    yield settings.PUBLIC_ROOT
    HUEY.delete(tasks.PENDING_KEY)


@pytest.fixture
def scheduled(monkeypatch):
    """Record the rebuilds scheduled instead of running them (the worker would run them later)."""
    calls: list[float] = []
    monkeypatch.setattr(tasks, "_enqueue", lambda: calls.append(time.time()))
    return calls


def test_a_burst_of_changes_schedules_one_rebuild(scheduled, public_root):
    assert tasks.request_rebuild("shelter 1") is True
    assert [tasks.request_rebuild(f"shelter {i}") for i in range(2, 6)] == [False] * 4
    assert len(scheduled) == 1
    tasks.run_rebuild()
    assert (public_root / "index.html").is_file()
    # The flag is cleared before the rebuild reads the database: the next change schedules again.
    assert tasks.request_rebuild("after") is True and len(scheduled) == 2


def test_a_change_during_a_rebuild_schedules_the_next_one(scheduled, monkeypatch):
    tasks.request_rebuild("first")

    def build_while_changing():
        tasks.request_rebuild("committed while building")
        return {}

    monkeypatch.setattr("beffroi.public.site.build_site", build_while_changing)
    tasks.run_rebuild()
    assert len(scheduled) == 2


def test_a_lost_rebuild_does_not_block_the_next_ones_forever(scheduled):
    HUEY.put(tasks.PENDING_KEY, time.time() - tasks.STALE_AFTER - 1)
    assert tasks.request_rebuild("after a killed worker") is True and len(scheduled) == 1


def test_the_worker_runs_the_rebuild_after_the_debounce_delay(monkeypatch, settings):
    settings.PUBLIC_REBUILD_DELAY = 3
    delays: list[int] = []
    monkeypatch.setattr(tasks, "HUEY", SimpleNamespace(immediate=False))
    monkeypatch.setattr(tasks.rebuild_public_site, "schedule", lambda delay: delays.append(delay))
    tasks._enqueue()
    assert delays == [3]


def test_signals_of_lower_apps_request_a_rebuild(scheduled):
    public_content_changed.send(sender=object, reason="level x")
    assert len(scheduled) == 1


def test_an_unchanged_file_keeps_its_etag(public_root):
    path = public_root / "site.css"
    assert write_atomic(path, "a { }") is True
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert write_atomic(path, "a { }") is False
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert write_atomic(path, "b { }") is True and path.read_text() == "b { }"
    assert not list(public_root.glob("*.tmp"))


def test_a_shelter_opened_appears_on_the_public_page_with_no_alert(
    client, make_user, django_capture_on_commit_callbacks
):
    cell = make_user("cellule_crise", ["92063"])
    shelter = do_save_shelter(
        commune="92063", actor=SystemActor("demo"), name="Gymnase Jean-Jaurès", capacity=60
    )
    assert "Gymnase Jean-Jaurès" not in client.get("/public/").getvalue().decode()
    start = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        do_open_shelter(shelter, actor=cell)
    page = client.get("/public/").getvalue().decode()
    assert "Gymnase Jean-Jaurès" in page and "0 / 60 places" in page
    with django_capture_on_commit_callbacks(execute=True):
        do_register_arrival(shelter, name="Famille Martin", household_size=4, actor=cell)
    assert "4 / 60 places" in client.get("/public/").getvalue().decode()
    assert time.monotonic() - start < 10
    # Counts only: the register never reaches the public site.
    assert "Martin" not in client.get("/public/").getvalue().decode()
    assert not AlertVersion.objects.exists()


def test_a_closed_shelter_leaves_the_public_page(client, make_user, django_capture_on_commit_callbacks):
    cell = make_user("cellule_crise", ["92063"])
    shelter = do_save_shelter(commune="92063", actor=SystemActor("demo"), name="Salle Ariane", capacity=20)
    with django_capture_on_commit_callbacks(execute=True):
        do_open_shelter(shelter, actor=cell)
    assert "Salle Ariane" in client.get("/public/").getvalue().decode()
    with django_capture_on_commit_callbacks(execute=True):
        do_close_shelter(shelter, actor=cell)
    assert "Salle Ariane" not in client.get("/public/").getvalue().decode()
