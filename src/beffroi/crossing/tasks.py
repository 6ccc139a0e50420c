"""Keep saved crossings up to date: recompute those whose datasets changed since."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError

log = logging.getLogger(__name__)


def recompute_stale() -> int:
    from beffroi.crossing.actions import do_recompute_crossing
    from beffroi.crossing.selectors import stale_crossings

    done = 0
    for saved in stale_crossings():
        try:
            do_recompute_crossing(saved, actor=SystemActor("recompute_crossings"))
            done += 1
        except UserError as exc:
            log.warning("saved crossing %s not recomputed: %s", saved.pk, exc.message)
    return done


@db_periodic_task(crontab(minute="*/15"))
def recompute_stale_crossings() -> int:
    return recompute_stale()
