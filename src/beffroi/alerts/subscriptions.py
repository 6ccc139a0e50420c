"""Citizens' subscriptions: address normalisation, local address matching, double opt-in.

Anyone can type anyone's address, so nothing a visitor submits takes effect before the owner of
the address confirms it through the channel itself (e-mail link, SMS link, push notification):

- a new subscription is stored unconfirmed, and receives nothing until confirmed;
- a change to an existing subscription (commune, topics, address, language, push keys) is kept in
  ``Subscriber.pending`` with a one-time nonce; the settings in force stay as they are until the
  link carrying that nonce is opened (a later request replaces the earlier one);
- an unsubscribed person stays unsubscribed until they confirm a new request;
- at most one confirmation message per address every 10 minutes (the public views add rate
  limits per client IP, per address and per phone number).
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.alerts.hazards import LANGUAGES, hazard_choices
from beffroi.alerts.models import Subscriber
from beffroi.core import audit
from beffroi.core.actors import Actor
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import allowed_system
from beffroi.sources.geocoding import geocode

log = logging.getLogger(__name__)
SUBSCRIBE_SALT = "beffroi.alerts.subscribe"
RESEND_AFTER = timedelta(minutes=10)
CONFIRM_MAX_AGE = 7 * 24 * 3600
# Citizens on the public site act as SystemActor("public"): the e-mailed or signed token is the
# proof (the IP comes from the request context).
PUBLIC = ("public",)
MAX_EMAIL = 254  # RFC 5321
MAX_ADDRESS = 500  # Subscriber.address
MAX_POINTS = 5
MAX_LABEL = 200


def _bad(message: str, field: str) -> UserError:
    return UserError(message, [Problem(message, field=field)])


def normalise_address(channel: str, address: str) -> str:
    """The canonical form of an address on a channel, or a French UserError saying what is wrong."""
    from beffroi.alerts.channels import webpush

    address = (address or "").strip()
    if channel == "email":
        if len(address) > MAX_EMAIL:
            raise _bad(
                _("Adresse e-mail trop longue (%(n)s caractères au plus).") % {"n": MAX_EMAIL}, "address"
            )
        try:
            validate_email(address)
        except ValidationError:
            raise _bad(_("Adresse e-mail invalide."), "address") from None
        return address.lower()
    if channel == "sms":
        digits = re.sub(r"[\s.\-()]", "", address)[:30]
        if digits.startswith("00"):
            digits = "+" + digits[2:]
        if re.fullmatch(r"0[67]\d{8}", digits):
            digits = "+33" + digits[1:]
        if not re.fullmatch(r"\+\d{8,15}", digits):
            raise _bad(_("Numéro de mobile invalide (exemple : 06 12 34 56 78)."), "address")
        if not any(digits.startswith("+" + code) for code in settings.SMS_COUNTRY_CODES):
            raise _bad(_("Seuls les numéros de mobile français sont acceptés."), "address")
        if digits.startswith("+33") and not re.fullmatch(r"\+33[67]\d{8}", digits):
            raise _bad(_("Ce numéro n'est pas un numéro de mobile (06 ou 07)."), "address")
        return digits
    if channel == "webpush":
        try:
            webpush.check_endpoint(address)
        except webpush.EndpointRefused:
            raise _bad(_("Ce service de notification n'est pas accepté."), "endpoint") from None
        return address
    if channel == "webhook":
        if len(address) > MAX_ADDRESS or not address.startswith("https://"):
            raise _bad(_("Une adresse https:// est requise."), "address")
        return address
    raise _bad(_("Canal inconnu."), "channel")


def _requested(channel, language, topics, commune, points, push_keys) -> dict[str, Any]:
    """The settings a request asks for, checked (the same shape as ``Subscriber.pending``)."""
    known = {code for code, _label in hazard_choices()}
    topics = list(dict.fromkeys(topics or []))
    unknown = [t for t in topics if t not in known]
    if unknown:
        raise _bad(_("Sujet inconnu : %(t)s.") % {"t": ", ".join(map(str, unknown))[:100]}, "topics")
    clean_points = []
    try:
        for p in (points or [])[:MAX_POINTS]:
            lon, lat = float(p[0]), float(p[1])
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError
            clean_points.append([lon, lat, str(p[2] if len(p) > 2 else "")[:MAX_LABEL]])
    except (TypeError, ValueError, IndexError):
        raise _bad(_("Adresse invalide."), "street") from None
    if not clean_points and not commune:
        raise _bad(_("Choisissez une adresse ou une commune."), "commune")
    if len(commune or "") > 5:
        raise _bad(_("Commune inconnue."), "commune")
    keys = {}
    if channel == "webpush":
        keys = {k: str((push_keys or {}).get(k, "")) for k in ("p256dh", "auth")}
        if not all(keys.values()) or any(len(v) > 200 for v in keys.values()):
            raise _bad(_("Abonnement du navigateur invalide."), "keys")
    elif push_keys:
        keys = {k: str(v)[:200] for k, v in push_keys.items()}
    return {
        "language": language if language in LANGUAGES else "fr",
        "topics": topics,
        "commune": commune or "",
        "points": clean_points,
        "push_keys": keys,
    }


def _apply(subscriber: Subscriber, wanted: dict[str, Any]) -> None:
    points = wanted["points"]
    subscriber.language = wanted["language"]
    subscriber.topics = wanted["topics"]
    subscriber.commune = wanted["commune"]
    subscriber.points = points
    subscriber.lon, subscriber.lat = (points[0][0], points[0][1]) if points else (None, None)
    subscriber.extra_points = len(points) > 1
    subscriber.push_keys = wanted["push_keys"]


def channel_available(channel: str) -> bool:
    from beffroi.alerts.channels import sms, webpush

    if channel == "sms":
        # Offered only with a provider, and unless the town turned SMS subscriptions off.
        return sms.configured() and bool(settings.SMS_SUBSCRIPTIONS)
    if channel == "webpush":
        return webpush.configured()
    return channel in ("email", "webhook")


def confirmation_token(subscriber: Subscriber) -> str:
    """The signed link of the pending request (its nonce makes it single-use)."""
    nonce = (subscriber.pending or {}).get("nonce", "")
    return signing.dumps({"s": subscriber.pk, "t": subscriber.token[:8], "n": nonce}, salt=SUBSCRIBE_SALT)


def do_subscribe(
    *,
    channel: str,
    address: str,
    language: str = "fr",
    topics: list[str] | None = None,
    commune: str = "",
    points: list | None = None,
    push_keys: dict | None = None,
    actor: Actor,
) -> Subscriber:
    """Record a request (a new subscription or a change, both pending) and send its confirmation.

    The returned subscriber carries ``confirmation``: ``"sent"``, ``"failed"`` (the channel refused or
    is down: tell the citizen), or ``"recent"`` (one was sent less than 10 minutes ago; nothing changed).
    """
    address = normalise_address(channel, address)
    if not channel_available(channel):
        raise _bad(_("Ce mode d'envoi n'est pas disponible dans cette commune."), "channel")
    wanted = _requested(channel, language, topics, commune, points, push_keys)
    allowed_system(actor, PUBLIC)  # open to anyone: the double opt-in proves the address
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(channel=channel, address=address).first()
        is_new = subscriber is None
        if subscriber is None:
            subscriber = Subscriber(channel=channel, address=address, token=secrets.token_urlsafe(32))
            _apply(subscriber, wanted)  # not in force: an unconfirmed subscriber receives nothing
            subscriber.consent_at = now
        elif subscriber.confirmation_sent_at and subscriber.confirmation_sent_at > now - RESEND_AFTER:
            audit.record(
                actor,
                "alerts.subscribe_throttled",
                subscriber,
                commune=subscriber.commune,
                detail={"channel": channel},
            )
            subscriber.confirmation = "recent"  # type: ignore[attr-defined]
            return subscriber
        subscriber.pending = {**wanted, "nonce": secrets.token_urlsafe(12), "consent_at": now.isoformat()}
        subscriber.pending_at = now
        subscriber.save()
        audit.record(
            actor,
            "alerts.subscribe",
            subscriber,
            commune=wanted["commune"],
            detail={"channel": channel, "new": is_new},
        )
    sent = send_confirmation(subscriber, confirmation_token(subscriber))
    if sent:
        Subscriber.objects.filter(pk=subscriber.pk).update(confirmation_sent_at=timezone.now())
    subscriber.confirmation = "sent" if sent else "failed"  # type: ignore[attr-defined]
    return subscriber


def _invalid() -> UserError:
    return _bad(_("Ce lien de confirmation est invalide ou a expiré."), "token")


def do_confirm_subscription(token: str, *, actor: Actor) -> Subscriber:
    """Apply the pending request the link was sent for: the subscription is then active."""
    allowed_system(actor, PUBLIC)  # the signed token is the proof
    try:
        data = signing.loads(token, salt=SUBSCRIBE_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        raise _invalid() from None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise _invalid()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=data["s"]).first()
        if subscriber is None or not subscriber.token.startswith(str(data.get("t", "-"))):
            raise _invalid()
        pending = subscriber.pending or {}
        nonce = str(data.get("n") or "")
        now = timezone.now()
        if nonce:
            if pending.get("nonce") != nonce:
                raise _bad(_("Ce lien a déjà servi ou a été remplacé par une demande plus récente."), "token")
            _apply(subscriber, pending)
            try:
                subscriber.consent_at = datetime.fromisoformat(pending.get("consent_at", ""))
            except ValueError:
                subscriber.consent_at = now
            subscriber.pending, subscriber.pending_at = {}, None
            subscriber.confirmed_at = now
            subscriber.unsubscribed_at = None
        elif subscriber.confirmed_at or subscriber.unsubscribed_at:
            # A link from before pending requests existed confirms a first subscription only.
            raise _bad(_("Ce lien a déjà servi ou a été remplacé par une demande plus récente."), "token")
        else:
            subscriber.confirmed_at = now
        subscriber.save()
        audit.record(
            actor,
            "alerts.subscription_confirmed",
            subscriber,
            commune=subscriber.commune,
            detail={"channel": subscriber.channel},
        )
    return subscriber


def do_unsubscribe(token: str, *, actor: Actor) -> Subscriber:
    allowed_system(actor, PUBLIC)  # the secret token is the proof
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(token=token).first()
        if subscriber is None:
            raise _bad(_("Lien de désinscription inconnu."), "token")
        subscriber.unsubscribed_at = subscriber.unsubscribed_at or timezone.now()
        subscriber.pending, subscriber.pending_at = {}, None  # a waiting request must not revive it
        subscriber.save(update_fields=["unsubscribed_at", "pending", "pending_at"])
        audit.record(actor, "alerts.unsubscribe", subscriber, commune=subscriber.commune)
    return subscriber


def match_address(query: str, commune: str = "", limit: int = 5) -> list[dict]:
    """Match an address against the territory's address layer (local, no third-party geocoder)."""

    try:
        matches = geocode(query, commune or None, limit)
    except Exception:
        log.exception("alerts: address matching failed")
        return []
    return [{"label": m.label, "lon": m.lon, "lat": m.lat} for m in matches]


