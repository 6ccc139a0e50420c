from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from beffroi.alerts import render
from beffroi.alerts.models import Delivery, Subscriber
from beffroi.alerts.outbox import dispatch_all, dispatch_once
from beffroi.alerts.text import sms_segments

from .conftest import RUEIL, draft, publish_real

pytestmark = pytest.mark.django_db


class Recorder(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.received, server.statuses = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_signed_webhook_to_partner(composer, mayor, http_server, territory, settings):
    # A partner on the town's network: listed by the operator, exempt from the public-address rule.
    settings.WEBHOOK_ALLOW_HOSTS = [f"127.0.0.1:{http_server.server_address[1]}"]
    now = timezone.now()
    Subscriber.objects.create(
        channel="webhook",
        address=f"http://127.0.0.1:{http_server.server_address[1]}/hook",
        push_keys={"secret": "s3cret"},
        commune=RUEIL,
        token="w",
        confirmed_at=now,
    )
    version = publish_real(draft(composer), composer, mayor)
    dispatch_all()
    headers, body = http_server.received[0]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Beffroi-Signature"] == expected
    assert json.loads(body)["identifier"] == version.identifier
    assert Delivery.objects.get().state == "delivered"


def test_unreachable_gateway_is_retried_with_backoff(composer, mayor, territory, settings):
    settings.SMS_URL, settings.SMS_BREVO_BASE_URL = "brevo://key@/?sender=MAIRIE", "http://127.0.0.1:9"
    Subscriber.objects.create(
        channel="sms", address="+33600000001", commune=RUEIL, token="s", confirmed_at=timezone.now()
    )
    publish_real(draft(composer), composer, mayor)
    assert dispatch_once()["retry"] == 1
    row = Delivery.objects.get()
    assert row.state == "pending" and row.attempts == 1 and row.next_attempt_at > timezone.now()
    assert dispatch_once() == {"delivered": 0, "failed": 0, "retry": 0}  # not before its backoff


def test_social_text_is_cut_with_link(composer, territory):
    alert = draft(
        composer, texts={"fr": {"headline": "Crue", "description": "d", "instruction": "mot " * 200}}
    )
    text = render.social(alert.latest(), "bsky://user")
    assert len(text) <= 300 and text.endswith(render.alert_page_url(alert))
    assert len(render.social(alert.latest(), "mastodon://host/token")) <= 500


def test_sms_segments_and_length(composer, territory):
    assert sms_segments("a" * 160) == (1, "GSM-7")
    assert sms_segments("a" * 161) == (2, "GSM-7")
    assert sms_segments("œ" * 71) == (2, "UCS-2")
    alert = draft(
        composer, texts={"fr": {"headline": "Crue", "description": "d", "instruction": "mot " * 300}}
    )
    assert sms_segments(render.sms(alert.latest()))[0] <= 3


@pytest.mark.parametrize("instruction", ["mot " * 300, "Évacuez œuvres " * 40, "Montez {à} l'étage"])
def test_a_fan_outs_sms_rendered_once_is_each_subscribers_own(composer, territory, instruction):
    """The SMS kept on the version for one token length is what each subscriber's render would be."""
    alert = draft(
        composer, texts={"fr": {"headline": "Crue", "description": "d", "instruction": instruction}}
    )
    version = alert.latest()
    tokens = ["a" * 43, "Z9_-" * 10 + "abc", "q" * 42, "b" * 43]
    shared = [render.sms(version, "fr", Subscriber(token=token)) for token in tokens]
    alone = [
        render._sms(version, "fr", " STOP: " + render.unsubscribe_url(Subscriber(token=t))) for t in tokens
    ]
    assert shared == alone
    assert all(text.endswith(f"/desinscription/{token}/") for text, token in zip(shared, tokens, strict=True))
    assert all(sms_segments(text)[0] <= 3 for text in shared)
