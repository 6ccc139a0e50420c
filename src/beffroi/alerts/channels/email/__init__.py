"""E-mail through Django's mail (SMTP configured by ``BEFFROI_EMAIL_URL``).

The outbox's transport keeps ``BEFFROI_EMAIL_CONNECTIONS`` SMTP connections open, one per sending
thread, each carrying message after message (Django's backend closes a connection after each call
unless it was opened beforehand, which is what ``_connection`` does). Each citizen gets a message
of their own: the unsubscribe link and the Message-ID (the idempotency key) are theirs.
"""

from __future__ import annotations

import contextlib
import smtplib
import threading
from dataclasses import dataclass
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

from beffroi.alerts import render
from beffroi.alerts.channels import TemporaryError
from beffroi.alerts.channels.email import wire

_local = threading.local()


_opened: list = []  # every connection the transport's threads opened, closed with it


def _connection():
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = get_connection(fail_silently=False)
        conn.open()  # opened here, so that send_messages keeps it for the next message
        _local.conn = conn
        _opened.append(conn)
    return conn


def _reset():
    conn = getattr(_local, "conn", None)
    _local.conn = None
    if conn in _opened:
        _opened.remove(conn)
    if conn is not None:
        with contextlib.suppress(Exception):  # a broken connection is being discarded
            conn.close()


def message(to: str, subject: str, body: str, *, key: str, unsubscribe: str = "") -> EmailMessage:
    headers = {
        "Message-ID": f"<{key}@beffroi>",
        "Auto-Submitted": "auto-generated",
        # Set here rather than by Django, so that a fan-out's e-mails of one second share a shape
        # (``wire``); the same value Django would give.
        "Date": formatdate(localtime=settings.EMAIL_USE_LOCALTIME),
    }
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
    return EmailMessage(
        subject=subject.replace("\n", " "),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )


@dataclass(frozen=True)
class Prepared:
    """A message ready for the wire: its envelope and bytes exactly as Django's SMTP backend would
    build them, built when the outbox prepares the row (in the worker's main thread), so that a
    sending thread only talks SMTP and each connection goes from one message to the next at once."""

    mail: EmailMessage
    sender: str
    recipients: list[str]
    data: bytes


def envelope(mail: EmailMessage) -> Prepared:
    return Prepared(mail, wire.sender(mail), wire.recipients(mail), wire.wire_bytes(mail))


def prepare(delivery) -> Prepared:
    if delivery.staff_message_id:  # a page to on-call staff: their own words, no unsubscribe link
        subject, body, unsubscribe = delivery.staff_message.subject, delivery.staff_message.text, ""
    else:
        subject, body = render.email(delivery.version, delivery.language, delivery.subscriber)
        unsubscribe = render.unsubscribe_url(delivery.subscriber)
    return envelope(
        message(delivery.recipient, subject, body, key=delivery.idempotency_key, unsubscribe=unsubscribe)
    )


def send(delivery) -> str:
    return send_prepared(prepare(delivery))


def _send(prepared: Prepared) -> None:
    conn = _connection()
    if isinstance(conn, SMTPBackend):
        if conn.connection is None:  # closed under us: the caller retries on a fresh connection
            raise smtplib.SMTPServerDisconnected("connection closed")
        conn.connection.sendmail(prepared.sender, prepared.recipients, prepared.data)
    else:  # another backend (the console, or the tests' memory): it builds the message itself
        conn.send_messages([prepared.mail])


def send_prepared(prepared: Prepared, *, again: bool = True) -> str:
    reused = getattr(_local, "conn", None) is not None
    try:
        _send(prepared)
    except smtplib.SMTPRecipientsRefused as exc:
        raise RuntimeError(f"SMTP refused recipient: {exc.recipients}") from None
    except smtplib.SMTPServerDisconnected as exc:
        _reset()
        if reused and again:  # an idle connection the server dropped: this message goes on a fresh one
            return send_prepared(prepared, again=False)
        raise TemporaryError(f"SMTP: {exc}") from None
    except (
        TimeoutError,
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
    return str(prepared.mail.extra_headers["Message-ID"])


def transport_config() -> tuple:
    return (
        settings.EMAIL_BACKEND,
        getattr(settings, "EMAIL_HOST", ""),
        getattr(settings, "EMAIL_PORT", 0),
        _batch(),
    )


def _batch() -> int:
    """Messages a connection is handed at a time: one on a rate-limited lane, whose limiter spaces
    hand-overs, so that it spaces messages."""
    from beffroi.alerts.channels import lane_settings

    rate = lane_settings("email")[1]
    return 1 if rate else int(settings.OUTBOX_CHANNELS.get("email", {}).get("batch", 1))


def _close_all() -> None:
    while _opened:
        conn = _opened.pop()
        with contextlib.suppress(Exception):  # closing connections that may already be broken
            conn.close()


def transport():
    from beffroi.alerts.channels import lane_settings
    from beffroi.alerts.sending import ThreadTransport

    return ThreadTransport(send_prepared, lane_settings("email")[0], batch_size=_batch(), close=_close_all)
