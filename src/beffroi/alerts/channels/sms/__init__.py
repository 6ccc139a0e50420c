"""SMS through a provider's own API: OVHcloud or Brevo (spoken here), or any apprise URL.

``BEFFROI_SMS_URL`` picks the provider by its scheme (settings.SMS_URL):

- ``ovh://APP_KEY:APP_SECRET:CONSUMER_KEY@ovh-eu/SERVICE_NAME?sender=MAIRIE`` — OVHcloud's
  ``POST /1.0/sms/{serviceName}/jobs``, every call signed (``X-Ovh-Application``, ``X-Ovh-Consumer``,
  ``X-Ovh-Timestamp`` from ``GET /auth/time``, ``X-Ovh-Signature`` = "$1$" + SHA-1 of
  ``secret+consumer+method+url+body+timestamp``). Endpoints ``ovh-eu``, ``ovh-ca``, ``ovh-us``.
  Without ``sender`` the job asks for ``senderForResponse`` (a short number).
- ``brevo://API_KEY@/?sender=MAIRIE`` — Brevo's transactional SMS, ``POST /v3/transactionalSMS/send``
  with the ``api-key`` header (the older ``/v3/transactionalSMS/sms`` is deprecated).
- any other scheme is an apprise URL (``twilio://``, ``sinch://``…; ``{phone}`` is replaced).

Neither OVHcloud nor Brevo accepts an idempotency key: a worker killed between the provider's
answer and the outbox's record sends that one SMS again when the row is retried (see
docs/alerts.md). The base URLs can be replaced by the ``SMS_OVH_BASE_URL`` / ``SMS_BREVO_BASE_URL``
settings (no environment variable: only tests point them at a local server).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from beffroi.alerts import render
from beffroi.alerts.channels import TemporaryError
from beffroi.alerts.text import sms_segments

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
OVH_ENDPOINTS = {
    "ovh-eu": "https://eu.api.ovh.com/1.0",
    "ovh-ca": "https://ca.api.ovh.com/1.0",
    "ovh-us": "https://api.us.ovhcloud.com/1.0",
}
BREVO_BASE = "https://api.brevo.com"
_SENDER = re.compile(r"[A-Za-z0-9 ]{1,11}|\d{1,15}")
_lock = threading.Lock()
_client: httpx.Client | None = None
_ovh_clock: dict[str, float] = {}  # base URL -> provider time minus local time, in seconds


class Answer(Protocol):
    """What the provider code reads of an HTTP answer: httpx's responses (the one-off sends) and the
    outbox lane's aiohttp answers (``lane.py``) both have it."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


@dataclass(frozen=True)
class Provider:
    kind: str  # "ovh", "brevo" or "apprise"
    url: str
    sender: str = ""
    base: str = ""
    service: str = ""
    app_key: str = ""
    app_secret: str = ""
    consumer_key: str = ""
    api_key: str = ""

    @property
    def label(self) -> str:
        return {"ovh": "OVHcloud", "brevo": "Brevo"}.get(self.kind, "apprise")


def _bad(message: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"BEFFROI_SMS_URL: {message} (see docs/alerts.md)")


