"""The crisis app's card on the home dashboard (see beffroi.web.situation)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from beffroi.core.permissions import has_perm
from beffroi.crisis.selectors import active_crises


def summary(user: Any) -> list[dict]:
    if not has_perm(user, "crisis.view_crisis"):
        return []
    crises = active_crises(user)
    real = [c for c in crises if not c.exercise]
    lines = [
        {
            "text": (_("EXERCICE — %(title)s") if c.exercise else "%(title)s") % {"title": c.title},
            "url": reverse("crisis:detail", args=[c.pk]),
        }
        for c in crises[:5]
    ]
    return [
        {
            "order": 10,
            "title": _("Crises ouvertes"),
            "value": len(real),
            "tone": "danger" if real else ("warning" if crises else "ok"),
            "url": reverse("crisis:index"),
            "lines": lines or [{"text": _("Aucune crise ouverte."), "url": None}],
        }
    ]
