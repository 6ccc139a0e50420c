"""On-call notices: staff of a commune paged (through the registered notifier) when a level changes."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model

from beffroi.core.actors import SystemActor
from beffroi.monitoring import paging
from beffroi.monitoring.models import (
    Indicator,
    Proposal,
)

# The logger keeps the name it had when this code was in actions.py.
log = logging.getLogger("beffroi.monitoring.actions")

# Monitoring's own work (threshold evaluation, staleness, on-call notices) is done by this actor.
MONITOR = SystemActor("monitoring")


def on_call_users(commune: str):
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name__in=["maire", "cellule_crise"],
            commune_memberships__commune_code=commune,
        )
        .distinct()
    )


def _notify_on_call(indicator: Indicator, label: str, value: float, proposals: list[Proposal]) -> None:
    """E-mail/SMS the on-call people through the alerts app's staff channel (never citizens)."""
    users = on_call_users(indicator.commune)
    if not users:
        return
    subject = f"[Beffroi] {indicator.label} : {label}"
    text = "\n".join(
        [
            f"{indicator.label} : {value:g} {indicator.unit} ({label}), source {indicator.source}.",
            "Propositions à décider dans Beffroi (Veille) :",
            *[f"- {p.title}" for p in proposals],
        ]
    )
    try:
        paging.page_staff(users, subject, text, actor=MONITOR)
    except Exception:  # a failed notification must not undo the level change
        log.exception("monitoring: notifying on-call staff of %s failed", indicator.key)
