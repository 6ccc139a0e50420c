"""Web push (VAPID, pywebpush) to browsers that subscribed on the public page.

Keys come from ``BEFFROI_VAPID_PRIVATE_KEY`` (PEM file path or base64url key) and
``BEFFROI_VAPID_SUBJECT`` (``mailto:`` of the town).
"""

from __future__ import annotations

import json
import os

from beffroi.alerts import render
from beffroi.alerts.channels import TemporaryError


def send(delivery) -> str:
    from pywebpush import WebPushException, webpush

    key = os.environ.get("BEFFROI_VAPID_PRIVATE_KEY")
    if not key:
        raise RuntimeError("web push not configured (BEFFROI_VAPID_PRIVATE_KEY)")
    keys = delivery.subscriber.push_keys if delivery.subscriber else {}
    try:
        response = webpush(
            subscription_info={"endpoint": delivery.recipient, "keys": keys},
            data=json.dumps(render.push(delivery.version, delivery.language)),
            vapid_private_key=key,
            vapid_claims={"sub": os.environ.get("BEFFROI_VAPID_SUBJECT", "mailto:mairie@beffroi.invalid")},
            timeout=10, ttl=3600,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in (404, 410):
            raise RuntimeError(f"push subscription gone (HTTP {status})") from None
        raise TemporaryError(f"web push: {exc}") from None
    return str(getattr(response, "status_code", ""))
