"""Channel plug-ins: each ``channels/<name>/`` exposes ``send(delivery) -> provider id``.

A channel raises ``TemporaryError`` for what is worth retrying (timeouts, 5xx, 429),
``RecipientGone`` when the address no longer exists (a push subscription answered 404/410: the
outbox ends that subscription), and any other exception for a permanent refusal (the message is
recorded as the gateway's reason).

For the outbox's concurrent dispatch (``alerts/sending.py``) a channel also offers
``prepare(delivery) -> payload`` (run in the worker's main thread: it may read the database),
``transport()`` (an object with ``async send(payload) -> provider id`` and ``async aclose()``, and
optionally ``batch_key(payload)``, ``batch_size`` and ``async send_batch(payloads)`` returning one
outcome per payload) and ``transport_config()`` (what the transport was built from: it is rebuilt
when that changes). A channel without ``prepare`` is sent one row at a time with ``send``.
"""

from __future__ import annotations

import importlib


class TemporaryError(Exception):
    pass


class RecipientGone(Exception):
    """The recipient's address is gone for good: stop sending to it."""


CHANNELS = ("email", "sms", "webpush", "webhook", "social")


def lane_settings(name: str) -> tuple[int, float]:
    """(requests in flight at once, requests per second or 0) of a channel, from settings.OUTBOX_CHANNELS."""
    from django.conf import settings

    lane = settings.OUTBOX_CHANNELS.get(name, {})
    return max(1, int(lane.get("concurrency", 1))), max(0.0, float(lane.get("rate", 0.0)))


def get_channel(name: str):
    if name not in CHANNELS:
        raise ValueError(f"unknown channel {name!r}")
    return importlib.import_module(f"beffroi.alerts.channels.{name}")
