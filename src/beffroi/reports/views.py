"""Printable documents: PCS kit, RETEX, main courante (HTML and PDF)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from beffroi.core.audit import record
from beffroi.core.permissions import require
from beffroi.crisis import selectors as crisis_selectors
from beffroi.registry import access as registry_access
from beffroi.registry import selectors as registry_selectors
from beffroi.reports import builders
from beffroi.reports.pdf import render_pdf
from beffroi.reports.visit_routes import render_route_html, render_route_pdf
from beffroi.territory.selectors import communes_for_user


def _pdf(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def index(request: HttpRequest) -> HttpResponse:
    require(request.user, "crisis.view_crisis")
    return render(
        request, "reports/index.html", {"crises": crisis_selectors.crises_for_user(request.user)[:50]}
    )


def pcs_html(request: HttpRequest) -> HttpResponse:
    require(request.user, "crisis.view_reflexsheet")
    return render(request, "reports/pcs.html", builders.pcs(communes_for_user(request.user)))


def pcs_pdf(request: HttpRequest) -> HttpResponse:
    require(request.user, "crisis.view_reflexsheet")
    context = builders.pcs(communes_for_user(request.user))
    record(request.user, "reports.pcs.print", detail={"version": context["version"]})
    return _pdf(render_pdf("reports/pcs.html", context, request), f"pcs-{context['version']}.pdf")


def retex(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = crisis_selectors.get_crisis_for_user(request.user, pk)
    return render(request, "reports/retex.html", builders.retex(crisis))


def retex_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = crisis_selectors.get_crisis_for_user(request.user, pk)
    record(request.user, "reports.retex.print", crisis)
    return _pdf(render_pdf("reports/retex.html", builders.retex(crisis), request), f"retex-{crisis.pk}.pdf")


def log_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = crisis_selectors.get_crisis_for_user(request.user, pk)
    record(request.user, "reports.log.print", crisis)
    return _pdf(
        render_pdf("reports/log.html", builders.log(crisis), request), f"main-courante-{crisis.pk}.pdf"
    )


@never_cache
def route_print(request: HttpRequest, pk: int, route: int) -> HttpResponse:
    """A visit round as an A4 sheet; the stops come from the registry's gatekeeper (a logged read).

    Never printed without saying who is missing: the visits of the campaign on no route (address not
    located, or located after the routes were computed) are named on the sheet, or their absence said."""
    campaign, visit_route = registry_selectors.campaign_route(pk, route)
    stops = registry_access.visit_stops(
        request.user, campaign, route=visit_route, reason=_("impression d'une tournée")
    )
    missing = registry_access.missing_from_routes(
        request.user, campaign, reason=_("impression d'une tournée : visites hors tournée")
    )
    if request.GET.get("format") == "html":
        return HttpResponse(render_route_html(campaign, visit_route, stops, missing))
    response = HttpResponse(
        render_route_pdf(campaign, visit_route, stops, missing), content_type="application/pdf"
    )
    response["Content-Disposition"] = (
        f'inline; filename="tournee-{campaign.pk}-equipe-{visit_route.team}.pdf"'
    )
    return response
