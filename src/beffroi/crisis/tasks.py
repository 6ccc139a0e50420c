"""Background work of the crisis app: deleting shelter registers past their retention period."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from beffroi.core.actors import SystemActor


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_shelter_register():
    from beffroi.crisis.actions_means import do_purge_shelter_register

    return do_purge_shelter_register(actor=SystemActor("retention"))
