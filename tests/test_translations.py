"""The interface is French first, and every English catalogue (the project's and the apps' own) is
complete and compiled."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

import beffroi

ROOT = Path(beffroi.__file__).parent
CATALOGUES = sorted(ROOT.glob("**/locale/en/LC_MESSAGES/django.po"))


def test_there_are_catalogues():
    assert ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po" in CATALOGUES


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_english_entry_is_translated(po_path):
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po if not e.obsolete and not e.translated()]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalogue_matches_the_sources(po_path):
    po = polib.pofile(str(po_path))
    with open(po_path.with_suffix(".mo"), "rb") as handle:
        mo = gettext.GNUTranslations(handle)
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            assert mo.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        else:
            key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
            assert mo.gettext(key) == entry.msgstr, entry.msgid


def test_every_string_marked_in_the_code_has_its_english_translation(tmp_path):
    """Django's own extraction (makemessages) over a copy of the code finds no message missing from
    the English catalogues: a string added to a template, a form, an error or the JS catalogue
    without its translation fails here, not in front of an English-speaking user."""
    copy = tmp_path / "beffroi"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("vendor", "__pycache__", "*.mo"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DJANGO_SETTINGS_MODULE": "beffroi.settings"}
    for domain in ("django", "djangojs"):
        subprocess.run(
            [sys.executable, "-m", "django", "makemessages", "-l", "en", "-d", domain, "--no-obsolete"],
            cwd=copy,
            env=env,
            check=True,
            capture_output=True,
        )
    missing = {}
    for po_path in sorted(copy.glob("**/locale/en/LC_MESSAGES/*.po")):
        po = polib.pofile(str(po_path))
        lacking = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
        if lacking:
            missing[str(po_path.relative_to(copy))] = lacking
    assert missing == {}
