"""Rebuilding the static public site in the background, one rebuild for a burst of changes.

Every public change (an alert published, a shelter opened, closed or filling up, a public level)
calls ``request_rebuild``. The first call of a burst sets a "pending" flag in Huey's storage
(atomic ``put_if_empty``: SQLite in embedded mode, Redis in server mode, so every process shares
it) and schedules one rebuild ``PUBLIC_REBUILD_DELAY`` seconds later; later calls find the flag set
and do nothing. The rebuild clears the flag *before* it reads the database, so a change committed
during a rebuild schedules the next one: no change is ever left unpublished.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from huey.contrib.djhuey import HUEY, db_task

log = logging.getLogger(__name__)

PENDING_KEY = "beffroi:public-site:pending"
# A pending flag older than this belongs to a rebuild that was lost (worker killed): take over.
STALE_AFTER = 300.0


def request_rebuild(reason: str = "") -> bool:
    """Schedule a rebuild of the public site; False when one is already pending (coalesced)."""
    now = time.time()
    if not HUEY.put_if_empty(PENDING_KEY, now):
        since = HUEY.get(PENDING_KEY, peek=True)
        if since is not None and now - float(since) < STALE_AFTER:
            log.debug("public site: rebuild already pending (%s)", reason)
            return False
        HUEY.delete(PENDING_KEY)
        if not HUEY.put_if_empty(PENDING_KEY, now):
            return False
    _enqueue()
    log.info("public site: rebuild scheduled (%s)", reason)
    return True


def _enqueue() -> None:
    # The immediate mode (tests) runs tasks inline and never runs delayed ones: no delay there.
    delay = 0 if HUEY.immediate else settings.PUBLIC_REBUILD_DELAY
    if delay > 0:
        rebuild_public_site.schedule(delay=delay)
    else:
        rebuild_public_site()


def run_rebuild() -> dict:
    """Clear the pending flag, then rewrite the site from the committed state."""
    from beffroi.public.site import build_site

    HUEY.delete(PENDING_KEY)
    return build_site()


@db_task()
def rebuild_public_site():
    return run_rebuild()


def on_public_change(sender, *, reason: str = "", **kwargs) -> None:
    """Receiver of ``core.signals.public_content_changed`` and ``alerts.signals.version_published``."""
    request_rebuild(reason or getattr(sender, "__name__", str(sender)))
