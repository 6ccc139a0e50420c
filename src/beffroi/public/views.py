"""Dynamic public pages: subscribe (double opt-in), confirm, unsubscribe; the index fallback.

Everything else under /public/ is a static file written at publication. The subscription forms
are open to anyone, so they are rate-limited (django-ratelimit on Django's cache) per client IP,
per e-mail address or push endpoint, and per phone number, and answer 429 with a French message.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

from beffroi.alerts import actions
from beffroi.alerts.channels.webpush import public_key
from beffroi.alerts.subscriptions import channel_available, match_address, normalise_address
from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.core.mediatypes import public_content_type
from beffroi.core.request_context import current_origin
from beffroi.public.forms import SubscribeForm
from beffroi.territory.selectors import communes

# Visitors of the public site are anonymous: they act as this declared system actor.
CITIZEN = SystemActor("public")


def index(request: HttpRequest) -> HttpResponseBase:
    """/public/ when no front server serves index.html (development server, tests)."""
    path = Path(settings.PUBLIC_ROOT) / "index.html"
    if not path.is_file():
        from beffroi.public.site import build_site

        build_site()
    if not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "public, max-age=30"
    return response


def static_file(request: HttpRequest, path: str) -> HttpResponseBase:
    """Files of the public site when no front server serves them (development server, tests).

    Reads ``settings.PUBLIC_ROOT`` at each request (the root route binds it once at start-up).
    """
    from django.views.static import serve

    response = serve(request, path, document_root=str(settings.PUBLIC_ROOT), show_indexes=False)
    response["Content-Type"] = public_content_type(path)
    response["Cache-Control"] = "public, max-age=30"
    return response


# --- Rate limits ----------------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address as the request context read it (proxy-aware), else the socket's."""
    return current_origin().ip or request.META.get("REMOTE_ADDR") or "unknown"


def _over(request: HttpRequest, group: str, key: str, rate: str) -> bool:
    digest = hashlib.sha256(key.encode()).hexdigest()  # no address in clear in the cache
    return is_ratelimited(
        request, group=group, key=lambda _group, _request: digest, rate=rate, method=ALL, increment=True
    )


def _ip_over(request: HttpRequest) -> bool:
    return _over(request, "subscribe-ip", client_ip(request), settings.SUBSCRIBE_RATE_IP)


def _address_over(request: HttpRequest, channel: str, address: str) -> bool:
    if channel == "sms":
        return _over(request, "subscribe-phone", address, settings.SUBSCRIBE_RATE_PHONE)
    return _over(request, "subscribe-address", f"{channel}:{address}", settings.SUBSCRIBE_RATE_ADDRESS)


TOO_MANY = gettext_noop(
    "Trop de demandes d'abonnement depuis votre connexion ou pour cette adresse. Réessayez dans une heure."
)


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "public/message.html", {"message": _(TOO_MANY)}, status=429)
    response["Retry-After"] = "3600"
    return response


# --- Subscription pages ---------------------------------------------------------------------------


def _outcome(subscriber, channel: str) -> tuple[str, int]:
    """What to tell the citizen, honestly, about the confirmation message."""
    outcome = getattr(subscriber, "confirmation", "failed")
    if outcome == "recent":
        return _(
            "Un message de confirmation vous a été envoyé il y a moins de 10 minutes : ouvrez-le, "
            "ou réessayez plus tard."
        ), 200
    if outcome == "failed":
        return _(
            "Votre demande est enregistrée, mais le message de confirmation n'a pas pu être envoyé. "
            "Réessayez dans quelques minutes."
        ), 503
    sent_by = {"sms": _("par SMS"), "webpush": _("sur cet appareil")}.get(channel, _("par e-mail"))
    return _(
        "Presque fini : ouvrez le lien de confirmation que nous venons d'envoyer %(by)s. "
        "Rien ne change avant que vous l'ayez ouvert."
    ) % {"by": sent_by}, 200


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    territory = communes()
    form = SubscribeForm(request.POST or None, communes=territory, sms=channel_available("sms"))
    done, status = None, 200
    if request.method == "POST":
        if _ip_over(request):
            return _too_many(request)
        if form.is_valid():
            d = form.cleaned_data
            try:
                address = normalise_address(d["channel"], d["address"])
            except UserError as exc:
                form.add_error("address", exc.message)
                status = 400
            else:
                if _address_over(request, d["channel"], address):
                    return _too_many(request)
                done, status = _subscribe_form(form, d, address)
        else:
            status = 400
    return render(
        request,
        "public/subscribe.html",
        {"form": form, "done": done, "vapid": public_key(), "communes": territory},
        status=status,
    )


def _subscribe_form(form: SubscribeForm, d: dict, address: str) -> tuple[str | None, int]:
    points = []
    if d["street"]:
        matches = match_address(d["street"], d["commune"], limit=1)
        if matches:
            points = [[matches[0]["lon"], matches[0]["lat"], matches[0]["label"]]]
        else:
            form.add_error(
                "street", _("Adresse introuvable dans la commune : vous serez alerté pour toute la commune.")
            )
    try:
        subscriber = actions.do_subscribe(
            channel=d["channel"],
            address=address,
            language=d["language"],
            topics=d["topics"],
            commune=d["commune"],
            points=points,
            actor=CITIZEN,
        )
    except UserError as exc:
        form.add_error("address", exc.message)
        return None, 400
    return _outcome(subscriber, d["channel"])


@require_POST
def subscribe_push(request: HttpRequest) -> HttpResponse:
    """The browser's PushSubscription, sent by /public/push.js with the page's CSRF token."""

    def refuse(message: str, status: int = 400) -> JsonResponse:
        return JsonResponse({"ok": False, "message": message}, status=status)

    if _ip_over(request):
        return refuse(_(TOO_MANY), 429)
    if len(request.body) > 4096:
        return refuse(_("Abonnement du navigateur invalide."))
    try:
        data = json.loads(request.body)
        endpoint = str(data["subscription"]["endpoint"])
        keys = {k: str(v) for k, v in data["subscription"]["keys"].items() if k in ("p256dh", "auth")}
        commune = str(data.get("commune", ""))
        language = str(data.get("language", "fr"))[:5]
    except (ValueError, KeyError, TypeError, AttributeError):
        return refuse(_("Abonnement du navigateur invalide."))
    if commune not in {c.code for c in communes()}:
        return refuse(_("Commune inconnue."))
    try:
        endpoint = normalise_address("webpush", endpoint)
    except UserError as exc:
        return refuse(exc.message)
    if _address_over(request, "webpush", endpoint):
        return refuse(_(TOO_MANY), 429)
    try:
        subscriber = actions.do_subscribe(
            channel="webpush",
            address=endpoint,
            commune=commune,
            push_keys=keys,
            language=language,
            actor=CITIZEN,
        )
    except UserError as exc:
        return refuse(exc.message)
    message, status = _outcome(subscriber, "webpush")
    return JsonResponse({"ok": status == 200, "message": message}, status=status)


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        actions.do_confirm_subscription(token, actor=CITIZEN)
    except UserError as exc:
        return render(request, "public/message.html", {"message": exc.message}, status=400)
    return render(request, "public/message.html", {"message": _("Votre abonnement est confirmé. Merci.")})


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            actions.do_unsubscribe(token, actor=CITIZEN)
        except UserError as exc:
            return render(request, "public/message.html", {"message": exc.message}, status=400)
        return render(request, "public/message.html", {"message": _("Vous ne recevrez plus d'alertes.")})
    return render(request, "public/unsubscribe.html", {"token": token})
