"""Local geocoding on the BAN layer: abbreviations, accents, numbers with suffixes, postcode or commune."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from beffroi.core.actors import SystemActor
from beffroi.sources.geocoding import clear_cache, geocode, parse
from beffroi.sources.territory_layers import build

FIXTURES = Path(__file__).parent.parent / "fixtures" / "territory_layers"

CLI = SystemActor("cli")


@pytest.fixture
def ban(db, tmp_path):
    for name in ("adresses-92.csv", "adresses-94.csv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    clear_cache()
    build(["92063", "92033", "94052"], folder=tmp_path, only=["addresses"], actor=CLI)
    yield
    clear_cache()


def test_query_parts_are_read():
    q = parse("14 bis, Bd. de Strasbourg 94130 Nogent-sur-Marne")
    assert (q.numero, q.rep, q.words, q.postcode, q.commune_words) == (
        14,
        "bis",
        ("boulevard", "strasbourg"),
        "94130",
        ("nogent", "sur", "marne"),
    )
    assert parse("3 rue du 19 janvier").words == ("rue", "19", "janvier")


@pytest.mark.parametrize(
    "query",
    [
        "14 bd de Strasbourg Nogent",
        "14 boulevard de strasbourg, 94130",
        "14 BOULEVARD DE STRASBOURG 94130 NOGENT-SUR-MARNE",
        "14, bd Strasbourg",
    ],
)
def test_the_demo_street_is_found(ban, query):
    best = geocode(query)[0]
    assert (best.numero, best.rep, best.commune_code, best.kind) == (14, "", "94052", "housenumber")
    assert best.label == "14 Boulevard de Strasbourg 94130 Nogent-sur-Marne"
    assert best.lon == pytest.approx(2.481195) and best.lat == pytest.approx(48.837402)


def test_suffixes_and_abbreviations(ban):
    assert geocode("14 bis bd de strasbourg nogent")[0].rep == "bis"
    assert geocode("36 ter av. Paul Doumer", "92063")[0].label.startswith("36 ter Avenue Paul Doumer")
    assert geocode("11 imp des lilas garches")[0].numero == 11
    assert geocode("3 r. du 19 janvier 92380")[0].street == "Rue du 19 Janvier"
    assert geocode("3 all. des glycines")[0].street == "Allée des Glycines"


def test_commune_and_postcode_restrict_the_search(ban):
    assert geocode("14 boulevard de strasbourg", "92063") == []  # Nanterre's is not in the layer either
    assert geocode("14 boulevard de strasbourg 92500") == []
    assert geocode("Grande Rue 92380")[0].commune_code == "92033"


def test_a_number_not_in_the_layer_gives_the_street(ban):
    best = geocode("99 boulevard de strasbourg nogent")[0]
    assert best.kind == "street" and best.numero is None and best.score < 0.9


def test_unknown_addresses_give_nothing(ban):
    assert geocode("12 rue imaginaire") == []
    assert geocode("   ") == []


def test_alerts_and_registry_use_the_local_geocoder(ban):
    from beffroi.alerts.subscriptions import match_address
    from beffroi.registry.addresses import load_index

    (m,) = match_address("14 bd de Strasbourg Nogent", "94052", limit=1)
    assert m["label"].startswith("14 Boulevard de Strasbourg") and m["lon"] == pytest.approx(2.481195)
    index = load_index("94052")
    assert index is not None and index.name == "addresses"
    assert index.locate("14 bd de Strasbourg, 94130 Nogent-sur-Marne") == pytest.approx((2.481195, 48.837402))
    assert index.locate("99 bd de Strasbourg") is None  # a person is placed on a real number only
