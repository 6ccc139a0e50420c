"""What each channel shows of a version: plain text only, EXERCICE marked, links to the public page."""

from __future__ import annotations

import re

from django.conf import settings

from beffroi.alerts.text import clean, cut, sms_segments, strip_markup
from beffroi.territory.selectors import commune_names

SMS_MAX_SEGMENTS = 3
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\Z")  # a subscriber token's characters: all GSM-7 basic
SOCIAL_LIMITS = {"mastodon": 500, "mastodons": 500, "bluesky": 300, "bsky": 300, "twitter": 280, "x": 280}
PREFIX = {
    "Alert": "",
    # GSM-7 characters only (no dash or capital accent): a prefix must not turn every SMS into UCS-2.
    "Update": {"fr": "MISE A JOUR - ", "en": "UPDATE - ", "falc": "NOUVELLE INFO - "},
    "Cancel": {"fr": "FIN D'ALERTE - ", "en": "ALL CLEAR - ", "falc": "C'EST FINI - "},
}


def public_url(path: str = "") -> str:
    """Absolute address of a public file: ``settings.PUBLIC_URL`` read at call time (the serving
    command sets it to the host and port it serves when the environment does not)."""
    base = settings.PUBLIC_URL.rstrip("/")
    return f"{base}/public/{path.lstrip('/')}"


def alert_page_url(alert) -> str:
    return public_url(f"{'exercice/' if alert.is_exercise else ''}alertes/{alert.pk}.html")


def unsubscribe_url(subscriber) -> str:
    return public_url(f"abonnement/desinscription/{subscriber.token}/") if subscriber else ""


def _texts(version, lang: str) -> dict[str, str]:
    text = version.text(lang) or version.text("fr")
    return {k: clean(text.get(k)) for k in ("headline", "description", "instruction")}


def headline(version, lang: str = "fr") -> str:
    t = _texts(version, lang)
    prefix = PREFIX.get(version.msg_type) or {}
    head = (str(prefix.get(lang, prefix.get("fr", ""))) if isinstance(prefix, dict) else "") + t["headline"]
    if version.alert.is_exercise:
        head = "EXERCICE - " + head
    return head


def subject_prefix(version) -> str:
    """The e-mail subject's tag: the names of the alert's communes (not their codes).

    Kept on the version object for its communes: the outbox hands every row of a batch the same
    version object, so a fan-out asks the database once, not once per e-mail.
    """
    codes = tuple((version.area or {}).get("communes") or [version.alert.commune])
    memo = version.__dict__.setdefault("_subject_prefix", {})
    if codes not in memo:
        names = commune_names(codes)
        memo[codes] = ", ".join(names.get(code, code) for code in codes)
    return memo[codes]


def email(version, lang: str = "fr", subscriber=None) -> tuple[str, str]:
    t = _texts(version, lang)
    lines = [headline(version, lang), ""]
    if t["description"]:
        lines += [t["description"], ""]
    if t["instruction"]:
        lines += [("What to do:" if lang == "en" else "Que faire :"), t["instruction"], ""]
    lines.append(
        ("More information: " if lang == "en" else "Plus d'informations : ") + alert_page_url(version.alert)
    )
    if version.contact:
        lines.append(
            ("Contact: " if lang == "en" else "Contact : ") + clean(version.contact, multiline=False)
        )
    if subscriber is not None:
        lines += [
            "",
            ("Unsubscribe: " if lang == "en" else "Se désinscrire : ") + unsubscribe_url(subscriber),
        ]
    return strip_markup(f"[{subject_prefix(version)}] {headline(version, lang)}"), strip_markup(
        "\n".join(lines)
    )


def sms(version, lang: str = "fr", subscriber=None) -> str:
    """The SMS of a version for one subscriber: as many words as fit three segments, the link to
    the public page, and the subscriber's own STOP link.

    A fan-out renders it once per language and token length: the cut depends on the STOP link only
    through its length and character set, the same for every token of one length (letters, digits,
    ``-`` and ``_``: GSM-7 basic characters), so the rest is kept on the version object.
    """
    stop = (" STOP: " + unsubscribe_url(subscriber)) if subscriber is not None else ""
    if not stop or not _TOKEN.match(subscriber.token):
        return _sms(version, lang, stop)
    memo = version.__dict__.setdefault("_sms_heads", {})
    key = (lang, len(stop))
    if key not in memo:
        memo[key] = _sms(version, lang, stop).removesuffix(stop)
    return memo[key] + stop


def _sms(version, lang: str, stop: str) -> str:
    t = _texts(version, lang)
    link = " " + alert_page_url(version.alert)
    body = strip_markup(" ".join(x for x in [headline(version, lang) + ".", t["instruction"]] if x))
    body = " ".join(body.split())
    # GSM-7 allows 3 x 153 characters; one non-GSM character (œ, emoji…) switches to UCS-2 (3 x 67).
    limit = (
        67 * SMS_MAX_SEGMENTS if sms_segments(body + link + stop)[1] == "UCS-2" else 153 * SMS_MAX_SEGMENTS
    )
    text = cut(body, limit, link + stop, ellipsis="...")
    while sms_segments(text)[0] > SMS_MAX_SEGMENTS and limit > 40:  # GSM-7 escapes count double
        limit -= 10
        text = cut(body, limit, link + stop, ellipsis="...")
    return text


def push(version, lang: str = "fr") -> dict:
    t = _texts(version, lang)
    return {
        "title": strip_markup(headline(version, lang))[:120],
        "body": strip_markup(cut(t["instruction"] or t["description"], 180)),
        "url": alert_page_url(version.alert),
    }


def social(version, url: str, lang: str = "fr") -> str:
    scheme = url.split("://", 1)[0].lower()
    limit = SOCIAL_LIMITS.get(scheme, 280)
    t = _texts(version, lang)
    body = strip_markup(" ".join(x for x in [headline(version, lang) + ".", t["instruction"]] if x))
    return cut(" ".join(body.split()), limit, " " + alert_page_url(version.alert))


def previews(version) -> dict:
    """The live preview of every channel, per language."""
    out = {}
    for lang in version.languages:
        text = sms(version, lang)
        segments, encoding = sms_segments(text)
        subject, body = email(version, lang)
        out[lang] = {
            "sms": text,
            "sms_length": len(text),
            "sms_segments": segments,
            "sms_encoding": encoding,
            "email_subject": subject,
            "email_body": body,
            "push": push(version, lang),
            "social": social(version, "mastodon://x", lang),
        }
    return out
