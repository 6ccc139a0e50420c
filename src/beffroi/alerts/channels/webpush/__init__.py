"""Web push (RFC 8030/8291/8292) to browsers that subscribed on the public page.

A browser hands us its push service's endpoint URL, so whoever subscribes chooses where the server
will POST: the endpoint is accepted only over https, on the default port, on a known push service
(``settings.PUSH_SERVICE_HOSTS``, ``BEFFROI_PUSH_HOSTS``), and at every send its host's addresses go
through the connectors' SSRF guard (``sources.connectors.http.check_host``: public addresses only).
The request then goes to the address that was checked (TLS still verifies the push service's name),
redirects are never followed, the timeout is short, and a 404/410 answer ends the subscription
(``RecipientGone``). Payloads are encrypted with pywebpush (aes128gcm) and signed with VAPID
(py_vapid): ``BEFFROI_VAPID_PRIVATE_KEY`` (PEM file path, PEM or base64url key) and
``BEFFROI_VAPID_SUBJECT`` (``mailto:`` of the town).
"""

from __future__ import annotations

import base64
import json
import os
import time
from urllib.parse import SplitResult, urlsplit

import httpx
from django.conf import settings

from beffroi.alerts import render
from beffroi.alerts.channels import RecipientGone, TemporaryError
from beffroi.sources.connectors.errors import BlockedURL, NoNetwork
from beffroi.sources.connectors.http import check_host

TIMEOUT = httpx.Timeout(5.0, connect=3.0)
MAX_ENDPOINT = 500  # the Subscriber.address column


class EndpointRefused(ValueError):
    """The endpoint is not one of the allowed push services (message in English, for logs)."""


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


def configured() -> bool:
    return bool(settings.VAPID_PRIVATE_KEY)


def public_key() -> str:
    """The application server key browsers need to subscribe (base64url, uncompressed point)."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    vapid = _vapid()
    if vapid is None:
        return ""
    raw = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def host_allowed(host: str) -> bool:
    host = host.lower().rstrip(".")
    for pattern in settings.PUSH_SERVICE_HOSTS:
        pattern = pattern.strip().lower()
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif pattern and host == pattern:
            return True
    return False


def check_endpoint(url: str) -> SplitResult:
    """Refuse anything but https on the default port of an allowed push service."""
    if len(url) > MAX_ENDPOINT:
        raise EndpointRefused(f"endpoint longer than {MAX_ENDPOINT} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise EndpointRefused("not a URL") from None
    if parts.scheme != "https":
        raise EndpointRefused("only https endpoints are accepted")
    if parts.username or parts.password or "@" in parts.netloc:
        raise EndpointRefused("credentials in the endpoint")
    if port not in (None, 443):
        raise EndpointRefused("only the default https port is accepted")
    host = parts.hostname or ""
    if not host or not host_allowed(host):
        raise EndpointRefused(f"{host or '(no host)'} is not a known push service")
    return parts


def _client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False)


def _async_client(size: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    return httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False, limits=limits)


def _request(
    endpoint: str, keys: dict, payload: dict, *, ttl: int = 3600, urgency: str = "high"
) -> tuple[str, str, bytes, dict[str, str]]:
    """(push service host, checked URL, encrypted body, headers) of one push, after the guard.

    Blocking: the guard resolves the host, and the encryption and the VAPID signature cost CPU.
    """
    from pywebpush import WebPusher

    vapid = _vapid()
    if vapid is None:
        raise RuntimeError("web push not configured (BEFFROI_VAPID_PRIVATE_KEY)")
    try:
        parts = check_endpoint(endpoint)
    except EndpointRefused as exc:
        raise RuntimeError(f"push endpoint refused: {exc}") from None
    host = parts.hostname or ""
    try:
        addresses = check_host(host, 443, url=endpoint, hint="")
    except BlockedURL as exc:
        raise RuntimeError(f"push endpoint refused: {exc}") from None
    except NoNetwork as exc:
        raise TemporaryError(f"web push: {exc}") from None
    try:
        body = WebPusher({"endpoint": endpoint, "keys": keys}).encode(
            json.dumps(payload).encode(), "aes128gcm"
        )["body"]
    except Exception as exc:  # malformed browser keys: nothing to retry
        raise RuntimeError(f"push subscription keys unusable: {exc.__class__.__name__}") from None
    headers = vapid.sign(
        {"sub": settings.VAPID_SUBJECT, "aud": f"https://{host}", "exp": int(time.time()) + 12 * 3600}
    )
    headers.update(
        {
            "Host": host,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(ttl),
            "Urgency": urgency,
        }
    )
    # Connect to the address the guard checked, not to a second resolution of the name.
    address = addresses[0]
    target = f"https://{'[' + address + ']' if ':' in address else address}{parts.path or '/'}"
    if parts.query:
        target += f"?{parts.query}"
    return host, target, body, headers


def _answer(response: httpx.Response) -> str:
    status = response.status_code
    if status in (404, 410):
        raise RecipientGone(f"push subscription gone (HTTP {status})")
    if status == 429 or status >= 500:
        raise TemporaryError(f"web push HTTP {status}")
    if 300 <= status < 400:
        raise RuntimeError(f"push service answered a redirect (HTTP {status}), not followed")
    if status >= 400:
        raise RuntimeError(f"push service refused the message (HTTP {status}): {response.text[:200]}")
    return response.headers.get("location", "")[:200] or str(status)


def post(endpoint: str, keys: dict, payload: dict, *, ttl: int = 3600, urgency: str = "high") -> str:
    """Encrypt ``payload`` for the browser and POST it to its (checked) push service."""
    host, target, body, headers = _request(endpoint, keys, payload, ttl=ttl, urgency=urgency)
    try:
        with _client() as client:
            response = client.post(target, content=body, headers=headers, extensions={"sni_hostname": host})
    except httpx.HTTPError as exc:
        raise TemporaryError(f"web push: {exc.__class__.__name__}") from None
    return _answer(response)


def prepare(delivery) -> tuple[str, dict, dict]:
    keys = delivery.subscriber.push_keys if delivery.subscriber else {}
    return delivery.recipient, keys, render.push(delivery.version, delivery.language)


def send(delivery) -> str:
    return send_prepared(prepare(delivery))


def send_prepared(prepared: tuple[str, dict, dict]) -> str:
    endpoint, keys, payload = prepared
    return post(endpoint, keys, payload)


def transport_config() -> tuple:
    return (settings.VAPID_PRIVATE_KEY, tuple(settings.PUSH_SERVICE_HOSTS))


def transport() -> _Transport:
    from beffroi.alerts.channels import lane_settings

    return _Transport(lane_settings("webpush")[0])


class _Transport:
    """Concurrent pushes: the guard, the encryption and the signature on a thread, the POST on the
    push service's async client (its keep-alive connections carry push after push)."""

    def __init__(self, concurrency: int):
        from beffroi.alerts.sending import HostClients

        self.clients = HostClients(lambda: _async_client(concurrency))

    async def send(self, prepared: tuple[str, dict, dict]) -> str:
        import asyncio

        endpoint, keys, payload = prepared
        host, target, body, headers = await asyncio.to_thread(_request, endpoint, keys, payload)
        try:
            response = await self.clients.get(host).post(
                target, content=body, headers=headers, extensions={"sni_hostname": host}
            )
        except httpx.HTTPError as exc:
            raise TemporaryError(f"web push: {exc.__class__.__name__}") from None
        return _answer(response)

    async def aclose(self) -> None:
        await self.clients.aclose()
