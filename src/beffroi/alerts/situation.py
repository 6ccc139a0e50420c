"""The alerts app's card on the home dashboard (see beffroi.web.situation)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beffroi.alerts.models import Alert
from beffroi.alerts.selectors import alerts_for_user, pending_approvals
from beffroi.core.permissions import has_perm


def summary(user: Any) -> list[dict]:
    if not has_perm(user, "alerts.view_alert"):
        return []
    now = timezone.now()
    in_force = []
    for alert in (
        alerts_for_user(user).filter(status=Alert.Status.ACTUAL, cancelled=False).order_by("-created_at")[:50]
    ):
        latest = alert.published_versions().last()
        if latest is not None and latest.expires > now:
            in_force.append((alert, latest))
    lines: list[dict] = [
        {
            "text": latest.text("fr").get("headline") or alert.hazard,
            "url": reverse("alerts:detail", args=[alert.pk]),
        }
        for alert, latest in in_force[:5]
    ]
    waiting = pending_approvals(user).count()
    if waiting:
        lines.append(
            {
                "text": ngettext(
                    "%(n)d message en attente d'approbation",
                    "%(n)d messages en attente d'approbation",
                    waiting,
                )
                % {"n": waiting},
                "url": reverse("alerts:index"),
            }
        )
    return [
        {
            "order": 30,
            "title": _("Alertes en vigueur"),
            "value": len(in_force),
            "tone": "warning" if in_force or waiting else "ok",
            "url": reverse("alerts:index"),
            "lines": lines or [{"text": _("Aucune alerte diffusée en cours."), "url": None}],
        }
    ]
