"""Dynamic public pages: subscribe (double opt-in), confirm, unsubscribe; the index fallback.

Everything else under /public/ is a static file written at publication.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from beffroi.alerts import actions
from beffroi.alerts.subscriptions import match_address
from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
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

    from beffroi.core.mediatypes import public_content_type

    response = serve(request, path, document_root=str(settings.PUBLIC_ROOT), show_indexes=False)
    response["Content-Type"] = public_content_type(path)
    response["Cache-Control"] = "public, max-age=30"
    return response


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    from beffroi.alerts.channels.webpush import public_key

    form = SubscribeForm(request.POST or None, communes=communes())
    done = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        points = []
        if d["street"]:
            matches = match_address(d["street"], d["commune"], limit=1)
            if matches:
                points = [[matches[0]["lon"], matches[0]["lat"], matches[0]["label"]]]
            else:
                form.add_error(
                    "street", "Adresse introuvable dans la commune : vous serez alerté pour toute la commune."
                )
        try:
            actions.do_subscribe(
                channel=d["channel"],
                address=d["address"],
                language=d["language"],
                topics=d["topics"],
                commune=d["commune"],
                points=points,
                actor=CITIZEN,
            )
        except UserError as exc:
            form.add_error("address", exc.message)
        else:
            done = d["channel"]
    return render(
        request,
        "public/subscribe.html",
        {"form": form, "done": done, "vapid": public_key(), "communes": communes()},
    )


@csrf_exempt  # called by the static site's script; the browser's permission prompt is the opt-in
@require_POST
def subscribe_push(request: HttpRequest) -> HttpResponse:
    import json

    from django.http import JsonResponse

    try:
        data = json.loads(request.body)
        endpoint = str(data["subscription"]["endpoint"])
        keys = {k: str(v) for k, v in data["subscription"]["keys"].items() if k in ("p256dh", "auth")}
        commune = str(data.get("commune", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return JsonResponse({"error": "invalid subscription"}, status=400)
    if commune not in {c.code for c in communes()} or set(keys) != {"p256dh", "auth"}:
        return JsonResponse({"error": "invalid subscription"}, status=400)
    try:
        subscriber = actions.do_subscribe(
            channel="webpush",
            address=endpoint,
            commune=commune,
            push_keys=keys,
            language=str(data.get("language", "fr"))[:5],
            actor=CITIZEN,
        )
        actions.do_confirm_subscription(actions.confirmation_token(subscriber), actor=CITIZEN)
    except UserError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse({"ok": True, "unsubscribe": f"/public/abonnement/desinscription/{subscriber.token}/"})


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        actions.do_confirm_subscription(token, actor=CITIZEN)
    except UserError as exc:
        return render(request, "public/message.html", {"message": exc.message}, status=400)
    return render(request, "public/message.html", {"message": "Votre abonnement est confirmé. Merci."})


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            actions.do_unsubscribe(token, actor=CITIZEN)
        except UserError as exc:
            return render(request, "public/message.html", {"message": exc.message}, status=400)
        return render(request, "public/message.html", {"message": "Vous ne recevrez plus d'alertes."})
    return render(request, "public/unsubscribe.html", {"token": token})
