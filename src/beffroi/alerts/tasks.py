"""Background dispatch of the outbox (Huey); also run every minute to pick up retries."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def dispatch_outbox():
    from beffroi.alerts.outbox import dispatch_all

    return dispatch_all()


@db_periodic_task(crontab(minute="*"))
def dispatch_outbox_periodic():
    from beffroi.alerts.outbox import dispatch_all

    return dispatch_all()
