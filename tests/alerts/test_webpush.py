"""Web push: only known push services, only public addresses, no redirects, gone = unsubscribed.

Nothing here reaches the network: name resolution is stubbed (``http.resolve``) and requests go
to an httpx MockTransport, or, for refusals, through the real client with ``socket.connect``
replaced by a recorder that proves no connection was attempted.
"""

from __future__ import annotations

import base64
import os
import socket

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from beffroi.alerts.channels import webpush
from beffroi.alerts.models import Delivery, Subscriber
from beffroi.alerts.outbox import dispatch_all
from beffroi.alerts.sending import engine
from beffroi.alerts.subscriptions import normalise_address
from beffroi.core.errors import UserError
from beffroi.sources.connectors import http as guard

from .conftest import RUEIL, draft, publish_real

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_lanes():
    """Each test's transports are built from its own client factory (the engine keeps lanes)."""
    engine().reset()
    yield
    engine().reset()


ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc123"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(autouse=True)
def vapid(settings):
    settings.VAPID_PRIVATE_KEY = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )


def browser_keys() -> dict:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {"p256dh": b64(point), "auth": b64(os.urandom(16))}


def push_subscriber(endpoint=ENDPOINT):
    return Subscriber.objects.create(
        channel="webpush",
        address=endpoint,
        commune=RUEIL,
        token="p",
        push_keys=browser_keys(),
        confirmed_at=timezone.now(),
    )


@pytest.fixture
def resolves(monkeypatch):
    """Make every name resolve to the given address; records the names asked."""
    asked: list[str] = []

    def use(address: str):
        def fake(host, port):
            asked.append(host)
            return [address]

        monkeypatch.setattr(guard, "resolve", fake)
        return asked

    return use


@pytest.fixture
def mock_push(monkeypatch):
    """Answer push requests from a MockTransport with the given statuses (default 201)."""
    seen: list[httpx.Request] = []
    statuses: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = statuses.pop(0) if statuses else 201
        headers = {"location": "http://127.0.0.1:8080/internal"} if status in (301, 302, 307) else {}
        return httpx.Response(status, headers=headers)

    monkeypatch.setattr(
        webpush,
        "_client",
        lambda: httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=False),
    )
    # The outbox's lane (async, one client per host) answers from the same handler.
    monkeypatch.setattr(
        webpush,
        "_async_client",
        lambda size: httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=False),
    )
    return seen, statuses


@pytest.fixture
def no_connection(monkeypatch):
    attempts: list = []

    def connect(self, address):
        attempts.append(address)
        raise OSError("test: connection attempted")

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


def test_push_is_encrypted_signed_and_sent_to_the_checked_address(
    composer, mayor, territory, resolves, mock_push
):
    resolves("142.250.74.10")
    seen, _statuses = mock_push
    push_subscriber()
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    request = seen[0]
    assert request.url.host == "142.250.74.10" and request.url.path == "/fcm/send/abc123"
    assert request.headers["host"] == "fcm.googleapis.com"
    assert request.extensions["sni_hostname"] == "fcm.googleapis.com"  # TLS checks the service's name
    assert request.headers["content-encoding"] == "aes128gcm"
    assert request.headers["authorization"].startswith("vapid t=")
    assert b"Risque" not in request.content  # encrypted
    assert Delivery.objects.get().state == "delivered"


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.1", "192.168.1.20", "169.254.169.254", "::1", "fd00::1"]
)
def test_push_service_name_resolving_to_a_private_address_gets_nothing(
    composer, mayor, territory, resolves, no_connection, address
):
    resolves(address)
    push_subscriber()
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    row = Delivery.objects.get()
    assert row.state == "failed" and "non publique" in row.last_error
    assert no_connection == []


def test_unknown_push_host_gets_nothing_and_is_not_even_resolved(
    composer, mayor, territory, resolves, no_connection
):
    asked = resolves("142.250.74.10")
    push_subscriber("https://push.example.org/abc")  # stored before the allow-list existed
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    row = Delivery.objects.get()
    assert row.state == "failed" and "not a known push service" in row.last_error
    assert asked == [] and no_connection == []


def test_redirect_from_the_push_service_is_not_followed(composer, mayor, territory, resolves, mock_push):
    resolves("142.250.74.10")
    seen, statuses = mock_push
    statuses.append(302)
    push_subscriber()
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    assert len(seen) == 1
    row = Delivery.objects.get()
    assert row.state == "failed" and "redirect" in row.last_error


@pytest.mark.parametrize("status", [404, 410])
def test_gone_subscription_is_removed(composer, mayor, territory, resolves, mock_push, status):
    resolves("142.250.74.10")
    _seen, statuses = mock_push
    statuses.append(status)
    sub = push_subscriber()
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    sub.refresh_from_db()
    assert not sub.active and sub.push_keys == {}
    assert Delivery.objects.get().state == "failed"


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/x",
        "http://127.0.0.1:8000/push",
        "http://127.0.0.1.attacker.example/push",
        "https://127.0.0.1/push",
        "https://fcm.googleapis.com.attacker.example/x",
        "https://fcm.googleapis.com:8443/x",
        "https://user@fcm.googleapis.com/x",
        "https://push.apple.com/x",
        "https://" + "a" * 600,
    ],
)
def test_endpoints_outside_the_push_services_are_refused(endpoint):
    with pytest.raises(UserError):
        normalise_address("webpush", endpoint)


@pytest.mark.parametrize(
    "endpoint",
    [
        ENDPOINT,
        "https://updates.push.services.mozilla.com/wpush/v2/gAAA",
        "https://web.push.apple.com/QGx",
        "https://db5p.notify.windows.com/w/?token=x",
    ],
)
def test_known_push_services_are_accepted(endpoint):
    assert normalise_address("webpush", endpoint) == endpoint


def test_allow_list_is_a_setting(settings):
    settings.PUSH_SERVICE_HOSTS = ["push.town.example"]
    assert normalise_address("webpush", "https://push.town.example/x")
    with pytest.raises(UserError):
        normalise_address("webpush", ENDPOINT)
