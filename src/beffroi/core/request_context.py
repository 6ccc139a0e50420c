"""Who is acting and from where, for the audit trail, without threading requests everywhere."""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Origin:
    ip: str | None = None
    channel: str = "system"  # web, api, cli, worker, system


# Origin is a frozen dataclass: sharing the default instance is safe.
_origin: ContextVar[Origin] = ContextVar("beffroi_origin", default=Origin())  # noqa: B039


def current_origin() -> Origin:
    return _origin.get()


def set_origin(origin: Origin):
    return _origin.set(origin)


def reset_origin(token) -> None:
    _origin.reset(token)


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address, trusting only the ``settings.PROXY_COUNT`` proxies in front.

    Each trusted proxy appends the address it received the request from to ``X-Forwarded-For``, so
    with N proxies the client is the Nth address from the right; whatever lies further left was
    written by the client and proves nothing. With 0 proxies, or a header too short or holding
    something that is not an address, the socket address (``REMOTE_ADDR``) is used. Kept by hand
    rather than with django-ipware: ipware's proxy count matches a header of exactly N+1 entries and
    otherwise falls back on its own header list, which is not the rule our proxies follow.
    Axes calls it too (``AXES_CLIENT_IP_CALLABLE``).
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.PROXY_COUNT
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in header.split(",")] if header.strip() else []
    if len(hops) < count:
        return remote
    return _valid_ip(hops[-count]) or remote
