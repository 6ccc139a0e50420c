"""Settings of the test suite: Beffroi's settings, with what tests need instead of services.

pytest-django loads this module (pyproject.toml). Subprocesses started by tests run the real
settings (``DJANGO_SETTINGS_MODULE=beffroi.settings``), as a deployment would.
"""

import os

from beffroi.settings import *  # noqa: F403
from beffroi.settings import DATA_DIR, DATABASES, HUEY

# Tasks run at once, in the caller's transaction-less thread, so a test sees their effect.
HUEY = {**HUEY, "immediate": True}

# Sent mail stays in django.core.mail.outbox; none leaves the machine.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Each test closes its connections; no persistent connection outlives the test database.
DATABASES = {"default": {**DATABASES["default"], "CONN_MAX_AGE": 0}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file rather than the shared-cache in-memory database: concurrent writers (threads of the
    # crisis log tests) then queue on SQLite's busy timeout, as in production, instead of failing at
    # once with "table is locked". One file per run, so two runs in one tree do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}

# Browsers driven by the tests load nothing from the Internet: no background tiles (a test that
# needs them serves its own on 127.0.0.1, and Chromium resolves no other host).
MAP_TILE_URL = ""
MAP_TILE_ATTRIBUTION = ""
