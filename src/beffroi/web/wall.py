"""What the crisis room's wall screen shows, gathered from the apps' selectors.

The wall lives in ``web`` because it crosses layers: crisis (the crisis, main courante, tasks,
shelters), monitoring (indicators), alerts (messages in force) and sources (failing sources); each
part is shown only to a user holding that app's view permission, scoped to the crisis's communes.
Every part is a partial of ``web/wall.html`` that the page re-fetches on its own live events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from beffroi.alerts import selectors as alerts
from beffroi.core.permissions import has_perm
from beffroi.crisis import selectors as crisis_selectors
from beffroi.crisis.models import Crisis
from beffroi.monitoring import selectors as monitoring
from beffroi.monitoring.units import unit_label
from beffroi.sources import selectors as sources
from beffroi.sources.situation import failing_for
from beffroi.territory.selectors import communes_for_user

# What fits on a 1920×1080 screen at the wall's type size, without scrolling.
MAX_INDICATORS = 4
MAX_ENTRIES = 6
MAX_OWNERS = 5
MAX_TASKS_PER_OWNER = 2
MAX_SHELTERS = 4
MAX_ALERTS = 3
MAX_SOURCES = 3
ENTRY_CHARS = 140

PARTS = ("header", "indicators", "journal", "tasks", "shelters", "alerts", "sources")


def followed_crisis(user: Any) -> Crisis | None:
    """The crisis a wall without a number follows: a real one before an exercise, the highest level,
    the newest."""
    crises = crisis_selectors.active_crises(user)
    if not crises:
        return None
    return sorted(crises, key=lambda c: (c.exercise, -c.level, -c.opened_at.timestamp()))[0]


def _duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return _("%(d)d j %(h)d h") % {"d": hours // 24, "h": hours % 24}
    if hours:
        return _("%(h)d h %(m)02d") % {"h": hours, "m": minutes}
    return _("%(m)d min") % {"m": minutes}


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",").replace("-", "−")


def _trend(snap: dict[str, Any]) -> dict[str, Any] | None:
    """Change per hour: the fitted trend when there is one, else the last hour of observations."""
    slope = snap.get("trend_slope_per_hour")
    if slope is None:
        obs = snap.get("observations") or []
        if len(obs) < 2:
            return None
        last_at, last = datetime.fromisoformat(obs[-1][0]), obs[-1][1]
        earlier = [
            (datetime.fromisoformat(a), v)
            for a, v in obs
            if datetime.fromisoformat(a) <= last_at - timedelta(minutes=45)
        ]
        if not earlier:
            return None
        at, value = earlier[-1]
        hours = (last_at - at).total_seconds() / 3600
        slope = (last - value) / hours if hours else 0.0
    scale = max(abs(t["value"]) for t in snap["thresholds"]) if snap.get("thresholds") else 1.0
    if abs(slope) < 0.002 * (scale or 1.0):
        arrow, word = "→", _("stable")
    elif slope > 0:
        arrow, word = "↑", _("en hausse")
    else:
        arrow, word = "↓", _("en baisse")
    sign = "+" if slope > 0 else ""
    return {
        "arrow": arrow,
        "word": word,
        "rate": _("%(v)s %(unit)s/h") % {"v": sign + _number(slope), "unit": unit_label(snap["unit"])},
    }


def _next(snap: dict[str, Any], now: datetime) -> dict[str, Any]:
    above = [t for t in snap["thresholds"] if t["level"] > snap["level"]]
    if not above:
        return {"text": _("niveau le plus haut"), "soon": False}
    target = above[0]
    eta = snap.get("next_threshold")
    if not eta:
        return {
            "text": _("%(label)s (%(value)s %(unit)s) : pas atteint d'après la tendance")
            % {"label": target["label"], "value": _number(target["value"]), "unit": unit_label(snap["unit"])},
            "soon": False,
        }
    at = datetime.fromisoformat(eta["at"])
    basis = _("prévision") if eta["basis"] == "forecast" else _("tendance")
    return {
        "text": _("%(label)s (%(value)s %(unit)s) dans %(in)s, vers %(at)s (%(basis)s)")
        % {
            "label": eta["label"],
            "value": _number(target["value"]),
            "unit": unit_label(snap["unit"]),
            "in": _duration(at - now),
            "at": timezone.localtime(at).strftime("%H:%M"),
            "basis": basis,
        },
        "soon": (at - now) <= timedelta(hours=6),
    }


def indicators(user: Any, communes: list[str], now: datetime, hazard: str = "") -> dict[str, Any]:
    """Those of the crisis communes first, then those of its hazard, then by level: value, level,
    trend and time to the next threshold; how many more were left off the screen."""
    if not has_perm(user, "monitoring.view_indicator"):
        return {"rows": [], "more": 0}
    out = []
    for indicator in monitoring.indicators_for_user(user):
        snap = monitoring.snapshot(indicator, now=now)
        out.append(
            {
                "key": snap["key"],
                "label": snap["label"],
                "value": _number(snap["value"]),
                "unit": unit_label(snap["unit"]),
                "level": snap["level"],
                "level_label": snap["level_label"],
                "colour": snap["colour"],
                "stale": snap["stale"],
                "age": _duration(timedelta(minutes=snap["age_minutes"] or 0)) if snap["at"] else None,
                "source": snap["source"],
                "trend": _trend(snap),
                "next": _next(snap, now),
                "here": snap["commune"] in communes,
                "hazard": snap["hazard"] == hazard,
            }
        )
    out.sort(key=lambda i: (not i["here"], not i["hazard"], -i["level"], i["label"]))
    return {"rows": out[:MAX_INDICATORS], "more": max(0, len(out) - MAX_INDICATORS)}


def journal(crisis: Crisis) -> list[dict[str, Any]]:
    rows = crisis_selectors.entries(crisis).order_by("-seq")[:MAX_ENTRIES]
    return [
        {
            "seq": e.seq,
            "at": e.scenario_at or e.occurred_at,
            "exercise_time": e.scenario_at is not None,
            "category": e.category,
            "category_label": e.get_category_display(),
            "source": e.get_source_display(),
            "text": Truncator(e.text).chars(ENTRY_CHARS),
        }
        for e in rows
    ]


def tasks(crisis: Crisis, now: datetime) -> dict[str, Any]:
    groups = crisis_selectors.open_tasks_by_owner(crisis, now=now)
    total = sum(len(g["tasks"]) for g in groups)
    overdue = sum(g["overdue"] for g in groups)
    shown = []
    for group in groups[:MAX_OWNERS]:
        shown.append(
            {
                **group,
                "shown": group["tasks"][:MAX_TASKS_PER_OWNER],
                "more": max(0, len(group["tasks"]) - MAX_TASKS_PER_OWNER),
            }
        )
    return {
        "groups": shown,
        "total": total,
        "overdue": overdue,
        "more_owners": max(0, len(groups) - MAX_OWNERS),
    }


def shelters(communes: list[str]) -> dict[str, Any]:
    rows = sorted(crisis_selectors.shelters(communes), key=lambda s: (not s.is_open, -s.occupancy, s.name))
    open_ = [s for s in rows if s.is_open]
    return {
        "rows": rows[:MAX_SHELTERS],
        "more": max(0, len(rows) - MAX_SHELTERS),
        "open": len(open_),
        "people": sum(s.occupancy for s in open_),
        "places": sum(s.capacity for s in open_),
    }


def alerts_in_force(user: Any, communes: list[str], crisis: Crisis | None) -> dict[str, Any] | None:
    if not has_perm(user, "alerts.view_alert"):
        return None
    rows = alerts.alerts_in_force(user, communes=communes, crisis_id=crisis.pk if crisis else None)
    return {"rows": rows[:MAX_ALERTS], "count": len(rows), "more": max(0, len(rows) - MAX_ALERTS)}


def failing_sources(user: Any, now: datetime) -> dict[str, Any] | None:
    if not has_perm(user, "sources.view_source"):
        return None
    failing = sources.failing_sources()
    rows = [{"name": s.title or s.name, "since": failing_for(sources.failing_since(s), now)} for s in failing]
    return {"rows": rows[:MAX_SOURCES], "count": len(rows), "more": max(0, len(rows) - MAX_SOURCES)}


def wall(user: Any, crisis: Crisis | None, *, parts: tuple[str, ...] = PARTS) -> dict[str, Any]:
    """The context of the wall (or of the parts asked), for a user allowed to see the crisis."""
    now = timezone.now()
    communes = list(crisis.communes) if crisis else [c.code for c in communes_for_user(user)]
    context: dict[str, Any] = {"crisis": crisis, "now": now, "communes": communes}
    if crisis is not None:
        context["communes_names"] = crisis_selectors.crisis_communes_names(crisis)
        context["since"] = _duration(now - crisis.opened_at)
    if "indicators" in parts:
        context["indicators"] = indicators(user, communes, now, crisis.hazard if crisis else "")
    if crisis is not None and "journal" in parts:
        context["entries"] = journal(crisis)
        context["head"] = crisis_selectors.chain_head(crisis)
    if crisis is not None and "tasks" in parts and has_perm(user, "crisis.view_task"):
        context["tasks"] = tasks(crisis, now)
    if "shelters" in parts and has_perm(user, "crisis.view_shelter"):
        context["shelters"] = shelters(communes)
    if "alerts" in parts:
        context["alerts"] = alerts_in_force(user, communes, crisis)
    if "sources" in parts:
        context["sources"] = failing_sources(user, now)
    return context
