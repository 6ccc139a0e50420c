"""Staff pages (threshold crossings, staff notifications) go through the outbox like citizens' messages."""

from __future__ import annotations

import pytest

from beffroi.accounts.actions import do_update_staff_profile
from beffroi.alerts import actions
from beffroi.alerts.models import Delivery
from beffroi.alerts.outbox import dispatch_all, dispatch_once
from beffroi.core.actors import SystemActor
from beffroi.core.audit import AuditEvent
from beffroi.monitoring.paging import page_staff

from .conftest import RUEIL
from .servers import BrevoServer

pytestmark = pytest.mark.django_db

MONITOR = SystemActor("monitoring")


@pytest.fixture
def brevo(settings):
    server = BrevoServer()
    settings.SMS_URL, settings.SMS_BREVO_BASE_URL = server.url, server.base
    yield server
    server.stop()


@pytest.fixture
def on_call(make_user):
    user = make_user("maire", [RUEIL])
    user.email = "maire@example.org"
    user.save()
    do_update_staff_profile(user, mobile="06 11 22 33 44", phone="", actor=user)
    return user


def test_staff_get_email_and_sms_to_their_profile_mobile_through_the_outbox(on_call, brevo, mailoutbox):
    assert actions.do_notify_staff([on_call], "Seuil franchi", "Crue <b>forte</b>", actor=MONITOR) == 2
    assert mailoutbox == [] and brevo.counter.unique == 0  # queued, not sent inline
    assert dispatch_all()["delivered"] == 2
    assert mailoutbox[0].to == ["maire@example.org"] and "Crue" in mailoutbox[0].body
    assert "List-Unsubscribe" not in mailoutbox[0].extra_headers
    assert brevo.requests[0]["recipient"] == "33611223344"
    assert brevo.requests[0]["content"].startswith("Seuil franchi\n")
    assert AuditEvent.objects.filter(action="alerts.notify_staff").get().detail["queued"] == 2


def test_staff_sms_is_retried_when_the_provider_fails(on_call, brevo):
    brevo.statuses.append(503)
    actions.do_notify_staff([on_call], "Seuil", "Crue", actor=MONITOR)
    assert dispatch_once() == {"delivered": 1, "failed": 0, "retry": 1}
    row = Delivery.objects.get(channel="sms")
    assert row.state == "pending" and row.attempts == 1 and "503" in row.last_error
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=row.next_attempt_at.replace(year=2000))
    assert dispatch_once()["delivered"] == 1 and brevo.counter.unique == 1


def test_no_sms_row_without_a_provider(on_call, settings):
    settings.SMS_URL = ""
    assert actions.do_notify_staff([on_call], "Seuil", "Crue", actor=MONITOR) == 1
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["email"]


def test_monitoring_pages_through_the_outbox(on_call, brevo, mailoutbox):
    assert page_staff([on_call], "[Beffroi] Seine : vigilance", "4,2 m", actor=MONITOR) == 2
    assert Delivery.objects.filter(staff_message__isnull=False, version__isnull=True).count() == 2
    dispatch_all()
    assert len(mailoutbox) == 1 and brevo.counter.unique == 1
