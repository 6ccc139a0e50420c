from __future__ import annotations

import re

import pytest
from django.utils import timezone

from beffroi.alerts.models import Subscriber
from tests.alerts.servers import BrevoServer

pytestmark = pytest.mark.django_db

FORM = {"channel": "email", "address": "x@example.org", "commune": "92063", "language": "fr", "consent": "on"}


def confirmation_link(message_body: str) -> str:
    return re.search(r"/public/abonnement/confirmer/([^/\s]+)/", message_body).group(1)


@pytest.fixture
def brevo(settings):
    server = BrevoServer()
    settings.SMS_URL, settings.SMS_BREVO_BASE_URL = server.url, server.base
    yield server
    server.stop()


def test_double_opt_in_and_unsubscribe(client, territory, mailoutbox):
    assert client.get("/public/abonnement/").status_code == 200
    response = client.post(
        "/public/abonnement/", {**FORM, "address": "Habitant@Example.org", "topics": ["inondation"]}
    )
    assert response.status_code == 200 and "Presque fini" in response.content.decode()
    sub = Subscriber.objects.get()
    assert sub.address == "habitant@example.org" and sub.consent_at and not sub.confirmed_at
    assert sub.topics == ["inondation"]
    link = confirmation_link(mailoutbox[0].body)
    assert client.get(f"/public/abonnement/confirmer/{link}x/").status_code == 400
    assert client.get(f"/public/abonnement/confirmer/{link}/").status_code == 200
    sub.refresh_from_db()
    assert sub.active
    assert client.get(f"/public/abonnement/confirmer/{link}/").status_code == 400  # single use
    assert f"/desinscription/{sub.token}/" in mailoutbox[0].body
    client.post(f"/public/abonnement/desinscription/{sub.token}/")
    sub.refresh_from_db()
    assert not sub.active and sub.unsubscribed_at


def test_resubmission_changes_nothing_until_the_owner_confirms(client, territory, mailoutbox):
    client.post("/public/abonnement/", {**FORM, "topics": ["inondation"]})
    client.get(f"/public/abonnement/confirmer/{confirmation_link(mailoutbox[0].body)}/")
    sub = Subscriber.objects.get()
    Subscriber.objects.filter(pk=sub.pk).update(
        confirmation_sent_at=timezone.now() - timezone.timedelta(hours=1)
    )
    # Someone else types the same address with other settings.
    client.post("/public/abonnement/", {**FORM, "commune": "92033", "language": "en", "topics": ["canicule"]})
    sub.refresh_from_db()
    assert (sub.commune, sub.language, sub.topics) == ("92063", "fr", ["inondation"]) and sub.active
    assert sub.pending["commune"] == "92033"
    assert len(mailoutbox) == 2  # the owner is asked, through their own mailbox
    client.get(f"/public/abonnement/confirmer/{confirmation_link(mailoutbox[1].body)}/")
    sub.refresh_from_db()
    assert (sub.commune, sub.language, sub.topics, sub.pending) == ("92033", "en", ["canicule"], {})


def test_unsubscribed_person_stays_unsubscribed_until_they_confirm(client, territory, mailoutbox):
    client.post("/public/abonnement/", FORM)
    first = confirmation_link(mailoutbox[0].body)
    client.get(f"/public/abonnement/confirmer/{first}/")
    sub = Subscriber.objects.get()
    client.post(f"/public/abonnement/desinscription/{sub.token}/")
    Subscriber.objects.filter(pk=sub.pk).update(
        confirmation_sent_at=timezone.now() - timezone.timedelta(hours=1)
    )
    client.post("/public/abonnement/", FORM)
    sub.refresh_from_db()
    assert not sub.active
    assert client.get(f"/public/abonnement/confirmer/{first}/").status_code == 400  # the old link is spent
    sub.refresh_from_db()
    assert not sub.active
    client.get(f"/public/abonnement/confirmer/{confirmation_link(mailoutbox[1].body)}/")
    sub.refresh_from_db()
    assert sub.active


def test_superseded_link_no_longer_applies(client, territory, mailoutbox):
    client.post("/public/abonnement/", FORM)
    old = confirmation_link(mailoutbox[0].body)
    Subscriber.objects.update(confirmation_sent_at=timezone.now() - timezone.timedelta(hours=1))
    client.post("/public/abonnement/", {**FORM, "commune": "92033"})
    assert client.get(f"/public/abonnement/confirmer/{old}/").status_code == 400
    client.get(f"/public/abonnement/confirmer/{confirmation_link(mailoutbox[1].body)}/")
    assert Subscriber.objects.get().commune == "92033"


def test_subscription_without_consent_is_refused(client, territory):
    response = client.post("/public/abonnement/", {**FORM, "consent": ""})
    assert response.status_code == 400 and not Subscriber.objects.exists()


def test_bad_phone_is_refused(client, territory, brevo):
    for number in ("12", "0145678901", "+88212345678"):  # too short, a landline, premium abroad
        response = client.post("/public/abonnement/", {**FORM, "channel": "sms", "address": number})
        assert response.status_code in (200, 400) and "address" in response.context["form"].errors
    assert not Subscriber.objects.exists() and brevo.counter.unique == 0


