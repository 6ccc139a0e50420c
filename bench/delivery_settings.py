"""Settings of the delivery bench's subprocesses: Beffroi's own, with the local SMS gateway's base URL
(a setting only benches and tests change; no environment variable reaches it in production)."""

import os

from beffroi.settings import *  # noqa: F403

SMS_BREVO_BASE_URL = os.environ["BENCH_SMS_BASE"]
