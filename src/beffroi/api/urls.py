"""The JSON API. Each domain's routes live in ``beffroi/api/routes/<domain>.py`` with a ``router``
(and optional ``PREFIX``); they are found here so domains add routes without touching this file.
"""

from __future__ import annotations

import importlib
import pkgutil

from django.core.exceptions import PermissionDenied
from ninja import NinjaAPI

from beffroi import __version__
from beffroi.api import routes
from beffroi.api.auth import default_auth
from beffroi.core.errors import UserError

api = NinjaAPI(title="Beffroi API", version=__version__, auth=default_auth(), urls_namespace="api")


@api.exception_handler(UserError)
def _user_error(request, exc: UserError):
    return api.create_response(
        request,
        {"detail": exc.message, "problems": [str(p) for p in exc.problems]},
        status=getattr(exc, "http_status", 400),  # e.g. 503 for a registry key that does not match
    )


@api.exception_handler(PermissionDenied)
def _denied(request, exc):
    return api.create_response(request, {"detail": "permission denied"}, status=403)


for module_info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
    module = importlib.import_module(f"{routes.__name__}.{module_info.name}")
    api.add_router(getattr(module, "PREFIX", f"/{module_info.name}/"), module.router)
