"""Signed webhooks for partners (display panels, the town's app): HMAC-SHA256 of the body.

The partner chooses the URL the server POSTs to, so it passes the connectors' SSRF guard
(``sources.connectors.http.check_host``: every address of the host must be public) at every send,
and the request goes to the address that was checked (TLS still verifies the partner's name), never
to a second resolution. Redirects are not followed (a 3xx is a permanent failure), the timeout is
short. The outbox sends them on one ``httpx.AsyncClient`` per partner host (``alerts/sending.py``,
``HostClients``), ``BEFFROI_WEBHOOK_CONCURRENCY`` requests at once; the guard's resolution (blocking)
runs on a thread right before each POST. A partner on the town's own network is listed in
``settings.WEBHOOK_ALLOW_HOSTS`` (``BEFFROI_WEBHOOK_ALLOW_HOSTS``, ``host`` or ``host:port``): the
operator vouches for it, the address rule is skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from beffroi.alerts import render
from beffroi.alerts.channels import TemporaryError
from beffroi.sources.connectors.errors import BlockedURL, NoNetwork
from beffroi.sources.connectors.http import check_host

TIMEOUT = httpx.Timeout(5.0, connect=3.0)


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


def _client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False)


def _async_client(size: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    return httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False, limits=limits)


def _allowed(host: str, port: int) -> bool:
    allowed = {h.strip().lower() for h in settings.WEBHOOK_ALLOW_HOSTS if h.strip()}
    return host in allowed or f"{host}:{port}" in allowed


def target(url: str) -> tuple[str, dict[str, str], dict]:
    """(URL to connect to, extra headers, request extensions) for a partner's URL, after the guard.

    Raises ``RuntimeError`` for a refused URL (not retried) and ``TemporaryError`` when the name does
    not resolve now.
    """
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RuntimeError("webhook URL refused: not a URL") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise RuntimeError("webhook URL refused: only http(s) URLs with a host")
    if parts.username or parts.password:
        raise RuntimeError("webhook URL refused: credentials in the URL")
    if _allowed(host, port):
        return url, {}, {}
    if parts.scheme != "https":
        raise RuntimeError("webhook URL refused: https required outside BEFFROI_WEBHOOK_ALLOW_HOSTS")
    try:
        addresses = check_host(host, port, url=url, hint=" (BEFFROI_WEBHOOK_ALLOW_HOSTS lists exceptions)")
    except BlockedURL as exc:
        raise RuntimeError(f"webhook URL refused: {exc}") from None
    except NoNetwork as exc:
        raise TemporaryError(f"webhook: {exc}") from None
    address = addresses[0]
    netloc = ("[" + address + "]" if ":" in address else address) + (f":{parts.port}" if parts.port else "")
    checked = f"https://{netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
    host_header = host + (f":{parts.port}" if parts.port else "")
    return checked, {"Host": host_header}, {"sni_hostname": host}


def prepare(delivery) -> tuple[str, bytes, dict[str, str]]:
    """(partner URL, signed body, headers); the URL is checked by the guard at the send itself."""
    body = json.dumps(payload(delivery.version), ensure_ascii=False, sort_keys=True).encode()
    secret = (delivery.subscriber.push_keys or {}).get("secret", "") if delivery.subscriber else ""
    headers = {
        "Content-Type": "application/json",
        "X-Beffroi-Signature": signature(secret, body),
        "Idempotency-Key": delivery.idempotency_key,
    }
    return delivery.recipient, body, headers


def send(delivery) -> str:
    return send_prepared(prepare(delivery))


def transport_config() -> tuple:
    return (tuple(settings.WEBHOOK_ALLOW_HOSTS),)


def transport() -> _Transport:
    from beffroi.alerts.channels import lane_settings

    return _Transport(lane_settings("webhook")[0])


class _Transport:
    """Concurrent webhooks: the guard on a thread, the POST on the partner host's async client."""

    def __init__(self, concurrency: int):
        from beffroi.alerts.sending import HostClients

        self.clients = HostClients(lambda: _async_client(concurrency))

    async def send(self, prepared: tuple[str, bytes, dict[str, str]]) -> str:
        import asyncio

        recipient, body, signed = prepared
        url, extra, extensions = await asyncio.to_thread(target, recipient)
        parts = urlsplit(recipient)
        client = self.clients.get((parts.scheme, (parts.hostname or "").lower(), parts.port))
        try:
            headers = {**signed, **extra}
            response = await client.post(url, content=body, headers=headers, extensions=extensions)
        except httpx.HTTPError as exc:
            raise TemporaryError(f"webhook: {exc.__class__.__name__}") from None
        return _answer(response)

    async def aclose(self) -> None:
        await self.clients.aclose()


def send_prepared(prepared: tuple[str, bytes, dict[str, str]]) -> str:
    recipient, body, signed = prepared
    url, extra, extensions = target(recipient)
    headers = {**signed, **extra}
    try:
        with _client() as client:
            response = client.post(url, content=body, headers=headers, extensions=extensions)
    except httpx.HTTPError as exc:
        raise TemporaryError(f"webhook: {exc.__class__.__name__}") from None
    return _answer(response)


def _answer(response: httpx.Response) -> str:
    status = response.status_code
    if 300 <= status < 400:
        raise RuntimeError(f"webhook answered a redirect (HTTP {status}), not followed")
    if status == 429 or status >= 500:
        raise TemporaryError(f"webhook HTTP {status}")
    if status >= 400:
        raise RuntimeError(f"webhook HTTP {status}")
    return str(status)
