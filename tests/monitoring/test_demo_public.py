"""Demo loader and the static public indicator pages."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.monitoring import demo
from beffroi.monitoring.actions import do_ingest_points, do_save_indicator
from beffroi.monitoring.models import Indicator, Observation
from beffroi.monitoring.public_pages import write_indicator_pages

from .conftest import points


def test_demo_loader_is_idempotent_and_marked(territory, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = demo.load(["92063", "92033", "94052"])
    assert set(created) == {
        "marne-gournay",
        "seine-chatou",
        "vigicrues-if17",
        "meteo-92-canicule",
        "atmo-92063",
    }
    assert all(i.demo and "démonstration" in i.source for i in Indicator.objects.all())
    count = Observation.objects.count()
    assert count > 1000
    assert demo.load(["92063", "92033", "94052"]) == []
    assert Observation.objects.count() == count
    marne = Indicator.objects.get(key="marne-gournay")
    assert marne.state.level >= 1 and not marne.state.stale
    assert Observation.objects.filter(indicator=marne, kind="forecast", at__gt=timezone.now()).exists()


def test_public_page_regenerated_on_new_value(marne, public_root, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        do_ingest_points(
            points(marne.series, [1.5, 1.7, 2.1]), source="test", actor=SystemActor("poll_sources")
        )
    page = (public_root / "indicateurs" / "marne-gournay.html").read_text()
    assert "Hauteur de la Marne à Gournay" in page and "2,10 m" in page and "<svg" in page
    assert "Veille" in page and "<script" not in page and "style=" not in page
    assert "Hub&#x27;Eau" in page or "Hub'Eau" in page
    index = (public_root / "indicateurs" / "index.html").read_text()
    assert "marne-gournay.html" in index
    with django_capture_on_commit_callbacks(execute=True):
        do_ingest_points(
            points(marne.series, [3.4], start=timezone.now() - timedelta(minutes=1)),
            source="test",
            actor=SystemActor("poll_sources"),
        )
    assert "3,40 m" in (public_root / "indicateurs" / "marne-gournay.html").read_text()
    # The same page in English, each version pointing at the other (hreflang).
    english = (public_root / "en" / "indicateurs" / "marne-gournay.html").read_text()
    assert '<html lang="en">' in english and "3.40 m" in english and "Page updated on" in english
    assert re.search(r'hreflang="fr" href="[^"]*/public/indicateurs/marne-gournay.html"', english)
    french = (public_root / "indicateurs" / "marne-gournay.html").read_text()
    assert 'hreflang="en"' in french and "/public/en/indicateurs/marne-gournay.html" in french


def test_private_indicator_not_published(territory, public_root):
    hidden = do_save_indicator(
        key="interne",
        label="Interne",
        unit="m",
        source="x",
        series="x:1",
        commune="92063",
        public=False,
        actor=SystemActor("cli"),
    )
    write_indicator_pages()
    assert not (public_root / "indicateurs" / f"{hidden.key}.html").exists()


def test_public_page_says_when_the_source_is_late(marne, public_root, django_capture_on_commit_callbacks):
    from beffroi.monitoring.actions import do_check_staleness

    with django_capture_on_commit_callbacks(execute=True):
        do_ingest_points(
            points(marne.series, [1.5], start=timezone.now() - timedelta(minutes=5)),
            source="test",
            actor=SystemActor("poll_sources"),
        )
    page = public_root / "indicateurs" / "marne-gournay.html"
    assert "valeur est ancienne" not in page.read_text()
    with django_capture_on_commit_callbacks(execute=True):
        do_check_staleness(now=timezone.now() + timedelta(hours=3), actor=SystemActor("monitoring"))
    # The page is rendered with the real clock; the state says stale.
    assert "valeur est ancienne" in page.read_text()


def test_a_public_level_change_rebuilds_the_public_site(
    marne, public_root, django_capture_on_commit_callbacks
):
    from beffroi.core.signals import public_content_changed

    reasons: list[str] = []

    def receiver(sender, *, reason, **kwargs):
        reasons.append(reason)

    public_content_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            do_ingest_points(
                points(marne.series, [1.5, 1.7, 2.1]), source="test", actor=SystemActor("poll_sources")
            )
        assert reasons == ["level marne-gournay"]
        # The public index (rebuilt in the background job) now links the indicator pages.
        assert "/public/indicateurs/index.html" in (public_root / "index.html").read_text()
        with django_capture_on_commit_callbacks(execute=True):
            do_ingest_points(
                points(marne.series, [2.11], start=timezone.now() - timedelta(minutes=1)),
                source="test",
                actor=SystemActor("poll_sources"),
            )
        assert reasons == ["level marne-gournay"]  # same level: no rebuild
    finally:
        public_content_changed.disconnect(receiver)
