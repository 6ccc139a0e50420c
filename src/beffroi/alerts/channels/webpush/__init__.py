"""Web push (VAPID, pywebpush) to browsers that subscribed on the public page.

Keys come from ``BEFFROI_VAPID_PRIVATE_KEY`` (PEM file path or base64url key) and
``BEFFROI_VAPID_SUBJECT`` (``mailto:`` of the town).
"""

from __future__ import annotations

import json
import os

from django.conf import settings

from beffroi.alerts import render
from beffroi.alerts.channels import TemporaryError


def _vapid():
    from py_vapid import Vapid

    key = settings.VAPID_PRIVATE_KEY
    if not key:
        return None
    if os.path.isfile(key):
        return Vapid.from_file(key)
    if key.lstrip().startswith("-----BEGIN"):
        return Vapid.from_pem(key.encode())
    return Vapid.from_string(key)


def public_key() -> str:
    """The application server key browsers need to subscribe (base64url, uncompressed point)."""
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    vapid = _vapid()
    if vapid is None:
        return ""
    raw = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def send(delivery) -> str:
    from pywebpush import WebPushException, webpush

    key = _vapid()
    if key is None:
        raise RuntimeError("web push not configured (BEFFROI_VAPID_PRIVATE_KEY)")
    keys = delivery.subscriber.push_keys if delivery.subscriber else {}
    try:
        response = webpush(
            subscription_info={"endpoint": delivery.recipient, "keys": keys},
            data=json.dumps(render.push(delivery.version, delivery.language)),
            vapid_private_key=key,
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            timeout=10,
            ttl=3600,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in (404, 410):
            raise RuntimeError(f"push subscription gone (HTTP {status})") from None
        raise TemporaryError(f"web push: {exc}") from None
    return str(getattr(response, "status_code", ""))
