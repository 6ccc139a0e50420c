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
    return redirect(
        request.POST.get("next")
        if request.POST.get("next") in ("/veille/", "/veille/mur/")
        else "monitoring:index"
    )
