"""Outbound HTTP for connectors: timeouts, retries with backoff, a size cap and an SSRF guard.

A URL is fetched only over http(s), and only if every address its host resolves to is public
(not loopback, private, link-local, multicast, reserved or a cloud metadata address), unless the
host is listed in ``settings.SOURCES_ALLOW_HOSTS``. The check runs again on every redirect.

Retries are tenacity's (attempts, exponential backoff, Retry-After). The SSRF guard stays by hand:
httpx has no hook between name resolution and connection, so we resolve and check each hop
ourselves, with redirects followed one by one so every target is checked.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext as _
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from beffroi.sources.connectors.errors import BlockedURL, FetchError, NoNetwork

# Transient transport failures: retried. Anything else (a refused scheme, a bad URL) is not.
TRANSIENT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
MAX_RETRY_AFTER = 60.0  # seconds: the longest wait a source's Retry-After may impose

USER_AGENT = f"Beffroi/{getattr(settings, 'VERSION', '0')} (+https://github.com/beffroi; crisis cockpit for French communes)"  # noqa: E501


@dataclass
class Fetched:
    url: str
    status: int
    headers: dict[str, str]
    content: bytes
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.content).hexdigest()


def _allowed_hosts() -> set[str]:
    return {h.strip().lower() for h in getattr(settings, "SOURCES_ALLOW_HOSTS", []) if h.strip()}


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (one place, so tests can stub name resolution)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise NoNetwork(
            _("pas de réseau : impossible de résoudre %(host)s (%(reason)s)")
            % {"host": host, "reason": exc.strerror}
        ) from None
    return [str(info[4][0]).split("%")[0] for info in infos]


def check_host(host: str, port: int, *, url: str = "", hint: str | None = None) -> list[str]:
    """Resolve ``host`` and refuse it unless every address is public; returns the addresses.

    Also used by the alerts' web push channel, which has its own host allow-list but the same
    address rule (and no exception list: ``hint=""``). ``None`` names the sources' allow-list.
    """
    if hint is None:
        hint = _(" (ajoutez l'hôte à BEFFROI_SOURCES_ALLOW_HOSTS si c'est voulu)")
    addresses = resolve(host, port)
    if not addresses:
        raise NoNetwork(_("pas de réseau : %(host)s n'a pas d'adresse") % {"host": host})
    for raw in addresses:
        address = ipaddress.ip_address(raw)
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if (
            not address.is_global
            or address.is_multicast
            or str(address) in ("169.254.169.254", "fd00:ec2::254")
        ):
            raise BlockedURL(
                _("%(url)s : %(host)s pointe vers l'adresse non publique %(address)s ; refusé%(hint)s")
                % {"url": url or host, "host": host, "address": address, "hint": hint}
            )
    return addresses


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedURL(_("%(url)s : seules les adresses http et https sont lues") % {"url": url})
    host = (parts.hostname or "").lower()
    if not host:
        raise BlockedURL(_("%(url)s : aucun hôte dans l'adresse") % {"url": url})
    allowed = _allowed_hosts()
    if host in allowed or f"{host}:{parts.port}" in allowed:
        return
    check_host(host, parts.port or (443 if parts.scheme == "https" else 80), url=url)


class _Transient(Exception):
    """A failure worth another attempt; ``error`` is what the caller gets once attempts run out."""

    def __init__(self, error: Exception, retry_after: float | None = None):
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds asked by a ``Retry-After`` header (delta-seconds or HTTP-date); ``None`` if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpClient:
    """Fetch with the connector's policy.

    ``retries`` is the number of attempts in all; ``backoff`` the first retry delay in seconds, doubled
    at each retry. Only transient failures are retried (connect/read errors and timeouts, HTTP 5xx and
    429); a ``Retry-After`` header on a 429 or 503 sets the delay, capped at ``max_retry_after`` seconds
    so a source cannot park a worker. The retry policy is tenacity's; ``sleep`` is how it waits.
    """

    def __init__(
        self,
        *,
        timeout: float | None = None,
        retries: int = 3,
        backoff: float = 1.0,
        max_bytes: int | None = None,
        max_retry_after: float = MAX_RETRY_AFTER,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.timeout = timeout or float(settings.SOURCES_TIMEOUT)
        self.retries = max(1, retries)
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.max_bytes = max_bytes or settings.SOURCES_MAX_MB * 1024 * 1024
        self.client = httpx.Client(
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
        )

    def close(self) -> None:
        self.client.close()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_retry_after)
        return min(self.backoff * 2 ** (state.attempt_number - 1), self.max_retry_after)

    def request(
        self,
        method: str,
        url: str,
        *,
        params=None,
        headers=None,
        json=None,
        content: bytes | None = None,
        accept=(200, 206),
    ) -> Fetched:
        retrying = Retrying(
            stop=stop_after_attempt(self.retries),
            wait=self._wait,
            retry=retry_if_exception_type(_Transient),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(
                self._attempt,
                method,
                url,
                params=params,
                headers=headers,
                json=json,
                content=content,
                accept=accept,
            )
        except _Transient as exc:
            raise exc.error from None

    def _attempt(self, method: str, url: str, *, params, headers, json, content, accept) -> Fetched:
        try:
            result = self._once(method, url, params=params, headers=headers, json=json, content=content)
        except TRANSIENT_ERRORS as exc:
            if isinstance(exc, httpx.TimeoutException):
                message = _("délai dépassé : %(url)s n'a pas répondu après %(n)d tentative(s) (%(error)s)")
            else:
                message = _("pas de réseau : %(url)s n'a pas répondu après %(n)d tentative(s) (%(error)s)")
            raise _Transient(
                NoNetwork(message % {"url": url, "n": self.retries, "error": type(exc).__name__})
            ) from exc
        if result.status in accept:
            return result
        snippet = result.content[:200].decode("utf-8", "replace").strip()
        where = {"status": result.status, "url": result.url, "body": snippet}
        error = FetchError(
            _("HTTP %(status)s de %(url)s : %(body)s") % where
            if snippet
            else _("HTTP %(status)s de %(url)s") % where,
            status=result.status,
        )
        if result.status == 429 or result.status >= 500:
            raise _Transient(error, retry_after_seconds(result.headers.get("retry-after")))
        raise error

    def _once(self, method: str, url: str, *, params=None, headers=None, json=None, content=None) -> Fetched:
        for _hop in range(6):
            check_url(url)
            with self.client.stream(
                method, url, params=params, headers=headers, json=json, content=content
            ) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(str(response.url), response.headers["location"])
                    params = None
                    method = "GET" if method != "HEAD" else method
                    json = None
                    content = None
                    continue
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(
                        _("%(url)s : réponse de %(size)s octets, au-delà de la limite de %(limit)s octets")
                        % {"url": url, "size": declared, "limit": self.max_bytes}
                    )
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(
                            _("%(url)s : réponse au-delà de la limite de %(limit)s octets")
                            % {"url": url, "limit": self.max_bytes}
                        )
                    chunks.append(chunk)
                return Fetched(
                    str(response.url), response.status_code, dict(response.headers), b"".join(chunks)
                )
        raise FetchError(_("%(url)s : trop de redirections") % {"url": url})
