"""E-mail through Django's mail (SMTP configured by ``BEFFROI_EMAIL_URL``)."""

from __future__ import annotations

import contextlib
import smtplib
import threading

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from beffroi.alerts import render
from beffroi.alerts.channels import TemporaryError

_local = threading.local()


def _connection():
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = get_connection(fail_silently=False)
        _local.conn = conn
    return conn


def _reset():
    conn = getattr(_local, "conn", None)
    _local.conn = None
    if conn is not None:
        with contextlib.suppress(Exception):  # a broken connection is being discarded
            conn.close()


def message(to: str, subject: str, body: str, *, key: str, unsubscribe: str = "") -> EmailMessage:
    headers = {"Message-ID": f"<{key}@beffroi>", "Auto-Submitted": "auto-generated"}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
    return EmailMessage(
        subject=subject.replace("\n", " "),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )


def send(delivery) -> str:
    if delivery.staff_message_id:  # a page to on-call staff: their own words, no unsubscribe link
        subject, body, unsubscribe = delivery.staff_message.subject, delivery.staff_message.text, ""
    else:
        subject, body = render.email(delivery.version, delivery.language, delivery.subscriber)
        unsubscribe = render.unsubscribe_url(delivery.subscriber)
    mail = message(delivery.recipient, subject, body, key=delivery.idempotency_key, unsubscribe=unsubscribe)
    try:
        _connection().send_messages([mail])
    except smtplib.SMTPRecipientsRefused as exc:
        raise RuntimeError(f"SMTP refused recipient: {exc.recipients}") from None
    except (
        TimeoutError,
        smtplib.SMTPServerDisconnected,
        smtplib.SMTPConnectError,
        ConnectionError,
        OSError,
    ) as exc:
        _reset()
        raise TemporaryError(f"SMTP: {exc}") from None
    except smtplib.SMTPResponseException as exc:
        _reset()
        if 400 <= exc.smtp_code < 500:
            raise TemporaryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from None
        raise RuntimeError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from None
    return f"<{delivery.idempotency_key}@beffroi>"
