"""The sources app's card on the home dashboard (see beffroi.web.situation)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from beffroi.core.permissions import has_perm
from beffroi.sources.selectors import failing_sources


def summary(user: Any) -> list[dict]:
    if not has_perm(user, "sources.view_source"):
        return []
    failing = failing_sources()
    lines = [
        {
            "text": _("%(source)s : %(n)d échec(s) de suite")
            % {"source": s.title or s.name, "n": s.consecutive_failures},
            "url": reverse("sources:source", args=[s.name]),
        }
        for s in failing[:5]
    ]
    return [
        {
            "order": 60,
            "title": _("Sources en échec"),
            "value": len(failing),
            "tone": "warning" if failing else "ok",
            "url": reverse("sources:index"),
            "lines": lines or [{"text": _("Toutes les sources répondent."), "url": None}],
        }
    ]
