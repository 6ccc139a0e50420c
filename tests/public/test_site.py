from __future__ import annotations

import re
from datetime import timedelta

import feedparser
import pytest
from django.utils import timezone

from beffroi.alerts import cap
from beffroi.public.site import build_site
from tests.alerts.conftest import draft, end_alert, publish_real

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def public_root(settings, tmp_path):
    settings.PUBLIC_ROOT = tmp_path / "public"
    return settings.PUBLIC_ROOT


@pytest.fixture
def people(make_user):
    return make_user("communication", ["92063"]), make_user("maire", ["92063"], totp=True)


def test_site_lists_real_alerts_and_never_exercises(people, public_root):
    composer, mayor = people
    real = draft(
        composer,
        texts={
            "fr": {"headline": "Crue de la Seine", "description": "d", "instruction": "i"},
            "en": {"headline": "Seine flood", "description": "The Seine floods.", "instruction": ""},
        },
    )
    v1 = publish_real(real, composer, mayor)
    drill = draft(composer, exercise=True, texts={"fr": {"headline": "Exercice incendie usine"}})
    v_drill = publish_real(drill, composer, mayor)
    result = build_site()
    assert result["active"] == 1
    index = (public_root / "index.html").read_text()
    assert "Crue de la Seine" in index and "Exercice incendie" not in index
    assert "<svg" in index and "Rueil-Malmaison" in index
    assert (public_root / "cap" / f"{v1.identifier}.xml").read_text() == v1.xml
    assert not (public_root / "cap" / f"{v_drill.identifier}.xml").exists()
    assert (public_root / "exercice" / "cap" / f"{v_drill.identifier}.xml").exists()
    assert not (public_root / "alertes" / f"{drill.pk}.html").exists()
    drill_page = (public_root / "exercice" / "alertes" / f"{drill.pk}.html").read_text()
    assert "EXERCICE" in drill_page and f"/public/exercice/cap/{v_drill.identifier}.xml" in drill_page
    page = (public_root / "alertes" / f"{real.pk}.html").read_text()
    assert "Seine flood" in page and v1.identifier in page
    assert not list(public_root.rglob("*.tmp"))

    capindex = feedparser.parse((public_root / "cap" / "index.atom").read_bytes())
    assert not capindex.bozo and len(capindex.entries) == 1
    assert capindex.entries[0].links[0].href.endswith(f"cap/{v1.identifier}.xml")
    assert capindex.entries[0].links[0].type == "application/cap+xml"
    for name in ("alerts.rss", "alerts.atom"):
        feed = feedparser.parse((public_root / name).read_bytes())
        assert not feed.bozo, name
        assert [e.title for e in feed.entries] == ["Crue de la Seine"]

    end = end_alert(real, composer, mayor)
    build_site()
    assert "Crue de la Seine" not in (public_root / "index.html").read_text()
    ended_page = (public_root / "alertes" / f"{real.pk}.html").read_text()
    assert "Cette alerte est terminée" in ended_page and "valable jusqu" not in ended_page
    assert len(feedparser.parse((public_root / "alerts.rss").read_bytes()).entries) == 2
    # Aggregators must see the end: the Cancel stays in the CAP index until it expires.
    entries = feedparser.parse((public_root / "cap" / "index.atom").read_bytes()).entries
    assert [e.links[0].href.rsplit("/", 1)[1] for e in entries] == [f"{end.identifier}.xml"]


def test_expired_alert_leaves_the_index(people, public_root):
    from beffroi.alerts.models import AlertVersion

    composer, mayor = people
    alert = draft(composer)
    publish_real(alert, composer, mayor)
    AlertVersion.objects.filter(alert=alert).update(expires=timezone.now() - timedelta(minutes=1))
    assert build_site()["active"] == 0
    assert cap.validate((public_root / "cap" / f"{alert.latest().identifier}.xml").read_bytes()) == []


def test_the_site_has_an_english_version_of_each_page_linked_by_hreflang(people, public_root, settings):
    settings.PUBLIC_URL = "https://alertes.example.fr"
    composer, mayor = people
    bilingual = draft(
        composer,
        texts={
            "fr": {
                "headline": "Crue de la Seine",
                "description": "La Seine déborde.",
                "instruction": "Montez.",
            },
            "en": {
                "headline": "Seine flood",
                "description": "The Seine floods.",
                "instruction": "Go upstairs.",
            },
        },
    )
    publish_real(bilingual, composer, mayor)
    french_only = draft(composer, texts={"fr": {"headline": "Coupure d'eau", "description": "d"}})
    publish_real(french_only, composer, mayor)
    build_site()
    index_en = (public_root / "en" / "index.html").read_text()
    assert '<html lang="en">' in index_en and "Current alerts" in index_en
    assert (
        '<article class="alert' in index_en and "Seine flood" in index_en and "The Seine floods." in index_en
    )
    assert "This message was written in French only." in index_en  # the water cut has no English text
    assert 'hreflang="fr" href="https://alertes.example.fr/public/index.html"' in index_en
    assert 'hreflang="en" href="https://alertes.example.fr/public/en/index.html"' in index_en
    assert f'href="/public/en/alertes/{bilingual.pk}.html"' in index_en
    page_en = (public_root / "en" / "alertes" / f"{bilingual.pk}.html").read_text()
    assert "Seine flood" in page_en
    assert re.search(r"Latest message: \d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d \(Paris time\)", page_en), page_en
    assert f'href="/public/alertes/{bilingual.pk}.html" hreflang="fr"' in page_en  # « Français »
    index_fr = (public_root / "index.html").read_text()
    assert '<html lang="fr">' in index_fr and 'href="/public/en/index.html" hreflang="en"' in index_fr
    assert "Alertes en cours" in index_fr and "Current alerts" not in index_fr
