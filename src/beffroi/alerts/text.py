"""Plain text only: what looks like markup is shown as text, never interpreted, in every channel."""

from __future__ import annotations

import html
import re
import unicodedata

from beffroi.core.errors import Problem, UserError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG = re.compile(r"<[^>]*>")
# What CAP profiles (Google's TEXT_CONTAINS_HTML_TAGS/ENTITIES) and our channels refuse: a tag
# such as ``<b>`` or ``</p>``, or an entity such as ``&amp;`` or ``&#233;``.
_MARKUP = re.compile(r"</?[A-Za-z!][^>]*>|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXT = set("^{}\\[~]|€")


def clean(value: str | None, *, multiline: bool = True) -> str:
    """Normalise user text: NFC, no control characters, trimmed; markup is kept as literal text."""
    value = unicodedata.normalize("NFC", value or "")
    value = _CONTROL.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        value = " ".join(value.split())
    return value.strip()


def has_markup(value: str | None) -> bool:
    return bool(_MARKUP.search(value or ""))


def refuse_markup(value: str, what: str, field: str) -> str:
    """Return ``value`` unless it holds markup: alerts are plain text in every channel and in CAP."""
    if has_markup(value):
        from django.utils.translation import gettext as _

        message = _(
            "%(what)s : le texte contient du balisage (balise HTML ou entité comme &amp;) ; "
            "écrivez du texte simple."
        ) % {"what": what}
        raise UserError(message, [Problem(message, field=field)])
    return value


def strip_markup(value: str) -> str:
    """For channels that cannot escape (SMS, push, social): drop tags, decode nothing."""
    return _TAG.sub("", value)


def escape(value: str) -> str:
    return html.escape(value, quote=True)


def sms_segments(text: str) -> tuple[int, str]:
    """(number of SMS segments, encoding) for a message: GSM-7 (160/153) or UCS-2 (70/67)."""
    if all(ch in GSM7 or ch in GSM7_EXT for ch in text):
        units = sum(2 if ch in GSM7_EXT else 1 for ch in text)
        return (1 if units <= 160 else -(-units // 153)), "GSM-7"
    units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
    return (1 if units <= 70 else -(-units // 67)), "UCS-2"


def cut(text: str, limit: int, suffix: str = "", ellipsis: str = "…") -> str:
    """Cut ``text`` on a word boundary so that ``text + suffix`` fits ``limit`` characters."""
    room = limit - len(suffix)
    if len(text) <= room:
        return text + suffix
    short = text[: max(room - len(ellipsis), 0)].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return short + ellipsis + suffix
