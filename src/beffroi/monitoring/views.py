"""The monitoring pages: the live dashboard (/veille/), its wall-screen mode, proposal decisions,
creating and editing indicators."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beffroi.core import live
from beffroi.core.errors import UserError
from beffroi.core.maps import map_config
from beffroi.core.permissions import has_perm, require
from beffroi.monitoring import actions, derived, selectors
from beffroi.monitoring.forms import IndicatorForm, NewIndicatorForm, level_formset, thresholds_from
from beffroi.monitoring.jsstrings import strings
from beffroi.monitoring.models import Indicator
from beffroi.territory.selectors import boundaries_feature_collection, communes_for_user

log = logging.getLogger(__name__)


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
            "layersUrl": reverse("monitoring:map_layers"),
            "boundaries": boundaries_feature_collection(communes_for_user(request.user)),
            **map_config(),
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


def map_layers(request: HttpRequest) -> JsonResponse:
    """Hazard zones (at the current value and the forecast peak) and facilities for the map,
    re-fetched when an observation arrives; empty layers for a user who may not see exposure."""
    require(request.user, "monitoring.view_indicator")
    return JsonResponse(selectors.map_layers(request.user))


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


def _show_problems(form, exc: UserError) -> None:
    """Put each problem the action located on a field of the form under that field; the others (levels
    out of order, for instance) above the form."""
    rest = []
    for problem in exc.problems:
        if problem.field in form.fields:
            form.add_error(problem.field, problem.message)
        else:
            rest.append(problem)
    if rest or not exc.problems:
        form.add_error(None, str(UserError(exc.message, rest)))


def _save_indicator(request: HttpRequest, form, levels, *, fixed: Callable[[dict], dict]) -> Indicator | None:
    """Save a valid indicator form and its levels through ``do_save_indicator``; ``None`` when the
    page must be shown again with its errors.

    ``fixed`` gives, from the form's data, what the creation and edit pages set differently (key,
    series, unit, commune…).
    """
    form_ok, levels_ok = form.is_valid(), levels.is_valid()  # both run, so both show their errors
    if not (form_ok and levels_ok):
        return None
    data = form.cleaned_data
    try:
        return actions.do_save_indicator(
            label=data["label"],
            source=data["source"],
            hazard=data["hazard"],
            direction=data["direction"],
            stale_after=timedelta(minutes=data["stale_minutes"]),
            public=data["public"],
            zones_dataset=data["zones_dataset"],
            forecast_series=data.get("forecast_series", ""),
            thresholds=thresholds_from(levels),
            actor=request.user,
            **fixed(data),
        )
    except UserError as exc:
        _show_problems(form, exc)
        return None


def _read_existing_values(request: HttpRequest, indicator: Indicator) -> None:
    """Evaluate a new indicator on the values Beffroi already holds for its series.

    Observations are stored only for a series an indicator follows, so a new indicator has none,
    except a derived one (``monitoring/derived.py``) whose values are already in Beffroi: they are
    read now rather than at the next 15-minute sync, so the dashboard shows its level at once. The
    indicator is saved by then; a failure here is reported, never a server error.
    """
    if not derived.is_derived(indicator.series):
        return
    try:
        derived.sync_indicator(indicator)
    except UserError as exc:  # a misconfigured series, reported as the periodic sync reports it
        reason = exc.message
    except Exception:  # a bug reading the data must not hide that the indicator was created
        log.exception("monitoring: could not read the values of new indicator %s", indicator.key)
        reason = _("erreur interne, consignée dans le journal")
    else:
        return
    messages.warning(
        request,
        _("Les valeurs de la série n'ont pas pu être lues (%(reason)s) ; la synchronisation réessaiera.")
        % {"reason": reason},
    )


def edit_indicator(request: HttpRequest, key: str) -> HttpResponse:
    """Change an indicator's presentation, staleness and threshold levels (levels in order, 1 first)."""
    indicator = selectors.get_indicator_for_user(request.user, key)
    if indicator is None:
        raise PermissionDenied("indicator")
    require(request.user, "monitoring.manage_indicator", indicator.commune)
    if request.method == "POST":
        form = IndicatorForm(request.POST)
        levels = level_formset(request.POST)
        saved = _save_indicator(
            request,
            form,
            levels,
            fixed=lambda data: {
                "key": indicator.key,
                "unit": indicator.unit,
                "series": indicator.series,
                "commune": indicator.commune,
            },
        )
        if saved is not None:
            messages.success(request, _("Indicateur enregistré : %(label)s") % {"label": saved.label})
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
                "forecast_series": indicator.forecast_series,
            }
        )
        levels = level_formset(initial=[t.as_dict() for t in indicator.thresholds.all()])
    return render(
        request,
        "monitoring/edit_indicator.html",
        {"indicator": indicator, "form": form, "levels": levels},
        status=400 if request.method == "POST" else 200,  # a POST shown again was refused
    )


def new_indicator(request: HttpRequest) -> HttpResponse:
    """Create an indicator in one of the user's communes, with its levels.

    The commune list holds only the user's communes, and ``do_save_indicator`` checks the permission
    in the chosen one again; ``create_only`` makes a key taken meanwhile an error, not an overwrite.
    """
    require(request.user, "monitoring.manage_indicator")
    communes = [(c.code, f"{c.name} ({c.code})") for c in communes_for_user(request.user)]
    if request.method == "POST":
        form = NewIndicatorForm(request.POST, communes=communes)
        levels = level_formset(request.POST)
        created = _save_indicator(
            request,
            form,
            levels,
            fixed=lambda data: {
                "key": data["key"] or selectors.free_indicator_key(data["label"]),
                "unit": data["unit"],
                "series": data["series"],
                "commune": data["commune"],
                "source_url": data["source_url"],
                "latitude": data["latitude"],
                "longitude": data["longitude"],
                "create_only": True,
            },
        )
        if created is not None:
            _read_existing_values(request, created)
            messages.success(request, _("Indicateur créé : %(label)s") % {"label": created.label})
            return redirect("monitoring:index")
    else:
        form = NewIndicatorForm(communes=communes)
        levels = level_formset()
    return render(
        request,
        "monitoring/new_indicator.html",
        {"form": form, "levels": levels, "known_series": selectors.unfollowed_series()},
        status=400 if request.method == "POST" else 200,  # a POST shown again was refused
    )
