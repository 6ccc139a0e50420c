"""Who is acting and from where, for the audit trail, without threading requests everywhere."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


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
