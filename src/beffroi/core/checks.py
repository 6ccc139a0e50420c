"""Server mode refuses to start without what it needs (Django system checks).

Run by ``beffroi manage check --deploy`` and before ``beffroi serve`` / ``beffroi worker`` start
(core/cli.py). Each error names the variable to set, in plain words. The embedded mode needs none of
them: it writes mail to files, generates its registry key and serves on localhost.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.core.checks import Error, register


def _registry_key_problem(value: str) -> str | None:
    for part in value.split(","):
        part = part.strip()
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            return "is not urlsafe base64"
        if len(raw) != 32:
            return f"decodes to {len(raw)} bytes instead of 32"
    return None


@register("beffroi", deploy=True)
def server_mode_requirements(app_configs=None, **kwargs) -> list[Error]:
    if not settings.SERVER_MODE:
        return []
    errors = []
    if not settings.EMAIL_URL:
        errors.append(
            Error(
                "BEFFROI_EMAIL_URL is not set: Beffroi cannot send e-mail (alerts, confirmations, "
                "on-call notices).",
                hint="Set BEFFROI_EMAIL_URL, e.g. smtp://user:password@mail.example.fr:587?tls=1.",
                id="beffroi.E001",
            )
        )
    if not settings.REGISTRY_KEY:
        errors.append(
            Error(
                "BEFFROI_REGISTRY_KEY is not set: the vulnerable-people registry cannot be encrypted.",
                hint='Generate one with: python3 -c "import os,base64;'
                'print(base64.urlsafe_b64encode(os.urandom(32)).decode())"',
                id="beffroi.E002",
            )
        )
    elif problem := _registry_key_problem(settings.REGISTRY_KEY):
        errors.append(
            Error(
                f"BEFFROI_REGISTRY_KEY {problem}: each comma-separated key must be 32 random bytes in "
                "urlsafe base64.",
                id="beffroi.E003",
            )
        )
    if settings.PUBLIC_URL.rstrip("/") == settings.DEFAULT_PUBLIC_URL:
        errors.append(
            Error(
                f"BEFFROI_PUBLIC_URL is not set (or left at {settings.DEFAULT_PUBLIC_URL}): alert links, "
                "CAP files and feeds would point at a local address.",
                hint="Set BEFFROI_PUBLIC_URL to the public address of the site, e.g. https://alerte.example.fr.",
                id="beffroi.E004",
            )
        )
    if settings.SMS_SUBSCRIPTIONS and not settings.SMS_URL:
        errors.append(
            Error(
                "BEFFROI_SMS_URL is not set although the public form offers SMS subscriptions: "
                "SMS alerts could not be sent.",
                hint="Set BEFFROI_SMS_URL to the SMS gateway, or BEFFROI_SMS_SUBSCRIPTIONS=false to "
                "offer e-mail and notifications only.",
                id="beffroi.E005",
            )
        )
    return errors
