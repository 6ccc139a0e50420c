"""The bytes of a fan-out's e-mails: Django builds one message per shape, each recipient's is filled in.

Building a message with Django (``EmailMessage.message().as_bytes()``, Python's ``email`` package
folding and encoding every header) costs about a millisecond of CPU; for 100,000 citizens that is
most of what the workers' two cores have to give. The e-mails of one alert differ only in the
recipient's address, the Message-ID, the Date and the unsubscribe link, so the first e-mail of a
shape is built by Django with a marker in place of each of those values; the others are that
template with the markers replaced by their own values.

Each marker has the length of the value it stands for and only letters and digits (the values
have none of the spaces, commas or semicolons where headers are folded, but the Date, whose line
is too short to fold), so every header and body line keeps its length, and Django's choices
(folding, transfer encoding) are the same for the template as for the real message. It is also
checked: a template is kept only when its fill for the first row is byte for byte what Django
builds for that row, and a shape whose fill differs goes through Django for every row. Values
that are not plain ASCII (an accented address, an internationalised domain) always go through
Django.
"""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import sanitize_address

_MARK = secrets.token_hex(5)  # 40 random bits: found nowhere else in a message
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\Z")
_VALUE = re.compile(r"[A-Za-z0-9._~:/?#@!$&'()*+=%<>-]+\Z")
# formatdate()'s fixed-length form: a header line too short to be folded, spaces or not
_DATE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}\Z")
_FILLED = ("Message-ID", "Date", "List-Unsubscribe")  # the headers whose value is each row's own
_MAX_SHAPES = 512  # a fan-out has a few dozen (languages × value lengths); emptied past this

_templates: dict[tuple, bytes | None] = {}
_senders: dict[tuple[str, str], str] = {}


def django_bytes(mail: EmailMessage) -> bytes:
    """The message exactly as Django's SMTP backend sends it."""
    # Django's MIME classes take ``linesep``, as its SMTP backend calls them
    return mail.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]


def sender(mail: EmailMessage) -> str:
    encoding = mail.encoding or settings.DEFAULT_CHARSET
    key = (mail.from_email, encoding)
    if key not in _senders:
        _senders[key] = sanitize_address(mail.from_email, encoding)
    return _senders[key]


def recipients(mail: EmailMessage) -> list[str]:
    encoding = mail.encoding or settings.DEFAULT_CHARSET
    # A plain ASCII address is what sanitize_address returns it as; the others go through it.
    return [
        address if _ADDRESS.match(address) else sanitize_address(address, encoding)
        for address in mail.recipients()
    ]


def wire_bytes(mail: EmailMessage) -> bytes:
    """``django_bytes(mail)``, from the template of its shape when there is a proven one."""
    values = _values(mail)
    if values is None:
        return django_bytes(mail)
    marks = [(_mark(value, i), value) for i, value in enumerate(values)]
    body, headers = _masked(mail, marks)
    shape = (mail.from_email, mail.subject, mail.encoding, marks[0][0], body, tuple(headers.items()))
    if shape in _templates:
        template = _templates[shape]
        return _fill(template, marks) if template is not None else django_bytes(mail)
    real = django_bytes(mail)
    masked = EmailMessage(
        subject=mail.subject, body=body, from_email=mail.from_email, to=[marks[0][0]], headers=headers
    )
    masked.encoding = mail.encoding
    template = django_bytes(masked)
    if _fill(template, marks) != real:
        template = None  # Django builds this shape in a way the markers do not survive
    if len(_templates) >= _MAX_SHAPES:
        _templates.clear()
    _templates[shape] = template
    return real


def _values(mail: EmailMessage) -> list[str] | None:
    """The row's own values (address, then the filled headers') when a template can serve the mail."""
    if len(mail.to) != 1 or mail.cc or mail.bcc or mail.reply_to or mail.attachments:
        return None
    values = [mail.to[0]]
    for name in _FILLED:
        value = mail.extra_headers.get(name)
        if value is not None:
            values.append(str(value).removeprefix("<").removesuffix(">"))
    if not _ADDRESS.match(values[0]) or not all(
        _VALUE.match(value) or _DATE.match(value) for value in values[1:]
    ):
        return None
    if len(values[0]) < len(_MARK) + 3 or min(map(len, values[1:]), default=99) <= len(_MARK):
        return None  # too short to hold a marker
    if len(set(values)) != len(values):
        return None  # one value twice: its marker would be ambiguous
    return values


def _mark(value: str, i: int) -> str:
    """The ``i``-th value's marker, as long as ``value``: an address for the address, letters and
    digits otherwise."""
    if i == 0:
        return f"{_MARK}{i}" + "0" * (len(value) - len(_MARK) - 3) + "@b"
    return f"{_MARK}{i}" + "0" * (len(value) - len(_MARK) - 1)


def _masked(mail: EmailMessage, marks: list[tuple[str, str]]) -> tuple[str, dict]:
    """The mail's body and headers with each row's value replaced by its marker (an e-mail is
    built from them only for a new shape)."""
    headers = dict(mail.extra_headers)
    body = str(mail.body)
    for mark, value in marks:
        body = body.replace(value, mark)
        for name in _FILLED:
            if name in headers:
                headers[name] = str(headers[name]).replace(value, mark)
    return body, headers


def _fill(template: bytes, marks: list[tuple[str, str]]) -> bytes:
    for mark, value in marks:
        template = template.replace(mark.encode(), value.encode())
    return template
