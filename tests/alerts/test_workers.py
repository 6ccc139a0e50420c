"""The rows of a dead worker of this machine are claimable at once; any other worker's wait for their
lease: a live one (another thread of this process), one of another machine, one named without its
process. Rows are staff e-mails claimed through ``outbox.claim`` as a worker would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from beffroi.alerts import outbox, workers
from beffroi.alerts.models import Delivery, StaffMessage

pytestmark = pytest.mark.skipif(not workers._place(), reason="process numbers are read on Linux only")


@pytest.fixture
def rows(db):
    message = StaffMessage.objects.create(subject="Crue", text="Seuil de vigilance orange atteint")
    outbox.enqueue_staff(message, [("email", f"astreinte{i}@rueil.example") for i in range(5)])
    return 5


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _name(pid: int, place: str | None = None) -> str:
    return f"old~{pid}@{place or workers._place()}"


def test_a_dead_workers_rows_are_claimed_at_once_without_waiting_for_their_lease(rows):
    dead = _name(_dead_pid())
    assert len(outbox.claim(dead)) == rows  # its own rows are never released to itself
    assert Delivery.objects.filter(claimed_by=dead, lease_until__gt=timezone.now()).count() == rows
    taken = outbox.claim(workers.worker_name("next"))
    assert len(taken) == rows
    assert {d.claimed_by for d in Delivery.objects.all()} == {workers.worker_name("next")}


def test_a_killed_process_not_yet_reaped_counts_as_dead(rows):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        stat = Path(f"/proc/{child.pid}/stat")
        while stat.read_text().rpartition(")")[2].split()[0] != "Z":
            time.sleep(0.01)  # until it has exited, not waited for: a zombie
        outbox.claim(_name(child.pid))
        assert len(outbox.claim("next")) == rows
    finally:
        child.wait()


@pytest.mark.parametrize(
    "holder",
    [
        pytest.param(lambda: workers.worker_name("other-thread"), id="a live worker of this process"),
        pytest.param(lambda: _name(os.getppid()), id="a live process of this machine"),
        pytest.param(lambda: _name(_dead_pid(), place="0badf00d"), id="a worker of another machine"),
        pytest.param(lambda: "first", id="a name without its process"),
    ],
)
def test_other_workers_rows_wait_for_their_lease(rows, holder):
    name = holder()
    assert len(outbox.claim(name)) == rows
    assert outbox.claim("next") == []
    # Once the lease has run out, anyone may take them back.
    Delivery.objects.filter(claimed_by=name).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert len(outbox.claim("next")) == rows


def test_a_worker_name_fits_its_column_and_keeps_the_operators_label():
    name = workers.worker_name("x" * 60)
    assert len(name) <= Delivery._meta.get_field("claimed_by").max_length
    assert name.startswith("x" * workers.LABEL_CHARS + "~")
    assert workers._process_of(name) == os.getpid()
    assert workers.worker_name() != workers.worker_name()  # two runs never share a name
