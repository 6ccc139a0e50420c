import importlib

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from beffroi.accounts.views import language_view
from beffroi.api.urls import api
from beffroi.core.urls import private, public
from beffroi.web.views import healthz

# Every view needs a session (LoginRequiredMiddleware) except these: the citizen site, the health
# probe, the login steps, the language switch and the API (which checks its own tokens).
PUBLIC_APPS = {"public"}

# Each domain app with a ``urls.py`` is mounted under its French path; an app without one is skipped.
DOMAIN_PREFIXES = {
    "sources": "donnees/",
    "crossing": "croisements/",
    "monitoring": "veille/",
    "crisis": "crise/",
    "alerts": "alertes/",
    "registry": "registre/",
    "reports": "documents/",
    "public": "public/",
}


def public_if(condition: bool, urls):
    return public(urls) if condition else urls


def _domain_routes():
    routes = []
    for app, prefix in DOMAIN_PREFIXES.items():
        try:
            importlib.import_module(f"beffroi.{app}.urls")
        except ModuleNotFoundError as exc:
            if exc.name != f"beffroi.{app}.urls":
                raise
            continue
        routes.append(path(prefix, public_if(app in PUBLIC_APPS, include(f"beffroi.{app}.urls"))))
    return routes


urlpatterns = [
    public(path("healthz", healthz, name="healthz")),
    path("accounts/", include("beffroi.accounts.urls")),
    path("api/", public(api.urls)),
    path("admin/", private(admin.site.urls)),
    # The header's FR / EN switch (remembered on the staff profile); Django's set_language beside it.
    public(path("i18n/langue/", language_view, name="language")),
    path("i18n/", public(include("django.conf.urls.i18n"))),
    path("live/", include("beffroi.web.live_urls")),  # the SSE stream (public interface)
    *_domain_routes(),
    # The ASGI file handler serves /public/ files before Django in both modes (nginx in front in
    # server mode); this route keeps them reachable under the test server.
    public(path("public/<path:path>", serve, {"document_root": settings.PUBLIC_ROOT, "show_indexes": False})),
    path("", include("beffroi.web.urls")),
]

handler403 = "beffroi.web.views.permission_denied"
