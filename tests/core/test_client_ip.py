"""The client address behind BEFFROI_PROXY_COUNT trusted proxies: audit trail and lockout agree."""

from __future__ import annotations

import pytest
from axes.helpers import get_client_ip_address
from django.test import RequestFactory

from beffroi.core.models import AuditEvent
from beffroi.core.request_context import client_ip
from tests.conftest import PASSWORD


def _request(remote="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.1"),  # no proxy: the header is the client's word, ignored
        (1, "203.0.113.7", "203.0.113.7"),  # nginx appended the client
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client's own forged entry is ignored
        (2, "6.6.6.6, 203.0.113.7, 198.51.100.2", "203.0.113.7"),  # CDN then nginx
        (1, " 2001:db8::1 ", "2001:db8::1"),
        (2, "203.0.113.7", "10.0.0.1"),  # fewer entries than proxies: not trustworthy
        (1, "", "10.0.0.1"),
        (1, "pas-une-adresse", "10.0.0.1"),  # malformed: the socket address
        (1, "203.0.113.7, ", "10.0.0.1"),
        (1, None, "10.0.0.1"),
    ],
)
def test_client_is_the_nth_address_from_the_right(settings, count, forwarded, expected):
    settings.PROXY_COUNT = count
    assert client_ip(_request(forwarded=forwarded)) == expected


def test_axes_uses_the_same_rule(settings):
    settings.PROXY_COUNT = 1
    request = _request(forwarded="6.6.6.6, 203.0.113.7")
    assert get_client_ip_address(request) == "203.0.113.7"


@pytest.mark.django_db
def test_audit_trail_records_the_forwarded_client(client, make_user, settings):
    settings.PROXY_COUNT = 1
    user = make_user("lecteur")
    client.post(
        "/accounts/login/",
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
    )
    entry = AuditEvent.objects.filter(action="auth.login").latest("pk")
    assert entry.ip == "203.0.113.7"
