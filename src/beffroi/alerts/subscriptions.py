"""Subscription helpers: address normalisation, local address matching, the opt-in message."""

from __future__ import annotations

import logging
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from beffroi.core.errors import Problem, UserError

log = logging.getLogger(__name__)


def normalise_address(channel: str, address: str) -> str:
    address = (address or "").strip()
    if channel == "email":
        try:
            validate_email(address)
        except ValidationError:
            raise UserError("Invalid e-mail address.", [Problem("invalid e-mail", field="address")]) from None
        return address.lower()
    if channel == "sms":
        digits = re.sub(r"[\s.\-()]", "", address)
        if re.fullmatch(r"0[67]\d{8}", digits):
            digits = "+33" + digits[1:]
        if not re.fullmatch(r"\+\d{8,15}", digits):
            raise UserError("Invalid mobile number.", [Problem("invalid phone", field="address")])
        return digits
    if channel in ("webpush", "webhook"):
        if not address.startswith("https://") and not address.startswith("http://127.0.0.1"):
            raise UserError("An https:// URL is required.", [Problem("invalid URL", field="address")])
        return address
    raise UserError("Unknown channel.", [Problem("unknown channel", field="channel")])


def match_address(query: str, commune: str = "", limit: int = 5) -> list[dict]:
    """Match an address against the territory's address layer (local, no third-party geocoder)."""
    from beffroi.sources.geocoding import geocode

    try:
        matches = geocode(query, commune or None, limit)
    except Exception:
        log.exception("alerts: address matching failed")
        return []
    return [{"label": m.label, "lon": m.lon, "lat": m.lat} for m in matches]


def send_confirmation(subscriber, token: str) -> None:
    from beffroi.alerts import render
    from beffroi.alerts.channels import email as email_channel
    from beffroi.alerts.channels import sms as sms_channel

    link = render.public_url(f"abonnement/confirmer/{token}/")
    text = (
        "Confirmez votre abonnement aux alertes de la mairie : "
        + link
        + "\nSi vous n'avez rien demandé, ignorez ce message.\nSe désinscrire : "
        + render.unsubscribe_url(subscriber)
    )
    try:
        if subscriber.channel == "email":
            email_channel.message(
                subscriber.address,
                "Confirmez votre abonnement aux alertes",
                text,
                key=f"confirm-{subscriber.token[:16]}",
            ).send()
        elif subscriber.channel == "sms":
            sms_channel.send_text(subscriber.address, text, key=f"confirm-{subscriber.token[:16]}")
    except Exception:
        log.exception("alerts: sending the confirmation to subscriber %s failed", subscriber.pk)
