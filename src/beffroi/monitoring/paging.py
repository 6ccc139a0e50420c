"""Extension point: how on-call staff are paged when a level changes.

Sending e-mail and SMS is the alerts app's business (its outbox and channels); monitoring sits
below it and only says *whom* to page and *what* to say. The alerts app registers its sender from
``AlertsConfig.ready()``; with none registered, paging is skipped (the level change is still
recorded and shown live).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

StaffNotifier = Callable[..., int]

NOTIFIERS: list[StaffNotifier] = []


def register_staff_notifier(notifier: StaffNotifier) -> None:
    """``notifier(users, subject, text, *, actor)`` → how many messages were queued or sent."""
    if notifier not in NOTIFIERS:
        NOTIFIERS.append(notifier)


def page_staff(users: Sequence[Any], subject: str, text: str, *, actor: Any) -> int:
    return sum(notify(users, subject, text, actor=actor) for notify in NOTIFIERS)
