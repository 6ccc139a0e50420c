"""Periodic polling of live sources in the task queue, each source with its own period.

Every minute the poller claims the sources that are due (``next_run_at`` passed) with a conditional
UPDATE (same behaviour on SQLite and PostgreSQL, no double run across workers), then runs each one
as its own task. A failing source is retried later each time (backoff in ``do_record_run``).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from beffroi.core.actors import SystemActor
from beffroi.sources.models import Source


def claim_due_sources(now=None) -> list[int]:
    now = now or timezone.now()
    claimed = []
    for src in Source.objects.filter(enabled=True).only("pk", "next_run_at", "period_seconds"):
        if src.next_run_at is not None and src.next_run_at > now:
            continue
        # Hold the source for one period while it runs; do_record_run sets the real next time.
        hold = now + max(timedelta(seconds=src.period_seconds), timedelta(minutes=5))
        if Source.objects.filter(pk=src.pk, next_run_at=src.next_run_at).update(next_run_at=hold):
            claimed.append(src.pk)
    return claimed


@db_task()
def run_source_task(source_id: int, dry_run: bool = False) -> str:
    from beffroi.sources.runner import run_source

    src = Source.objects.filter(pk=source_id).first()
    if src is None:
        return "gone"
    return run_source(src, actor=SystemActor("poll_sources"), dry_run=dry_run).status


@db_periodic_task(crontab(minute="*"))
def poll_sources() -> int:
    ids = claim_due_sources()
    for source_id in ids:
        run_source_task(source_id)
    return len(ids)
