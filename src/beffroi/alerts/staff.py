"""Messages to on-call staff (never citizens) through the outbox: the monitoring app's pager.

Apart from the alert actions because every process registers it at start-up (AlertsConfig.ready):
the outbox's dispatch workers included, whose start must stay short (a killed worker's restart is
time citizens wait), and the alert actions import CAP, areas and targeting.
"""

from __future__ import annotations

import logging

from django.db import transaction

from beffroi.accounts.selectors import staff_contacts
from beffroi.alerts import outbox
from beffroi.alerts.text import clean
from beffroi.core import audit
from beffroi.core.actors import Actor
from beffroi.core.permissions import require

log = logging.getLogger(__name__)


def do_notify_staff(users, subject: str, text: str, *, actor: Actor) -> int:
    """Queue a message to on-call staff (never citizens) in the outbox: e-mail, and SMS to the
    mobile of their staff profile when an SMS provider is configured. Returns how many messages
    were queued; the outbox workers send them with retries, after this transaction commits."""
    from beffroi.alerts.channels import sms as sms_channel
    from beffroi.alerts.models import StaffMessage

    require(actor, "alerts.add_alert", system=("monitoring", "crisis"))
    users = list(users)
    subject, text = clean(subject, multiline=False)[:200], clean(text)
    sms_ready = sms_channel.configured()
    rows: list[tuple[str, str]] = []
    for contact in staff_contacts(users):
        if contact.email:
            rows.append(("email", contact.email))
        if contact.mobile and sms_ready:
            rows.append(("sms", contact.mobile))
    with transaction.atomic():
        message = StaffMessage.objects.create(subject=subject, text=text)
        queued = outbox.enqueue_staff(message, rows)
        audit.record(
            actor,
            "alerts.notify_staff",
            message,
            detail={"subject": subject, "users": [u.pk for u in users], "queued": queued},
        )
        if queued:
            transaction.on_commit(_dispatch_soon)
    return queued


def _dispatch_soon() -> None:
    try:
        from beffroi.alerts.tasks import dispatch_outbox

        dispatch_outbox()
    except Exception:
        log.exception("alerts: scheduling the outbox dispatch failed")
