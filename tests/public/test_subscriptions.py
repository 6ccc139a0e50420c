from __future__ import annotations

import re

import pytest

from beffroi.alerts.models import Subscriber

pytestmark = pytest.mark.django_db


def test_double_opt_in_and_unsubscribe(client, territory, mailoutbox, django_capture_on_commit_callbacks):
    assert client.get("/public/abonnement/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/public/abonnement/",
            {
                "channel": "email",
                "address": "Habitant@Example.org",
                "commune": "92063",
                "language": "fr",
                "consent": "on",
                "topics": ["inondation"],
            },
        )
    assert response.status_code == 200 and "Presque fini" in response.content.decode()
    sub = Subscriber.objects.get()
    assert sub.address == "habitant@example.org" and sub.consent_at and not sub.confirmed_at
    assert sub.topics == ["inondation"]
    link = re.search(r"/public/abonnement/confirmer/([^/\s]+)/", mailoutbox[0].body).group(1)
    assert client.get(f"/public/abonnement/confirmer/{link}x/").status_code == 400
    assert client.get(f"/public/abonnement/confirmer/{link}/").status_code == 200
    sub.refresh_from_db()
    assert sub.active
    assert f"/desinscription/{sub.token}/" in mailoutbox[0].body
    client.post(f"/public/abonnement/desinscription/{sub.token}/")
    sub.refresh_from_db()
    assert not sub.active and sub.unsubscribed_at


def test_subscription_without_consent_is_refused(client, territory):
    response = client.post(
        "/public/abonnement/",
        {"channel": "sms", "address": "0612345678", "commune": "92063", "language": "fr"},
    )
    assert response.status_code == 200 and not Subscriber.objects.exists()


def test_bad_phone_is_refused(client, territory):
    client.post(
        "/public/abonnement/",
        {"channel": "sms", "address": "12", "commune": "92063", "language": "fr", "consent": "on"},
    )
    assert not Subscriber.objects.exists()


def test_push_subscription_endpoint(client, territory, settings):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    settings.VAPID_PRIVATE_KEY = pem.decode()
    page = client.get("/public/abonnement/").content.decode()
    assert 'id="push"' in page and "/public/push.js" in page
    payload = {
        "subscription": {"endpoint": "https://push.example.org/abc", "keys": {"p256dh": "k", "auth": "a"}},
        "commune": "92063",
    }
    r = client.post("/public/abonnement/push/", payload, content_type="application/json")
    assert r.status_code == 200
    sub = Subscriber.objects.get(channel="webpush")
    assert sub.active and sub.push_keys == {"p256dh": "k", "auth": "a"}
    bad = client.post(
        "/public/abonnement/push/",
        {"subscription": {"endpoint": "ftp://x", "keys": {}}},
        content_type="application/json",
    )
    assert bad.status_code == 400


def test_confirmation_is_not_resent_within_ten_minutes(
    client, territory, mailoutbox, django_capture_on_commit_callbacks
):
    data = {
        "channel": "email",
        "address": "x@example.org",
        "commune": "92063",
        "language": "fr",
        "consent": "on",
    }
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/public/abonnement/", data)
    assert len(mailoutbox) == 1 and Subscriber.objects.count() == 1
