"""The monitoring app's card on the home dashboard (see beffroi.web.situation)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beffroi.core.permissions import has_perm
from beffroi.monitoring.selectors import indicators_for_user, proposals_for_user


def summary(user: Any) -> list[dict]:
    if not has_perm(user, "monitoring.view_indicator"):
        return []
    index = reverse("monitoring:index")
    raised, stale = [], 0
    for indicator in indicators_for_user(user):
        state = getattr(indicator, "state", None)
        if state is None:
            continue
        stale += bool(state.stale)
        if state.level > 0:
            names = {t.level: t.label for t in indicator.thresholds.all()}
            raised.append((state.level, indicator.label, names.get(state.level, str(state.level))))
    raised.sort(key=lambda item: -item[0])
    pending = len(proposals_for_user(user, pending_only=True, limit=100))
    lines: list[dict] = [
        {"text": f"{label} : {level_name}", "url": index} for _lvl, label, level_name in raised[:5]
    ]
    if pending:
        lines.append(
            {
                "text": ngettext("%(n)d proposition à décider", "%(n)d propositions à décider", pending)
                % {"n": pending},
                "url": reverse("monitoring:proposals"),
            }
        )
    if stale:
        lines.append(
            {
                "text": ngettext(
                    "%(n)d indicateur sans donnée récente", "%(n)d indicateurs sans donnée récente", stale
                )
                % {"n": stale},
                "url": index,
            }
        )
    if any(level >= 2 for level, _label, _name in raised):
        tone = "danger"
    else:
        tone = "warning" if raised or pending or stale else "ok"
    return [
        {
            "order": 20,
            "title": _("Indicateurs en vigilance"),
            "value": len(raised),
            "tone": tone,
            "url": index,
            "lines": lines or [{"text": _("Tous les indicateurs sont au niveau normal."), "url": None}],
        }
    ]
