"""Channel plug-ins: each ``channels/<name>/`` exposes ``send(delivery) -> provider id``.

A channel raises ``TemporaryError`` for what is worth retrying (timeouts, 5xx, 429),
``RecipientGone`` when the address no longer exists (a push subscription answered 404/410: the
outbox ends that subscription), and any other exception for a permanent refusal (the message is
recorded as the gateway's reason).
"""

from __future__ import annotations

import importlib


class TemporaryError(Exception):
    pass


class RecipientGone(Exception):
    """The recipient's address is gone for good: stop sending to it."""


CHANNELS = ("email", "sms", "webpush", "webhook", "social")


def get_channel(name: str):
    if name not in CHANNELS:
        raise ValueError(f"unknown channel {name!r}")
    return importlib.import_module(f"beffroi.alerts.channels.{name}")
