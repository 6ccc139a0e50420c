"""Settings of the fault test's subprocesses: Beffroi's own, with the local SMS stand-in's base URL
(which only tests may change, and only in settings)."""

import os

from beffroi.settings import *  # noqa: F403

SMS_BREVO_BASE_URL = os.environ["BEFFROI_TEST_SMS_BASE"]