def parse_url(url: str) -> Provider:
    """Read ``BEFFROI_SMS_URL``; raise ImproperlyConfigured naming what is wrong."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise _bad("not a URL")
    if scheme in ("http", "https"):
        raise _bad("a bare HTTP gateway is not a provider; use ovh://, brevo:// or an apprise URL")
    if scheme not in ("ovh", "brevo"):
        return Provider(kind="apprise", url=url)
    rest, _q, query = rest.partition("?")
    params = {k: v[-1] for k, v in parse_qs(query).items()}
    credentials, at, location = rest.rpartition("@")
    if not at:
        raise _bad(f"{scheme}:// needs its credentials before '@'")
    sender = params.get("sender", settings.SMS_SENDER if scheme == "brevo" else "")
    if sender and not _SENDER.fullmatch(sender):
        raise _bad("sender must be at most 11 letters or digits, or at most 15 digits")
    if scheme == "ovh":
        parts = [unquote(p) for p in credentials.split(":")]
        if len(parts) != 3 or not all(parts):
            raise _bad("ovh://APP_KEY:APP_SECRET:CONSUMER_KEY@ENDPOINT/SERVICE_NAME expected")
        endpoint, _slash, service = location.partition("/")
        service = service.strip("/")
        if endpoint not in OVH_ENDPOINTS:
            raise _bad(f"unknown OVHcloud endpoint {endpoint!r} (one of {', '.join(OVH_ENDPOINTS)})")
        if not re.fullmatch(r"[A-Za-z0-9.\-]+", service):
            raise _bad("the OVHcloud SMS service name (sms-xx00000-1) is missing")
        base = getattr(settings, "SMS_OVH_BASE_URL", "") or OVH_ENDPOINTS[endpoint]
        return Provider(
            kind="ovh",
            url=url,
            sender=sender,
            base=base.rstrip("/"),
            service=service,
            app_key=parts[0],
            app_secret=parts[1],
            consumer_key=parts[2],
        )
    api_key = unquote(credentials)
    if not api_key:
        raise _bad("brevo://API_KEY@/ expected")
    if not sender:
        raise _bad("Brevo needs a sender (?sender=MAIRIE)")
    base = getattr(settings, "SMS_BREVO_BASE_URL", "") or BREVO_BASE
    return Provider(kind="brevo", url=url, sender=sender, base=base.rstrip("/"), api_key=api_key)


def provider() -> Provider | None:
    url = settings.SMS_URL or ""
    return parse_url(url) if url else None


def configured() -> bool:
    """Whether SMS can be sent at all (a provider is set and its URL is well formed)."""
    try:
        return provider() is not None
    except ImproperlyConfigured:
        return False


def _http() -> httpx.Client:
    global _client
    with _lock:
        if _client is None:
            _client = httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False)
        return _client


def _post(p: Provider, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    try:
        response = _http().post(url, content=body, headers={"Content-Type": "application/json", **headers})
    except httpx.HTTPError as exc:
        raise TemporaryError(f"{p.label} SMS: {exc.__class__.__name__}") from None
    _raise_for_status(p, response)
    return response


def _reason(response: Answer) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict):
        return str(data.get("message") or data.get("code") or data)[:200]
    return str(data)[:200]


def _raise_for_status(p: Provider, response: Answer) -> None:
    status = response.status_code
    if status < 300:
        return
    reason = _reason(response)
    if status == 429 or status >= 500:
        raise TemporaryError(f"{p.label} SMS HTTP {status}: {reason}")
    if status in (401, 403):
        raise RuntimeError(f"{p.label} refused the credentials (HTTP {status}): {reason}")
    if 300 <= status < 400:
        raise RuntimeError(f"{p.label} answered a redirect (HTTP {status}), not followed")
    raise RuntimeError(f"{p.label} refused the message (HTTP {status}): {reason}")


def ovh_signature(secret: str, consumer: str, method: str, url: str, body: str, timestamp: str) -> str:
    raw = "+".join([secret, consumer, method, url, body, timestamp])
    return "$1$" + hashlib.sha1(raw.encode()).hexdigest()  # noqa: S324 - OVHcloud's documented scheme


def _ovh_time(p: Provider) -> int:
    delta = _ovh_clock.get(p.base)
    if delta is None:
        try:
            response = _http().get(f"{p.base}/auth/time")
        except httpx.HTTPError as exc:
            raise TemporaryError(f"OVHcloud time: {exc.__class__.__name__}") from None
        _raise_for_status(p, response)
        delta = _ovh_clock[p.base] = _ovh_delta(response.text)
    return int(time.time() + delta)


def _ovh_delta(answer: str) -> float:
    """How far OVHcloud's clock is ahead of ours, from its ``/auth/time`` answer (signatures use it)."""
    try:
        return int(answer.strip()) - time.time()
    except ValueError:
        raise TemporaryError(f"OVHcloud time: unexpected answer {answer[:50]!r}") from None


def _ovh_request(p: Provider, phones: list[str], text: str, timestamp: str) -> tuple[str, bytes, dict]:
    """One SMS job for every number in ``phones`` (OVHcloud takes a list of receivers per job)."""
    url = f"{p.base}/sms/{p.service}/jobs"
    job: dict = {
        "message": text,
        "receivers": phones,
        "noStopClause": True,  # a safety alert is not a commercial message
        "priority": "high",
        "validityPeriod": 2880,
        "tag": "beffroi",
    }
    if p.sender:
        job["sender"] = p.sender
    else:
        job["senderForResponse"] = True
    body = json.dumps(job, ensure_ascii=False, separators=(",", ":"))
    headers = {
        "X-Ovh-Application": p.app_key,
        "X-Ovh-Consumer": p.consumer_key,
        "X-Ovh-Timestamp": timestamp,
        "X-Ovh-Signature": ovh_signature(p.app_secret, p.consumer_key, "POST", url, body, timestamp),
    }
    return url, body.encode(), headers


