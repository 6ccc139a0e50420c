"""Connector HTTP retries: only transient failures are retried, Retry-After is honoured and capped,
callers get the same typed errors, and the SSRF guard and size cap still hold on every attempt.

Everything talks to a real server on 127.0.0.1 (tests/sources/fakeserver.py); waits are recorded
instead of slept.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from beffroi.sources.connectors.errors import BlockedURL, FetchError, NoNetwork
from beffroi.sources.connectors.http import HttpClient, retry_after_seconds


@pytest.fixture
def waits():
    return []


@pytest.fixture
def client(waits):
    def make(**kwargs):
        kwargs.setdefault("retries", 3)
        kwargs.setdefault("backoff", 0.5)
        kwargs.setdefault("timeout", 2)
        http = HttpClient(sleep=waits.append, **kwargs)
        made.append(http)
        return http

    made: list[HttpClient] = []
    yield make
    for http in made:
        http.close()


def test_server_errors_are_retried_with_exponential_backoff(server, client, waits):
    server.route("/x", body=b"busy", status=503, times=2)
    server.route("/x", body=b'{"ok": true}')
    fetched = client().request("GET", f"{server.url}/x")
    assert fetched.status == 200 and fetched.content == b'{"ok": true}'
    assert len(server.requests) == 3
    assert waits == [0.5, 1.0]


def test_persistent_server_error_raises_fetch_error_with_its_status(server, client, waits):
    server.route("/x", body=b"upstream down", status=502)
    with pytest.raises(FetchError, match="HTTP 502") as caught:
        client(retries=4).request("GET", f"{server.url}/x")
    assert caught.value.status == 502 and "upstream down" in str(caught.value)
    assert len(server.requests) == 4 and len(waits) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_client_errors_are_not_retried(server, client, waits, status):
    server.route("/x", body=b"no", status=status)
    with pytest.raises(FetchError) as caught:
        client().request("GET", f"{server.url}/x")
    assert caught.value.status == status
    assert len(server.requests) == 1 and waits == []


def test_429_waits_what_retry_after_asks(server, client, waits):
    server.route("/x", body=b"slow down", status=429, headers={"Retry-After": "7"}, times=1)
    server.route("/x", body=b"{}")
    assert client().request("GET", f"{server.url}/x").status == 200
    assert waits == [7.0]


def test_retry_after_is_capped(server, client, waits):
    server.route("/x", body=b"", status=429, headers={"Retry-After": "86400"}, times=1)
    server.route("/x", body=b"{}")
    assert client(max_retry_after=30).request("GET", f"{server.url}/x").status == 200
    assert waits == [30]


def test_429_without_retry_after_backs_off_then_fails_as_fetch_error(server, client, waits):
    server.route("/x", body=b"quota", status=429)
    with pytest.raises(FetchError) as caught:
        client(retries=2).request("GET", f"{server.url}/x")
    assert caught.value.status == 429
    assert waits == [0.5] and len(server.requests) == 2


def test_connection_refused_is_retried_then_reads_as_no_network(client, waits, settings):
    settings.SOURCES_ALLOW_HOSTS = ["127.0.0.1"]
    with socket.socket() as s:  # a port nobody listens on, on this machine only
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(NoNetwork, match="pas de réseau.*après 3 tentative"):
        client().request("GET", f"http://127.0.0.1:{port}/x")
    assert waits == [0.5, 1.0]


def test_timeout_is_retried_then_reads_as_timeout(server, client, waits):
    server.route("/x", body=b"{}", delay=1.0)
    with pytest.raises(NoNetwork, match="^délai dépassé"):
        client(timeout=0.2, retries=2).request("GET", f"{server.url}/x")
    assert len(server.requests) == 2 and waits == [0.5]


def test_redirect_to_a_non_public_host_is_refused_and_not_retried(server, client, waits):
    # 127.0.0.1 is allowed for the fake server, "localhost" is not: the hop must be checked.
    port = server.url.rsplit(":", 1)[1]
    server.route("/x", status=302, headers={"Location": f"http://localhost:{port}/y"})
    server.route("/y", body=b"secret")
    with pytest.raises(BlockedURL, match="localhost"):
        client().request("GET", f"{server.url}/x")
    assert [r[1] for r in server.requests] == ["/x"] and waits == []


def test_allowed_redirect_is_followed(server, client):
    server.route("/x", status=301, headers={"Location": "/y"})
    server.route("/y", body=b"here")
    fetched = client().request("GET", f"{server.url}/x")
    assert fetched.content == b"here" and fetched.url.endswith("/y")


def test_size_cap_is_not_retried(server, client, waits):
    server.route("/x", body=b"x" * 5000)
    with pytest.raises(FetchError, match="au-delà de la limite"):
        client(max_bytes=1000).request("GET", f"{server.url}/x")
    assert len(server.requests) == 1 and waits == []


def test_retry_after_header_forms():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now=now) == 120.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=45), usegmt=True), now=now) == 45.0
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0.0
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds(None) is None
