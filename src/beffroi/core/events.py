"""The catalogue of live events and the one function that publishes them.

Each event the live stream carries is declared once: its name (what a page listens to), its topic
(the broker's coarse channel), the fields of its payload with their types, and the permission a user
needs to receive it. Every event also carries ``communes``, the INSEE codes it concerns: the /live/
stream sends it only to users of one of those communes who hold the permission.

Apps declare their events in their own ``live_events.py`` module (found by
:func:`discover`, called from ``CoreConfig.ready``), so core never imports a higher app::

    # crisis/live_events.py
    from beffroi.core.events import register_event
    register_event("task", topic="crisis", permission="crisis.view_task", fields={"crisis": int, ...})

``publish_event(name, *, communes, **payload)`` checks the call against the catalogue and raises
``ValueError`` for an unknown name, a missing or extra field, a value of the wrong type or no commune:
those are programming errors, found by the first test that runs the code, never user input. The
event is then handed to :func:`beffroi.core.live.publish`, which sends it after the commit.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Union, get_args, get_origin

from beffroi.core import live

# Fields every event carries besides its own; a payload may not declare them.
RESERVED = frozenset({"communes", "topic", "_ts"})


@dataclass(frozen=True)
class EventSpec:
    name: str
    topic: str
    permission: str
    fields: Mapping[str, Any] = field(default_factory=dict)  # field name -> type (or a union with None)
    description: str = ""

    def check(self, communes: list[str], payload: Mapping[str, Any]) -> None:
        if not communes or not all(isinstance(c, str) and c for c in communes):
            raise ValueError(f"live event {self.name!r}: communes must be a non-empty list of INSEE codes")
        missing = sorted(set(self.fields) - set(payload))
        extra = sorted(set(payload) - set(self.fields))
        if missing or extra:
            raise ValueError(f"live event {self.name!r}: missing fields {missing}, unexpected fields {extra}")
        for name, expected in self.fields.items():
            if not _is_instance(payload[name], expected):
                raise ValueError(
                    f"live event {self.name!r}: field {name!r} should be {_type_name(expected)}, "
                    f"got {type(payload[name]).__name__}"
                )


_CATALOGUE: dict[str, EventSpec] = {}

# ``resync`` is sent by the broker itself (never published by an app) to every connected client.
RESYNC_SPEC = EventSpec(
    live.RESYNC,
    topic="live",
    permission="",
    fields={"reason": str},
    description="Events were lost (replay buffer trimmed, broker reconnected): reload the page's state.",
)


def register_event(
    name: str, *, topic: str, permission: str, fields: Mapping[str, Any], description: str = ""
) -> EventSpec:
    """Declare an event. Registering the same declaration twice is harmless (module reloads);
    two different declarations under one name are a programming error."""
    if topic not in live.TOPICS:
        raise ValueError(f"live event {name!r}: unknown topic {topic!r} (one of {', '.join(live.TOPICS)})")
    if name == live.RESYNC:
        raise ValueError(f"live event {name!r} is reserved for the broker")
    reserved = RESERVED & set(fields)
    if reserved:
        raise ValueError(f"live event {name!r}: fields {sorted(reserved)} are reserved")
    if "." not in permission:
        raise ValueError(f"live event {name!r}: permission must be 'app.codename', got {permission!r}")
    spec = EventSpec(name, topic, permission, dict(fields), description)
    known = _CATALOGUE.get(name)
    if known is not None and known != spec:
        raise ValueError(f"live event {name!r} is already declared differently")
    _CATALOGUE[name] = spec
    return spec


def catalogue() -> dict[str, EventSpec]:
    """Every declared event by name (the broker's ``resync`` included)."""
    return {**_CATALOGUE, live.RESYNC: RESYNC_SPEC}


def event_names() -> list[str]:
    return sorted(catalogue())


def get_spec(name: str) -> EventSpec:
    try:
        return catalogue()[name]
    except KeyError:
        raise ValueError(f"live event {name!r} is not in the catalogue (beffroi.core.events)") from None


def publish_event(name: str, /, *, communes: Iterable[str], **payload: Any) -> None:
    """Publish a catalogued event for ``communes``, after the current transaction commits."""
    spec = get_spec(name)
    if spec is RESYNC_SPEC:
        raise ValueError("resync is sent by the broker, not published")
    codes = sorted(set(communes)) if not isinstance(communes, str) else []
    spec.check(codes, payload)
    live.publish(spec.topic, name, {"communes": codes, **payload})


def discover() -> None:
    """Import every installed app's ``live_events`` module (they register their events)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("live_events")


# --- Type checks ------------------------------------------------------------------------------------

_NAMES = {int: "int", float: "float", str: "str", bool: "bool", list: "list", dict: "dict"}


def _members(expected: Any) -> tuple[Any, ...]:
    if get_origin(expected) in (Union, types.UnionType):
        return get_args(expected)
    return (expected,)


def _is_instance(value: Any, expected: Any) -> bool:
    for member in _members(expected):
        if member is Any or member is object:
            return True
        if member is None or member is type(None):
            if value is None:
                return True
            continue
        origin = get_origin(member) or member
        if origin is float and isinstance(value, int) and not isinstance(value, bool):
            return True  # JSON makes no difference between 2 and 2.0
        if origin is int and isinstance(value, bool):
            continue
        if origin is datetime and isinstance(value, str):
            return True  # already an ISO string
        if isinstance(origin, type) and isinstance(value, origin):
            return True
    return False


def _type_name(expected: Any) -> str:
    return " | ".join(
        "None" if m in (None, type(None)) else _NAMES.get(m, getattr(m, "__name__", str(m)))
        for m in _members(expected)
    )


__all__ = [
    "EventSpec",
    "catalogue",
    "discover",
    "event_names",
    "get_spec",
    "publish_event",
    "register_event",
]
