from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from beffroi.api.urls import api
from beffroi.web.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("beffroi.accounts.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # The ASGI file handler serves /public/ before Django in both modes (nginx in front in server
    # mode); this route keeps the pages reachable under the test server and manage.py runserver.
    path("public/<path:path>", serve, {"document_root": settings.PUBLIC_ROOT, "show_indexes": False}),
    path("", include("beffroi.web.urls")),
]
