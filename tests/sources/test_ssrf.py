"""User-configured URLs reach only public addresses (checked after DNS and on every redirect)."""

import socket

import pytest

from beffroi.core.actors import SystemActor
from beffroi.sources.connectors.errors import BlockedURL, NoNetwork
from beffroi.sources.connectors.http import HttpClient, check_url
from beffroi.sources.models import Run
from beffroi.sources.runner import run_source


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/x",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_non_public_addresses_are_refused(url, settings):
    settings.SOURCES_ALLOW_HOSTS = []
    with pytest.raises(BlockedURL):
        check_url(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x/", "ftp://example.org/"])
def test_only_http_and_https(url):
    with pytest.raises(BlockedURL):
        check_url(url)


def test_a_public_name_resolving_to_a_private_address_is_refused(monkeypatch, settings):
    settings.SOURCES_ALLOW_HOSTS = []
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80))]
    )
    with pytest.raises(BlockedURL, match="10.1.2.3"):
        check_url("http://rebind.example.org/")


def test_unresolvable_host_reads_as_no_network(monkeypatch):
    def fail(*a, **k):
        raise socket.gaierror(-3, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(NoNetwork, match="pas de réseau"):
        check_url("https://hubeau.eaufrance.fr/api")


def test_the_local_server_is_refused_unless_allowed(server, settings):
    server.route("/x", body=b"{}")
    settings.SOURCES_ALLOW_HOSTS = []
    with pytest.raises(BlockedURL):
        HttpClient(retries=1).request("GET", f"{server.url}/x")
    settings.SOURCES_ALLOW_HOSTS = ["127.0.0.1"]
    assert HttpClient(retries=1).request("GET", f"{server.url}/x").content == b"{}"


@pytest.mark.django_db
def test_a_redirect_to_a_private_address_is_refused(server, make_source):
    port = server.url.rsplit(":", 1)[1]
    server.route("/InfoVigiCru.jsonld", status=302, headers={"Location": f"http://localhost:{port}/secret"})
    server.route("/secret", body=b"{}")
    run = run_source(
        make_source("vigicrues", sections="IF5", base_url=server.url), actor=SystemActor("poll_sources")
    )
    assert run.status == Run.Status.FAILED and "adresse non publique" in run.error
    assert [r[1] for r in server.requests] == ["/InfoVigiCru.jsonld"]
