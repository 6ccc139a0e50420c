"""ASGI entry point: Django behind the public/static file handler."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beffroi.settings")

from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from beffroi.asgi_files import wrap  # noqa: E402

django_application = get_asgi_application()
application = wrap(django_application, settings.STATIC_ROOT, settings.PUBLIC_ROOT)

# What the start loaded (Django, the apps, the catalogues, the settings) lives as long as the process:
# moved out of the garbage collector's generations, so that a full collection during a fan-out to
# thousands of live streams does not walk it again (bench/bench_monitoring.py's p99).
gc.freeze()