def test_overlong_fields_are_form_errors_not_500(client, territory):
    response = client.post(
        "/public/abonnement/", {**FORM, "address": "a" * 300 + "@example.org", "street": "r" * 300}
    )
    assert response.status_code == 400 and not Subscriber.objects.exists()


def test_sms_is_offered_only_with_a_provider(client, territory, settings):
    settings.SMS_URL = ""
    page = client.get("/public/abonnement/").content.decode()
    assert 'value="sms"' not in page
    response = client.post("/public/abonnement/", {**FORM, "channel": "sms", "address": "0612345678"})
    assert response.status_code == 400 and not Subscriber.objects.exists()


def test_sms_confirmation_is_sent_and_failure_is_told(client, territory, brevo):
    assert 'value="sms"' in client.get("/public/abonnement/").content.decode()
    response = client.post("/public/abonnement/", {**FORM, "channel": "sms", "address": "06 12 34 56 78"})
    assert response.status_code == 200 and "par SMS" in response.content.decode()
    assert brevo.requests[0]["recipient"] == "33612345678"
    assert "/public/abonnement/confirmer/" in brevo.requests[0]["content"]
    brevo.statuses.append(500)
    response = client.post("/public/abonnement/", {**FORM, "channel": "sms", "address": "0712345678"})
    page = response.content.decode()
    assert response.status_code == 503 and "pas pu être envoyé" in page and "venons d'envoyer" not in page


def test_confirmation_is_not_resent_within_ten_minutes(client, territory, mailoutbox):
    for _ in range(3):
        client.post("/public/abonnement/", FORM)
    assert len(mailoutbox) == 1 and Subscriber.objects.count() == 1


def test_sign_ups_are_rate_limited_per_client(client, territory, mailoutbox, settings):
    settings.SUBSCRIBE_RATE_IP = "5/h"
    statuses = [
        client.post("/public/abonnement/", {**FORM, "address": f"p{i}@example.org"}).status_code
        for i in range(8)
    ]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429] * 3
    assert len(mailoutbox) == 5
    page = client.post("/public/abonnement/", FORM)
    assert page.status_code == 429 and "Trop de demandes" in page.content.decode()


def test_sign_ups_are_rate_limited_per_address_and_phone(client, territory, mailoutbox, brevo):
    # From many clients (a botnet): the address's own limit still holds.
    codes = []
    for i in range(5):
        Subscriber.objects.update(confirmation_sent_at=None)
        codes.append(client.post("/public/abonnement/", FORM, REMOTE_ADDR=f"198.51.100.{i}").status_code)
    assert codes == [200, 200, 200, 429, 429] and len(mailoutbox) == 3
    sms = []
    for i in range(5):
        Subscriber.objects.update(confirmation_sent_at=None)
        form = {**FORM, "channel": "sms", "address": "0612345678"}
        sms.append(client.post("/public/abonnement/", form, REMOTE_ADDR=f"203.0.113.{i}").status_code)
    assert sms == [200, 200, 200, 429, 429] and brevo.counter.duplicates + brevo.counter.unique == 3


@pytest.fixture
def push_ready(settings, monkeypatch):
    """VAPID configured, push host names resolving to a public address, requests to a MockTransport."""
    import httpx
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from beffroi.alerts.channels import webpush
    from beffroi.sources.connectors import http as guard

    settings.VAPID_PRIVATE_KEY = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    monkeypatch.setattr(guard, "resolve", lambda host, port: ["142.250.74.10"])
    seen: list = []

    def handler(request):
        seen.append(request)
        return httpx.Response(201)

    monkeypatch.setattr(webpush, "_client", lambda: httpx.Client(transport=httpx.MockTransport(handler)))
    return seen


def _browser_keys() -> dict:
    import base64
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {
        "p256dh": base64.urlsafe_b64encode(point).rstrip(b"=").decode(),
        "auth": base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode(),
    }


def test_push_subscription_needs_the_csrf_token_and_a_confirmation_on_the_device(territory, push_ready):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    page = client.get("/public/abonnement/").content.decode()
    assert 'id="push"' in page and "/public/push.js" in page
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    payload = {
        "subscription": {"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": _browser_keys()},
        "commune": "92063",
    }
    url = "/public/abonnement/push/"
    assert client.post(url, payload, content_type="application/json").status_code == 403  # no token
    r = client.post(url, payload, content_type="application/json", headers={"X-CSRFToken": token})
    assert r.status_code == 200 and r.json()["ok"]
    sub = Subscriber.objects.get(channel="webpush")
    assert not sub.active  # active only once the confirmation notification is tapped
    assert len(push_ready) == 1 and push_ready[0].headers["host"] == "fcm.googleapis.com"


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:8000/x",
        "http://127.0.0.1.attacker.example/x",
        "https://push.example.org/abc",
        "ftp://x",
    ],
)
def test_push_endpoints_off_the_push_services_are_refused_unsent(client, territory, push_ready, endpoint):
    payload = {"subscription": {"endpoint": endpoint, "keys": _browser_keys()}, "commune": "92063"}
    r = client.post("/public/abonnement/push/", payload, content_type="application/json")
    assert r.status_code == 400 and not Subscriber.objects.exists() and push_ready == []
