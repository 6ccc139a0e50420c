"""SMS providers spoken in their documented formats, against local stand-ins on 127.0.0.1."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from beffroi.alerts.channels import TemporaryError, sms
from beffroi.alerts.models import Delivery, Subscriber
from beffroi.alerts.outbox import dispatch_all

from .conftest import RUEIL, draft, publish_real
from .servers import BrevoServer, OVHServer


@pytest.fixture
def brevo(settings):
    server = BrevoServer(fail_numbers={"33600000009"})
    settings.SMS_URL, settings.SMS_BREVO_BASE_URL = server.url, server.base
    yield server
    server.stop()


@pytest.fixture
def ovh(settings):
    server = OVHServer(fail_numbers={"+33600000009"})
    settings.SMS_URL, settings.SMS_OVH_BASE_URL = server.url, server.base + "/1.0"
    sms._ovh_clock.clear()
    yield server
    server.stop()


def test_brevo_request_has_api_key_and_documented_fields(brevo):
    message_id = sms.send_text("+33612345678", "Crue : évacuez", key="k1")
    assert message_id == "1001"
    body = brevo.requests[0]
    assert body["sender"] == "MAIRIE" and body["recipient"] == "33612345678"
    assert body["content"] == "Crue : évacuez" and body["type"] == "transactional"
    assert body["unicodeEnabled"] is False  # é is in GSM-7


def test_ovh_request_is_signed_with_the_providers_clock(ovh):
    # The stand-in checks the application and consumer keys, the timestamp (its clock is 2 minutes
    # ahead) and the "$1$" + SHA-1 signature of secret+consumer+method+url+body+timestamp.
    assert sms.send_text("+33612345678", "Crue", key="k1") == "5001"
    job = ovh.requests[0]
    assert job["receivers"] == ["+33612345678"] and job["message"] == "Crue"
    assert job["sender"] == "MAIRIE" and job["noStopClause"] is True


def test_ovh_invalid_receiver_in_an_accepted_job_is_a_permanent_failure(ovh):
    ovh.invalid_receivers.add("+33611111111")
    with pytest.raises(RuntimeError, match="invalidReceivers"):
        sms.send_text("+33611111111", "Crue", key="k1")
    assert ovh.counter.unique == 0


def test_ovh_wrong_secret_is_refused_by_the_signature(settings, ovh):
    settings.SMS_URL = ovh.url.replace(ovh.app_secret, "wrong")
    with pytest.raises(RuntimeError, match="Invalid signature"):
        sms.send_text("+33612345678", "Crue", key="k1")
    assert ovh.counter.unique == 0


@pytest.mark.parametrize("provider", ["brevo", "ovh"])
def test_provider_errors_are_told_apart(request, settings, provider):
    server = request.getfixturevalue(provider)
    bad_number = "+33600000009"
    with pytest.raises(RuntimeError, match="refused the message.*400"):
        sms.send_text(bad_number, "Crue", key="k")
    for status in (429, 500, 503):
        server.statuses.append(status)
        with pytest.raises(TemporaryError, match=str(status)):
            sms.send_text("+33612345678", "Crue", key="k")
    settings.SMS_URL = server.url.replace(
        BrevoServer.api_key if provider == "brevo" else OVHServer.consumer_key, "nope"
    )
    with pytest.raises(RuntimeError, match="refused the credentials"):
        sms.send_text("+33612345678", "Crue", key="k")
    assert server.counter.unique == 0


def test_unreachable_provider_is_a_temporary_error(settings):
    settings.SMS_URL, settings.SMS_BREVO_BASE_URL = "brevo://key@/?sender=MAIRIE", "http://127.0.0.1:9"
    with pytest.raises(TemporaryError):
        sms.send_text("+33612345678", "Crue", key="k")


@pytest.mark.parametrize(
    "url",
    [
        "https://gateway.example/sms",
        "ovh://onlytwo:parts@ovh-eu/sms-x",
        "ovh://a:b:c@ovh-mars/sms-x",
        "ovh://a:b:c@ovh-eu/",
        "brevo://@/?sender=MAIRIE",
        "brevo://key@/?sender=TOO-LONG-SENDER-NAME",
    ],
)
def test_bad_provider_urls_are_refused_with_the_variable_name(url):
    with pytest.raises(ImproperlyConfigured, match="BEFFROI_SMS_URL"):
        sms.parse_url(url)


def test_sms_to_subscribers_through_the_outbox(composer, mayor, territory, brevo):
    now = timezone.now()
    for i in (1, 9):
        Subscriber.objects.create(
            channel="sms", address=f"+3360000000{i}", commune=RUEIL, token=f"s{i}", confirmed_at=now
        )
    publish_real(draft(composer), composer, mayor)
    dispatch_all()
    states = dict(Delivery.objects.values_list("recipient", "state"))
    assert states == {"+33600000001": "delivered", "+33600000009": "failed"}
    assert "Invalid phone number" in Delivery.objects.get(recipient="+33600000009").last_error
    assert Delivery.objects.get(recipient="+33600000001").provider_id == "1001"
