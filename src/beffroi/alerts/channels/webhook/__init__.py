"""Signed webhooks for partners (display panels, the town's app): HMAC-SHA256 of the body."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from beffroi.alerts import render
from beffroi.alerts.channels import TemporaryError


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(version) -> dict:
    return {
        "identifier": version.identifier,
        "incident": version.alert.incident_id,
        "msgType": version.msg_type,
        "status": version.alert.status,
        "severity": version.severity,
        "urgency": version.urgency,
        "onset": version.onset.isoformat(),
        "expires": version.expires.isoformat(),
        "texts": {
            lang: {
                "headline": render.headline(version, lang),
                **{k: version.text(lang).get(k, "") for k in ("description", "instruction")},
            }
            for lang in version.languages
        },
        "page": render.alert_page_url(version.alert),
        "cap": render.public_url(f"cap/{version.identifier}.xml"),
    }


def send(delivery) -> str:
    body = json.dumps(payload(delivery.version), ensure_ascii=False, sort_keys=True).encode()
    secret = (delivery.subscriber.push_keys or {}).get("secret", "") if delivery.subscriber else ""
    headers = {
        "Content-Type": "application/json",
        "X-Beffroi-Signature": signature(secret, body),
        "Idempotency-Key": delivery.idempotency_key,
    }
    try:
        response = httpx.post(delivery.recipient, content=body, headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        raise TemporaryError(f"webhook: {exc.__class__.__name__}") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise TemporaryError(f"webhook HTTP {response.status_code}")
    if response.status_code >= 400:
        raise RuntimeError(f"webhook HTTP {response.status_code}")
    return str(response.status_code)
