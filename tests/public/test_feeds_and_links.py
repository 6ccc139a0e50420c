"""Aggregators' view of the public site: one public URL in every link, CAP content type, the
exercise index apart, Atom feeds with author and self link, the alert page dated and named."""

from __future__ import annotations

import feedparser
import pytest

from beffroi.alerts import render
from beffroi.core.mediatypes import public_content_type
from beffroi.public.site import build_site
from tests.alerts.conftest import draft, end_alert, publish_real

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    return make_user("communication", ["92063"]), make_user("maire", ["92063"], totp=True)


def test_every_link_uses_the_public_url(people, public_root, settings):
    settings.PUBLIC_URL = "https://alerte.example-commune.fr"
    composer, mayor = people
    alert = draft(composer)
    version = publish_real(alert, composer, mayor)
    build_site()
    page = f"https://alerte.example-commune.fr/public/alertes/{alert.pk}.html"
    assert render.alert_page_url(alert) == page
    assert f"<web>{page}</web>" in version.xml  # <web> defaults to the public page
    assert page in render.sms(version) and page in render.email(version)[1]
    for name in ("alerts.atom", "alerts.rss", "cap/index.atom"):
        text = (public_root / name).read_text()
        assert "localhost" not in text and "https://alerte.example-commune.fr/public/" in text, name


def test_serving_command_fills_the_public_url_with_the_served_address(settings, monkeypatch):
    from beffroi.commands import follow_served_address

    monkeypatch.delenv("BEFFROI_PUBLIC_URL", raising=False)
    settings.PUBLIC_URL_FROM_ENV = False
    assert follow_served_address("127.0.0.1", 8765) == "http://127.0.0.1:8765"
    assert render.public_url("x") == "http://127.0.0.1:8765/public/x"
    settings.PUBLIC_URL_FROM_ENV = True
    settings.PUBLIC_URL = "https://crise.example.fr"
    assert follow_served_address("127.0.0.1", 9000) == "https://crise.example.fr"


def test_cap_files_are_served_as_cap_xml(people, public_root, client):
    composer, mayor = people
    version = publish_real(draft(composer), composer, mayor)
    build_site()
    assert public_content_type(f"cap/{version.identifier}.xml").startswith("application/cap+xml")
    assert public_content_type("exercice/cap/x.xml").startswith("application/cap+xml")
    assert public_content_type("cap/index.atom").startswith("application/atom+xml")
    response = client.get(f"/public/cap/{version.identifier}.xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/cap+xml")


def test_asgi_handler_serves_cap_as_cap_xml(people, public_root):
    import asyncio

    from beffroi.asgi_files import FileMount, StaticFilesASGI

    composer, mayor = people
    version = publish_real(draft(composer), composer, mayor)
    build_site()
    app = StaticFilesASGI(None, [FileMount("/public/", public_root, "public, max-age=30")])
    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": f"/public/cap/{version.identifier}.xml", "headers": []}
    asyncio.run(app(scope, None, send))
    headers = dict(sent[0]["headers"])
    assert headers[b"content-type"].startswith(b"application/cap+xml")


def test_exercises_have_their_own_cap_index_never_mixed(people, public_root):
    composer, mayor = people
    real = publish_real(draft(composer), composer, mayor)
    drill = publish_real(draft(composer, exercise=True, test_recipients=["d@example.org"]), composer, mayor)
    build_site()
    real_index = (public_root / "cap" / "index.atom").read_text()
    drill_index = (public_root / "cap" / "exercise.atom").read_text()
    assert real.identifier in real_index and drill.identifier not in real_index
    assert drill.identifier in drill_index and real.identifier not in drill_index
    assert f"exercice/cap/{drill.identifier}.xml" in drill_index


def test_atom_feeds_have_an_author_and_a_self_link(people, public_root):
    composer, mayor = people
    publish_real(draft(composer), composer, mayor)
    build_site()
    for name in ("alerts.atom", "cap/index.atom", "cap/exercise.atom"):
        feed = feedparser.parse((public_root / name).read_bytes())
        assert not feed.bozo, name
        assert "Rueil-Malmaison" in feed.feed.author_detail.name, name
        assert any(link.rel == "self" and link.href.endswith(name) for link in feed.feed.links), name


def test_alert_page_is_dated_names_its_commune_and_says_when_ended(people, public_root):
    composer, mayor = people
    alert = draft(composer)
    publish_real(alert, composer, mayor)
    build_site()
    page = (public_root / "alertes" / f"{alert.pk}.html").read_text()
    assert "Commune de Rueil-Malmaison" in page and "valable jusqu" in page
    import re

    assert re.search(r"Page mise à jour le \d{1,2} \w+ \d{4} à \d\d:\d\d", page), page[-800:]
    end_alert(alert, composer, mayor)
    build_site()
    page = (public_root / "alertes" / f"{alert.pk}.html").read_text()
    assert "Cette alerte est terminée" in page and "valable jusqu" not in page
