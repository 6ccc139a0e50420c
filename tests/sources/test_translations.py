"""The sources app ships its own complete English catalogue."""

from pathlib import Path

import polib
import pytest
from django.urls import reverse

import beffroi.sources

PO = Path(beffroi.sources.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_every_english_entry_is_translated():
    po = polib.pofile(str(PO))
    assert [e.msgid for e in po if not e.obsolete and not e.translated()] == []


@pytest.mark.django_db
def test_catalogue_page_in_english(client_for):
    client = client_for("lecteur")
    html = client.get(reverse("sources:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Public data" in html and "Live sources" in html
