"""Twenty writers appending at once lose nothing and keep one valid chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from beffroi.core.actors import SystemActor
from beffroi.crisis.actions import do_append_entry, do_open_crisis
from beffroi.crisis.chain import verify
from beffroi.crisis.models import LogEntry

WRITERS = 20
PER_WRITER = 50  # 1,000 entries in all


def _hammer(crisis_id: int, actor) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(PER_WRITER):
                do_append_entry(
                    crisis_id, text=f"writer {n} entry {i}", category="info", source="radio", actor=actor
                )
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]


def _run(make_user):
    cell = make_user("cellule_crise", ["94052"])
    crisis = do_open_crisis(
        hazard="inondation",
        communes=["94052"],
        level=3,
        exercise=True,
        title="Exercice de charge",
        actor=SystemActor("cli"),
    )
    _hammer(crisis.pk, cell)
    count = LogEntry.objects.filter(crisis=crisis).count()
    assert count == 1 + WRITERS * PER_WRITER
    seqs = list(LogEntry.objects.filter(crisis=crisis).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, count + 1))
    report = verify(crisis)
    assert report.ok, report
    assert report.length == count
    texts = set(LogEntry.objects.filter(crisis=crisis, seq__gt=1).values_list("text", flat=True))
    assert len(texts) == WRITERS * PER_WRITER


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_writers_lose_no_entry(make_user):
    _run(make_user)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_writers_on_postgresql(make_user):
    assert connection.vendor == "postgresql"
    _run(make_user)
