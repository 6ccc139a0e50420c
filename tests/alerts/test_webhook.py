"""Partner webhooks: the partner's URL passes the SSRF guard at every send, redirects are refused.

Nothing here reaches the network: name resolution is stubbed (``http.resolve``); accepted requests
go to an httpx MockTransport or to a server on 127.0.0.1 listed in ``WEBHOOK_ALLOW_HOSTS``, and for
refusals ``socket.connect`` is replaced by a recorder that proves no connection was attempted.
"""

from __future__ import annotations

import socket

import httpx
import pytest
from django.utils import timezone

from beffroi.alerts.channels import webhook
from beffroi.alerts.models import Delivery, Subscriber
from beffroi.alerts.outbox import dispatch_all
from beffroi.alerts.sending import engine
from beffroi.sources.connectors import http as guard

from .conftest import RUEIL, draft, publish_real
from .test_channels import http_server  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_lanes():
    """Each test's transports are built from its own client factory (the engine keeps lanes)."""
    engine().reset()
    yield
    engine().reset()


URL = "https://panneaux.partner.example/hook?town=92063"


def partner(url=URL):
    return Subscriber.objects.create(
        channel="webhook",
        address=url,
        push_keys={"secret": "s3cret"},
        commune=RUEIL,
        token="w",
        confirmed_at=timezone.now(),
    )


@pytest.fixture
def resolves(monkeypatch):
    asked: list[str] = []

    def use(address: str):
        def fake(host, port):
            asked.append(host)
            return [address]

        monkeypatch.setattr(guard, "resolve", fake)
        return asked

    return use


@pytest.fixture
def mock_partner(monkeypatch):
    seen: list[httpx.Request] = []
    statuses: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = statuses.pop(0) if statuses else 200
        headers = {"location": "http://127.0.0.1:8080/internal"} if 300 <= status < 400 else {}
        return httpx.Response(status, headers=headers)

    monkeypatch.setattr(
        webhook,
        "_client",
        lambda: httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=False),
    )
    # The outbox's lane (async, one client per host) answers from the same handler.
    monkeypatch.setattr(
        webhook,
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


def test_webhook_goes_to_the_address_the_guard_checked(composer, mayor, territory, resolves, mock_partner):
    asked = resolves("93.184.216.34")
    seen, _statuses = mock_partner
    partner()
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    request = seen[0]
    assert asked == ["panneaux.partner.example"]
    assert request.url.host == "93.184.216.34" and request.url.path == "/hook"
    assert request.url.query == b"town=92063"
    assert request.headers["host"] == "panneaux.partner.example"
    assert request.extensions["sni_hostname"] == "panneaux.partner.example"
    assert request.headers["x-beffroi-signature"].startswith("sha256=")
    assert Delivery.objects.get().state == "delivered"


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.5", "172.16.3.4", "192.168.1.20", "169.254.169.254", "::1", "fd00::1"]
)
def test_webhook_resolving_to_a_private_address_gets_nothing(
    composer, mayor, territory, resolves, no_connection, address
):
    resolves(address)
    partner()
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    row = Delivery.objects.get()
    assert row.state == "failed" and "non publique" in row.last_error
    assert no_connection == []


@pytest.mark.parametrize(
    "url",
    [
        "http://panneaux.partner.example/hook",  # plain http outside the allow-list
        "https://user:pw@panneaux.partner.example/hook",
        "ftp://panneaux.partner.example/hook",
        "http://127.0.0.1.attacker.example/hook",
    ],
)
def test_webhook_urls_refused_before_any_resolution(composer, mayor, territory, resolves, no_connection, url):
    asked = resolves("93.184.216.34")
    partner(url)
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    row = Delivery.objects.get()
    assert row.state == "failed" and "refused" in row.last_error
    assert asked == [] and no_connection == []


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_webhook_redirect_is_not_followed(composer, mayor, territory, resolves, mock_partner, status):
    resolves("93.184.216.34")
    seen, statuses = mock_partner
    statuses.append(status)
    partner()
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    assert len(seen) == 1  # the Location (a loopback address) was never asked
    row = Delivery.objects.get()
    assert row.state == "failed" and "redirect" in row.last_error


def test_redirect_from_an_allowed_local_partner_is_not_followed(
    composer,
    mayor,
    territory,
    http_server,  # noqa: F811 - the fixture imported above
    settings,
):
    port = http_server.server_address[1]
    settings.WEBHOOK_ALLOW_HOSTS = [f"127.0.0.1:{port}"]
    http_server.statuses.append(302)
    partner(f"http://127.0.0.1:{port}/hook")
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    assert len(http_server.received) == 1
    assert Delivery.objects.get().state == "failed"


def test_allow_list_names_a_port_not_the_whole_host(composer, mayor, territory, no_connection, settings):
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1:9999"]
    partner("http://127.0.0.1:8000/admin")
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    row = Delivery.objects.get()
    assert row.state == "failed" and "https required" in row.last_error
    assert no_connection == []
