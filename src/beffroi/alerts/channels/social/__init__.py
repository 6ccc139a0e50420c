"""Social networks through apprise (Mastodon, Bluesky, X): cut to the network's length, with a link."""

from __future__ import annotations

from beffroi.alerts import render
from beffroi.alerts.channels import TemporaryError


def send(delivery) -> str:
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(delivery.recipient):
        raise RuntimeError("not a valid apprise URL")
    if not notifier.notify(body=render.social(delivery.version, delivery.recipient, delivery.language)):
        raise TemporaryError("apprise notification failed")
    return "ok"
