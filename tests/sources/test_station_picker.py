"""The source form and its Vigicrues station picker (search by commune, river or station)."""

import pytest

from beffroi.core.actors import SystemActor
from beffroi.sources.models import Source
from beffroi.sources.runner import run_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(server, make_source):
    from tests.sources.test_vigicrues_hydro import catalogue_routes

    catalogue_routes(server)
    run = run_source(
        make_source("vigicrues-catalogue", territories="7", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == "ok", run.error


def test_search_by_station_river_commune_code_and_nearby_commune(client, make_user, catalogue, territory):
    client.force_login(make_user("cellule_crise"))
    url = "/donnees/stations-vigicrues.json"
    assert [s["code"] for s in client.get(url, {"q": "gournay"}).json()["stations"]] == ["F664000104"]
    marne = client.get(url, {"q": "Marne Condé"}).json()["stations"]  # the section label names the river
    assert {s["code"] for s in marne} == {"F664000104", "F664000404"}
    assert client.get(url, {"q": "94028"}).json()["stations"][0]["code"] == "F664000404"
    assert client.get(url, {"q": "creteil"}).json()["stations"][0]["label"] == "Créteil [Passerelle]"
    # Nogent-sur-Marne, a commune of the territory, has no station of its own: the nearest ones come
    near = client.get(url, {"q": "nogent sur marne"}).json()["stations"]
    assert {s["code"] for s in near} == {"F664000104", "F664000404"}  # not Paris-Austerlitz (no position)
    assert near[0]["distance_km"] <= near[1]["distance_km"] < 8  # nearest first
    gournay = next(s for s in near if s["code"] == "F664000104")
    assert gournay["river"] == "Marne de Condé à Charenton" and gournay["forecast"] is True
    assert client.get(url, {"q": "x"}).status_code == 400


def test_the_search_needs_a_login(client, catalogue):
    response = client.get("/donnees/stations-vigicrues.json", {"q": "gournay"})
    assert response.status_code in (302, 403)


def test_the_form_adds_a_source_and_names_a_bad_field(client, make_user, settings):
    user = make_user("cellule_crise")
    client.force_login(user)
    page = client.get("/donnees/sources/nouvelle/", {"kind": "vigicrues-hydro"})
    assert page.status_code == 200 and b"station-picker" in page.content
    bad = client.post(
        "/donnees/sources/nouvelle/",
        {"kind": "vigicrues-hydro", "name": "vc-marne", "opt_stations": "F664000104", "opt_grandeurs": "T"},
    )
    assert bad.status_code == 400 and b"field-error" in bad.content and not Source.objects.exists()
    ok = client.post(
        "/donnees/sources/nouvelle/",
        {"kind": "vigicrues-hydro", "name": "vc-marne", "opt_stations": "F664000104", "opt_grandeurs": "H"},
    )
    assert ok.status_code == 302 and Source.objects.get(name="vc-marne").config["stations"] == "F664000104"


def test_the_form_in_english(client, make_user):
    from django.utils import translation

    client.force_login(make_user("cellule_crise"))
    try:
        page = client.get(
            "/donnees/sources/nouvelle/", {"kind": "vigicrues-hydro"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    finally:
        # the middleware leaves English active in this thread: later tests expect French messages
        translation.activate("fr")
    text = page.content.decode()
    assert "Add a live source" in text and "Search a station by commune or river" in text
    assert "Sandre station codes, comma-separated" in text
