"""Background work: the staleness check, derived indicators and the public indicator pages."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from beffroi.core.actors import SystemActor


@db_periodic_task(crontab(minute="*"))
def check_staleness():
    from beffroi.monitoring.actions import do_check_staleness

    return do_check_staleness(actor=SystemActor("monitoring"))


@db_periodic_task(crontab(minute="*/15"))
def sync_derived_indicators():
    from beffroi.monitoring.derived import sync_derived

    return sync_derived().points


@db_task()
def write_public_indicator_task(indicator_pk: int):
    write_public_indicator(indicator_pk)


def write_public_indicator(indicator_pk: int):
    from beffroi.monitoring.public_pages import write_indicator_pages

    return write_indicator_pages(indicator_pk)