def _ovh_outcomes(answer: dict, phones: list[str]) -> list[str | Exception]:
    """One outcome per number of a job: its SMS id, or the refusal for a number OVHcloud listed invalid."""
    invalid = set(answer.get("invalidReceivers") or [])
    ids = [str(i) for i in answer.get("ids") or []]
    valid = [phone for phone in phones if phone not in invalid]
    by_phone = dict(zip(valid, ids, strict=True)) if len(ids) == len(valid) else {}
    outcomes: list[str | Exception] = []
    for phone in phones:
        if phone in invalid or not ids:
            outcomes.append(
                RuntimeError(f"OVHcloud refused the number (invalidReceivers: {sorted(invalid)})")
            )
        else:
            outcomes.append(by_phone.get(phone) or ",".join(ids)[:200])
    return outcomes


def _send_ovh(p: Provider, phone: str, text: str) -> str:
    url, body, headers = _ovh_request(p, [phone], text, str(_ovh_time(p)))
    outcome = _ovh_outcomes(_post(p, url, body, headers).json(), [phone])[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _brevo_request(p: Provider, phone: str, text: str) -> tuple[str, bytes, dict]:
    """Brevo's transactional SMS takes one recipient per request."""
    payload = {
        "sender": p.sender,
        "recipient": phone.lstrip("+"),
        "content": text,
        "type": "transactional",
        "tag": "beffroi",
        "unicodeEnabled": sms_segments(text)[1] != "GSM-7",
    }
    body = json.dumps(payload, ensure_ascii=False).encode()
    return f"{p.base}/v3/transactionalSMS/send", body, {"api-key": p.api_key, "Accept": "application/json"}


def _brevo_id(response: Answer) -> str:
    try:
        return str(response.json().get("messageId") or "")
    except ValueError:
        return ""


def _send_brevo(p: Provider, phone: str, text: str) -> str:
    url, body, headers = _brevo_request(p, phone, text)
    return _brevo_id(_post(p, url, body, headers))


def _send_apprise(p: Provider, phone: str, text: str) -> str:
    import apprise  # imported here: apprise loads every plug-in at import

    notifier = apprise.Apprise()
    if not notifier.add(p.url.replace("{phone}", phone.lstrip("+"))):
        raise RuntimeError("BEFFROI_SMS_URL is not a valid apprise URL")
    if not notifier.notify(body=text):
        raise TemporaryError("apprise SMS notification failed")
    return ""


def send_text(phone: str, text: str, *, key: str) -> str:
    """Send one SMS; returns the provider's message id. ``key`` is only kept for our records."""
    p = provider()
    if p is None:
        raise RuntimeError("no SMS provider configured (BEFFROI_SMS_URL)")
    sender = {"ovh": _send_ovh, "brevo": _send_brevo}.get(p.kind, _send_apprise)
    return sender(p, phone, text) or key


def prepare(delivery) -> tuple[str, str, str]:
    """(number, text, idempotency key) of one SMS."""
    if delivery.staff_message_id:
        message = delivery.staff_message
        text = f"{message.subject}\n{message.text}"[:459]
    else:
        text = render.sms(delivery.version, delivery.language, delivery.subscriber)
    return delivery.recipient, text, delivery.idempotency_key


def send(delivery) -> str:
    phone, text, key = prepare(delivery)
    return send_text(phone, text, key=key)


def transport_config() -> tuple:
    return (
        settings.SMS_URL,
        getattr(settings, "SMS_OVH_BASE_URL", ""),
        getattr(settings, "SMS_BREVO_BASE_URL", ""),
    )


def transport():
    """The outbox's SMS lane (``channels/sms/lane.py``): concurrent requests on aiohttp."""
    from beffroi.alerts.channels.sms.lane import BatchLane, Lane

    try:
        p = provider()
    except ImproperlyConfigured as exc:
        return Lane(None, str(exc))
    if p is not None and p.kind == "ovh":
        return BatchLane(p, "")
    return Lane(p, "")
