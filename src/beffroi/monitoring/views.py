"""The monitoring pages: the live dashboard (/veille/), its wall-screen mode, proposal decisions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beffroi.core import live
from beffroi.core.errors import UserError
from beffroi.core.permissions import has_perm, require
from beffroi.monitoring import actions, selectors
from beffroi.monitoring.jsstrings import strings
from beffroi.territory.selectors import boundaries_feature_collection, communes_for_user


def _context(request: HttpRequest, *, wall: bool) -> dict:
    require(request.user, "monitoring.view_indicator")
    data = selectors.dashboard(request.user)
    return {
        "wall": wall,
        "indicators": data["indicators"],
        "proposals": selectors.proposals_for_user(request.user, limit=30),
        "can_decide": has_perm(request.user, "monitoring.decide_proposal"),
        "can_manage": has_perm(request.user, "monitoring.manage_indicator"),
        "freshness": selectors.freshness(request.user),
        "veille_data": data,
        "veille_config": {
            "liveUrl": reverse("live:stream") + "?topics=monitoring,crisis",
            "lastEventId": live.last_id(),
            "apiIndicators": "/api/indicators",
            "proposalsUrl": reverse("monitoring:proposals"),
            "crisisUrl": reverse("monitoring:crisis_layer"),
            "crisisLayer": selectors.crisis_layer(request.user),
            "boundaries": boundaries_feature_collection(communes_for_user(request.user)),
            "tileUrl": settings.MAP_TILE_URL,
            "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
            "wall": wall,
            "rotateSeconds": 15,
            "strings": strings(),
        },
    }


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "monitoring/index.html", _context(request, wall=False))


def wall(request: HttpRequest) -> HttpResponse:
    return render(request, "monitoring/index.html", _context(request, wall=True))


def proposals(request: HttpRequest) -> HttpResponse:
    """The proposals list fragment, re-fetched by the dashboard when a proposal event arrives."""
    require(request.user, "monitoring.view_indicator")
    return render(
        request,
        "monitoring/_proposals.html",
        {
            "proposals": selectors.proposals_for_user(request.user, limit=30),
            "can_decide": has_perm(request.user, "monitoring.decide_proposal"),
        },
    )


def crisis_layer(request: HttpRequest) -> JsonResponse:
    """The crisis cell's located entries and shelters, re-fetched when a crisis event arrives."""
    require(request.user, "monitoring.view_indicator")
    return JsonResponse(selectors.crisis_layer(request.user))


@require_POST
def decide(request: HttpRequest, proposal_id: int, decision: str) -> HttpResponse:
    proposal = selectors.get_proposal_for_user(request.user, proposal_id)
    if proposal is None:
        raise PermissionDenied("proposal")
    note = request.POST.get("note", "")[:2000]
    try:
        if decision == "accept":
            actions.do_accept_proposal(
                proposal, note=note, exercise=request.POST.get("exercise") == "1", actor=request.user
            )
            messages.success(request, _("Proposition acceptée : %(title)s") % {"title": proposal.title})
        else:
            actions.do_dismiss_proposal(proposal, note=note, actor=request.user)
            messages.success(request, _("Proposition écartée : %(title)s") % {"title": proposal.title})
    except UserError as exc:
        messages.error(request, str(exc))
    back = request.POST.get("next") or ""
    return redirect(back if back in ("/veille/", "/veille/mur/") else "monitoring:index")


def edit_indicator(request: HttpRequest, key: str) -> HttpResponse:
    """Change an indicator's presentation, staleness and threshold levels (levels in order, 1 first)."""
    from datetime import timedelta

    from beffroi.monitoring.forms import MAX_LEVELS, IndicatorForm, ThresholdFormSet

    indicator = selectors.get_indicator_for_user(request.user, key)
    if indicator is None:
        raise PermissionDenied("indicator")
    require(request.user, "monitoring.manage_indicator", indicator.commune)
    existing = list(indicator.thresholds.all())
    initial_levels = [t.as_dict() for t in existing]
    initial_levels += [{} for _ in range(MAX_LEVELS - len(initial_levels))]
    if request.method == "POST":
        form = IndicatorForm(request.POST)
        levels = ThresholdFormSet(request.POST, prefix="levels")
        if form.is_valid() and levels.is_valid():
            rows = [f.cleaned_data for f in levels.forms if f.cleaned_data.get("value") is not None]
            thresholds = [
                {
                    "level": i + 1,
                    "name": r.get("name") or f"niveau-{i + 1}",
                    "label": r["label"],
                    "value": r["value"],
                    "colour": r.get("colour") or "#f2c200",
                    "hysteresis": r.get("hysteresis") or 0,
                    "min_duration": timedelta(minutes=r.get("min_minutes") or 0),
                }
                for i, r in enumerate(rows)
            ]
            data = form.cleaned_data
            try:
                actions.do_save_indicator(
                    key=indicator.key,
                    label=data["label"],
                    unit=indicator.unit,
                    source=data["source"],
                    series=indicator.series,
                    commune=indicator.commune,
                    hazard=data["hazard"],
                    direction=data["direction"],
                    stale_after=timedelta(minutes=data["stale_minutes"]),
                    public=data["public"],
                    zones_dataset=data["zones_dataset"],
                    thresholds=thresholds,
                    actor=request.user,
                )
            except UserError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Indicateur enregistré : %(label)s") % {"label": data["label"]})
                return redirect("monitoring:index")
    else:
        form = IndicatorForm(
            initial={
                "label": indicator.label,
                "source": indicator.source,
                "hazard": indicator.hazard,
                "direction": indicator.direction,
                "stale_minutes": int(indicator.stale_after.total_seconds() // 60),
                "public": indicator.public,
                "zones_dataset": indicator.zones_dataset,
            }
        )
        levels = ThresholdFormSet(initial=initial_levels, prefix="levels")
    return render(
        request, "monitoring/edit_indicator.html", {"indicator": indicator, "form": form, "levels": levels}
    )
