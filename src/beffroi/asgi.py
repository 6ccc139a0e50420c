"""ASGI entry point: Django behind the public/static file handler."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beffroi.settings")

from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from beffroi.asgi_files import wrap  # noqa: E402

django_application = get_asgi_application()
application = wrap(django_application, settings.STATIC_ROOT, settings.PUBLIC_ROOT)
