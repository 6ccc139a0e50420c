from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from beffroi.alerts import actions, render
from beffroi.alerts.models import Delivery, Subscriber
from beffroi.alerts.outbox import dispatch_all, dispatch_once
from beffroi.alerts.text import sms_segments
from beffroi.core.actors import SystemActor

from .conftest import RUEIL, draft, publish_real
from .servers import SMSGateway

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


def test_signed_webhook_to_partner(composer, mayor, http_server, territory):
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


def test_gateway_errors_retry_then_record_reason(composer, mayor, territory, settings):
    gateway = SMSGateway(fail_numbers={"+33600000002"})
    settings.SMS_URL = gateway.url
    now = timezone.now()
    for i in (1, 2):
        Subscriber.objects.create(
            channel="sms", address=f"+3360000000{i}", commune=RUEIL, token=f"s{i}", confirmed_at=now
        )
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    gateway.stop()
    states = dict(Delivery.objects.values_list("recipient", "state"))
    assert states == {"+33600000001": "delivered", "+33600000002": "failed"}
    assert "invalid receiver" in Delivery.objects.get(recipient="+33600000002").last_error


def test_unreachable_gateway_is_retried_with_backoff(composer, mayor, territory, settings):
    settings.SMS_URL = "http://127.0.0.1:9/sms"
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


def test_notify_staff_by_email(make_user, mailoutbox):
    user = make_user("maire", [RUEIL])
    user.email = "maire@example.org"
    user.save()
    assert (
        actions.do_notify_staff([user], "Seuil franchi", "Crue <b>forte</b>", actor=SystemActor("monitoring"))
        == 1
    )
    assert mailoutbox[0].to == ["maire@example.org"] and "Crue" in mailoutbox[0].body


def test_web_push_is_encrypted_and_signed_with_vapid(composer, mayor, http_server, territory, settings):
    import base64
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    server_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    settings.VAPID_PRIVATE_KEY = server_key.decode()
    browser = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    endpoint = f"http://127.0.0.1:{http_server.server_address[1]}/push/abc"
    Subscriber.objects.create(
        channel="webpush",
        address=endpoint,
        commune=RUEIL,
        token="p",
        push_keys={"p256dh": b64(browser), "auth": b64(os.urandom(16))},
        confirmed_at=timezone.now(),
    )
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    headers, body = http_server.received[0]
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers["content-encoding"] == "aes128gcm", headers
    assert headers["authorization"].startswith("vapid t=")
    assert b"Risque" not in body  # encrypted
    assert Delivery.objects.get().state == "delivered"
