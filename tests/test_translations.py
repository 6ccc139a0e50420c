"""The interface is French first, and the English catalogue is complete and compiled."""

import gettext
from pathlib import Path

import polib

import beffroi

LOCALE = Path(beffroi.__file__).parent / "locale" / "en" / "LC_MESSAGES"


def test_every_english_entry_is_translated():
    po = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [e.msgid for e in po if not e.obsolete and not e.translated()]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_matches_the_sources():
    po = polib.pofile(str(LOCALE / "django.po"))
    with open(LOCALE / "django.mo", "rb") as handle:
        mo = gettext.GNUTranslations(handle)
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            assert mo.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        else:
            key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
            assert mo.gettext(key) == entry.msgstr, entry.msgid
