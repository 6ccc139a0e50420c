"""The JSON API. Each domain's routes live in ``beffroi/api/routes/<domain>.py`` with a ``router``
(and optional ``PREFIX``); they are found here so domains add routes without touching this file.
"""

from __future__ import annotations

import importlib
import pkgutil

from ninja import NinjaAPI

from beffroi import __version__
from beffroi.api import routes
from beffroi.api.auth import default_auth
from beffroi.api.errors import install
from beffroi.api.parser import StoredTextParser

api = NinjaAPI(
    title="Beffroi API",
    version=__version__,
    auth=default_auth(),
    urls_namespace="api",
    parser=StoredTextParser(),
)


install(api)

for module_info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
    module = importlib.import_module(f"{routes.__name__}.{module_info.name}")
    api.add_router(getattr(module, "PREFIX", f"/{module_info.name}/"), module.router)
