"""Crisis benchmark: main-courante appends per second with hash chaining, 20 concurrent writers.

Beffroi: ``do_append_entry`` (permission-free system actor, per-crisis lock row, SHA-256 chain,
audit event) from 20 threads, against a baseline of plain inserts of the same rows (same table,
same 20 threads, one transaction each, no lock, no hash, no audit). The embedded mode's SQLite file
(WAL, IMMEDIATE transactions) in a temporary data directory; ``BEFFROI_DATABASE_URL`` is honoured
if set. Default 2,000 entries a side (``BENCH_CRISIS_ENTRIES``); the chain is verified afterwards.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import threading
import time
from pathlib import Path

from beffroi.core.actors import SystemActor
from bench.common import setup_django, write_result

CLI = SystemActor("cli")  # the operator running the bench at the shell
INJECT = SystemActor("exercise bench")  # its entries are an exercise's injects (both crises are exercises)

ENTRIES = int(os.environ.get("BENCH_CRISIS_ENTRIES", "2000"))
WRITERS = 20


def _threads(work) -> float:
    per = ENTRIES // WRITERS
    errors: list[BaseException] = []

    def run(n: int) -> None:
        from django.db import connections

        try:
            for i in range(per):
                work(n, i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - start


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-crisis-"))
    setup_django(data_dir)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from beffroi.core.timeutil import utcnow
    from beffroi.crisis.actions import do_append_entry, do_open_crisis
    from beffroi.crisis.chain import verify
    from beffroi.crisis.models import LogEntry
    from beffroi.territory.actions import do_add_communes

    do_add_communes(["94052"], actor=CLI)
    chained = do_open_crisis(
        hazard="inondation",
        communes=["94052"],
        level=3,
        exercise=True,
        title="Bench chained",
        actor=CLI,
    )
    plain = do_open_crisis(
        hazard="inondation",
        communes=["94052"],
        level=3,
        exercise=True,
        title="Bench plain",
        actor=CLI,
    )
    text = "Appel riverain : eau dans la cave, rue de la Marne, demande de motopompe (writer {n}, {i})"

    seq = itertools.count(10)
    lock = threading.Lock()

    def plain_insert(n: int, i: int) -> None:
        with lock:
            number = next(seq)
        now = utcnow()
        LogEntry(
            crisis_id=plain.pk,
            seq=number,
            recorded_at=now,
            occurred_at=now,
            author_label="système",
            source="telephone",
            category="info",
            text=text.format(n=n, i=i),
            exercise=True,
            prev_hash="0" * 64,
            hash="0" * 64,
        ).save()

    def chained_append(n: int, i: int) -> None:
        do_append_entry(
            chained.pk,
            text=text.format(n=n, i=i),
            category="info",
            source="telephone",
            actor=INJECT,
        )

    baseline_seconds = _threads(plain_insert)
    beffroi_seconds = _threads(chained_append)
    total = (ENTRIES // WRITERS) * WRITERS
    report = verify(chained)
    assert report.ok and report.length == total + 1, report
    write_result(
        "crisis_log_appends",
        total / beffroi_seconds,
        "appends/s",
        "plain inserts of the same rows (no lock, hash or audit)",
        total / baseline_seconds,
        writers=WRITERS,
        entries=total,
        chain_valid=report.ok,
        database=os.environ.get("BEFFROI_DATABASE_URL", "sqlite").split(":")[0],
    )


if __name__ == "__main__":
    main()
