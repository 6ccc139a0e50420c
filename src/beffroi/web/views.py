"""The home dashboard, the audit log page and the health probe."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from beffroi import __version__
from beffroi.accounts.roles import explain_refusal, is_permission_name
from beffroi.core.maps import map_config
from beffroi.core.permissions import require
from beffroi.core.selectors import audit_events
from beffroi.crisis.selectors import get_crisis_for_user
from beffroi.territory.selectors import boundaries_feature_collection, communes_for_user
from beffroi.web import wall as wall_data
from beffroi.web.situation import situation_for

log = logging.getLogger(__name__)


def dashboard(request: HttpRequest) -> HttpResponse:
    require(request.user, "territory.view_commune")
    communes = communes_for_user(request.user)
    context = {
        "communes": communes,
        "total_population": sum(c.population or 0 for c in communes),
        "boundaries": boundaries_feature_collection(communes),
        "map_config": map_config(),
        "situation": situation_for(request.user),
    }
    return render(request, "web/dashboard.html", context)


def wall(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The wall screen; ``?part=<name>`` answers one part (what the page re-fetches on an event)."""
    require(request.user, "crisis.view_crisis")
    crisis = (
        get_crisis_for_user(request.user, pk) if pk is not None else wall_data.followed_crisis(request.user)
    )
    part = request.GET.get("part")
    if part is not None and part not in wall_data.PARTS:
        return HttpResponse(
            _("Partie inconnue « %(part)s » (parties : %(parts)s).")
            % {"part": part, "parts": ", ".join(wall_data.PARTS)},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    parts = (part,) if part else wall_data.PARTS
    context = wall_data.wall(request.user, crisis, parts=parts)
    # Parts re-read the crisis shown; a wall without a number re-reads what it follows when a
    # crisis opens or closes (``follow_url``).
    context["part_url"] = reverse("web:wall_crisis", args=[crisis.pk]) if crisis else reverse("web:wall")
    context["follow_url"] = reverse("web:wall") if pk is None else ""
    context["wall_strings"] = {
        "live": _("En direct"),
        "lostShort": _("Connexion perdue"),
        "lost": _("Connexion perdue depuis %(since)s : l'écran n'est plus à jour. Reconnexion en cours…"),
    }
    template = f"web/wall.html#{part}" if part else "web/wall.html"
    return render(request, template, context)


def audit_log(request: HttpRequest) -> HttpResponse:
    require(request.user, "core.view_audit")
    page = Paginator(audit_events(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "web/audit.html", {"page": page})


def _queue_state() -> tuple[bool, str]:
    if not settings.REDIS_URL:
        return True, "sqlite"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
        return True, "redis"
    except redis.RedisError as exc:
        return False, f"redis: {exc.__class__.__name__}"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    body: dict[str, object] = {"status": "ok", "database": settings.DATABASE_VENDOR, "version": __version__}
    failing = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means the database is not usable
        log.warning("healthz: the database %s does not answer", settings.DATABASE_VENDOR, exc_info=True)
        failing["database"] = exc.__class__.__name__
    queue_ok, queue = _queue_state()
    body["queue"] = queue
    if not queue_ok:
        failing["queue"] = queue
    if failing:
        body.update(status="error", failing=failing)
        return JsonResponse(body, status=503)
    return JsonResponse(body)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page: what was refused, why, and which roles may do it (``handler403``)."""
    perm = str(exception.args[0]) if exception is not None and exception.args else ""
    refusal = explain_refusal(request.user, perm) if is_permission_name(perm) else None
    # "otp": the role allows it, but the session was opened without the second factor.
    return render(request, "403.html", {"refusal": refusal, "needs_second_factor": perm == "otp"}, status=403)
