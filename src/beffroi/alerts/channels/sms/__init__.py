"""SMS through a generic HTTP gateway (JSON POST, OVHcloud-style) or an apprise URL.

``BEFFROI_SMS_URL``: ``http(s)://…`` is a JSON gateway receiving
``{"receivers": [phone], "message": text, "sender": name, "idempotencyKey": key}`` with an
``Idempotency-Key`` header; any other scheme is handed to apprise (``ovh://``, ``twilio://``…).
"""

from __future__ import annotations

import httpx
from django.conf import settings

from beffroi.alerts import render
from beffroi.alerts.channels import TemporaryError

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_client: httpx.Client | None = None


def gateway_url() -> str:
    return settings.SMS_URL or ""


def send_text(phone: str, text: str, *, key: str) -> str:
    global _client
    url = gateway_url()
    if not url:
        raise RuntimeError("no SMS gateway configured (BEFFROI_SMS_URL)")
    if url.startswith(("http://", "https://")):
        if _client is None:
            _client = httpx.Client(timeout=TIMEOUT)
        try:
            response = _client.post(
                url,
                json={
                    "receivers": [phone],
                    "message": text,
                    "sender": settings.SMS_SENDER,
                    "idempotencyKey": key,
                },
                headers={"Idempotency-Key": key},
            )
        except httpx.HTTPError as exc:
            raise TemporaryError(f"SMS gateway: {exc.__class__.__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise TemporaryError(f"SMS gateway HTTP {response.status_code}")
        if response.status_code >= 400:
            raise RuntimeError(f"SMS gateway HTTP {response.status_code}: {response.text[:200]}")
        try:
            return str(response.json().get("id") or response.json().get("ids") or key)
        except ValueError:
            return key
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(url.replace("{phone}", phone.lstrip("+"))):
        raise RuntimeError("BEFFROI_SMS_URL is not a valid apprise URL")
    if not notifier.notify(body=text):
        raise TemporaryError("apprise SMS notification failed")
    return key


def send(delivery) -> str:
    return send_text(
        delivery.recipient,
        render.sms(delivery.version, delivery.language, delivery.subscriber),
        key=delivery.idempotency_key,
    )
