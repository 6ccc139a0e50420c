"""The public site's languages and their folders, shared by every app that writes public pages
(the alerts' site in ``public``, the indicator pages in ``monitoring``): one list, one way of linking
a page to its other versions (``hreflang``)."""

from __future__ import annotations

from django.conf import settings

SITE_LANGUAGES = (("fr", ""), ("en", "en/"))


def page_languages(lang: str, folder: str, path: str) -> dict:
    """What a public page needs to link within its language and to its other versions: ``path`` is
    the page's place under its language's folder (``index.html``, ``indicateurs/marne.html``)."""
    return {
        "page_lang": lang,
        "page_root": f"/public/{folder}",
        "alternates": [(code, f"/public/{other}{path}") for code, other in SITE_LANGUAGES],
        "other_languages": [
            (code, f"/public/{other}{path}") for code, other in SITE_LANGUAGES if code != lang
        ],
        "public_url": settings.PUBLIC_URL.rstrip("/"),
    }