def send_confirmation(subscriber: Subscriber, token: str) -> bool:
    """Send the confirmation link through the subscription's own channel; False if it failed."""
    from beffroi.alerts import render
    from beffroi.alerts.channels import email as email_channel
    from beffroi.alerts.channels import sms as sms_channel
    from beffroi.alerts.channels import webpush

    link = render.public_url(f"abonnement/confirmer/{token}/")
    key = f"confirm-{secrets.token_hex(8)}"
    try:
        if subscriber.channel == "email":
            text = (
                "Confirmez votre abonnement aux alertes de la mairie : "
                + link
                + "\nSi vous n'avez rien demandé, ignorez ce message : rien ne changera."
                + "\nSe désinscrire : "
                + render.unsubscribe_url(subscriber)
            )
            email_channel.message(
                subscriber.address, "Confirmez votre abonnement aux alertes", text, key=key
            ).send()
        elif subscriber.channel == "sms":
            text = f"Mairie : confirmez vos alertes par SMS : {link}\nSinon, ignorez ce message."
            sms_channel.send_text(subscriber.address, text, key=key)
        elif subscriber.channel == "webpush":
            keys = (subscriber.pending or {}).get("push_keys") or subscriber.push_keys
            webpush.post(
                subscriber.address,
                keys,
                {
                    "title": "Confirmez les alertes de la mairie",
                    "body": "Touchez cette notification pour confirmer votre abonnement.",
                    "url": link,
                },
                ttl=24 * 3600,
                urgency="normal",
            )
        else:
            return False
    except Exception:
        log.warning("alerts: the confirmation to subscriber %s failed", subscriber.pk, exc_info=True)
        return False
    return True
