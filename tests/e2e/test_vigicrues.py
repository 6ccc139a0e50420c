"""A Vigicrues station picked from the catalogue by commune, its forecast band on the chart."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.monitoring.actions import do_ingest_points, do_save_indicator
from beffroi.sources.actions import do_add_source
from beffroi.sources.runner import run_source
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.sources.fakeserver import FakeServer
from tests.sources.test_vigicrues_hydro import catalogue_routes

LEVELS = [
    {"level": 1, "name": "veille", "label": "Veille", "value": 2.8, "colour": "#2f6fbf"},
    {"level": 2, "name": "vigilance", "label": "Vigilance", "value": 3.3, "colour": "#f2c200"},
    {"level": 3, "name": "alerte", "label": "Alerte", "value": 3.9, "colour": "#e07000"},
]


def _iso(at):
    return at.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _vigicrues_answers(now):
    """Observations and a forecast of the Marne at Gournay, in the services' shapes, around now."""
    observations = {
        "VersionFlux": "Beta 0.4",
        "Serie": {
            "CdStationHydro": "F664000104",
            "LbStationHydro": "Gournay-sur-Marne",
            "GrdSerie": "H",
            "ObssHydro": [
                {
                    "DtObsHydro": _iso(now - timedelta(minutes=30 * (8 - i))),
                    "ResObsHydro": round(2.3 + 0.03 * i, 2),
                }
                for i in range(8)
            ],
        },
    }
    prevs = []
    for i in range(1, 13):
        median = 2.55 + 0.1 * i
        prevs.append(
            {
                "DtPrev": _iso(now + timedelta(hours=3 * i)),
                "ResMinPrev": round(median - 0.05 * i, 2),
                "ResMoyPrev": round(median, 2),
                "ResMaxPrev": round(median + 0.06 * i, 2),
            }
        )
    forecast = {
        "VersionFlux": "Beta 0.4",
        "Simul": {
            "CdStationHydro": "F664000104",
            "GrdSimul": "H",
            "DtProdSimul": _iso(now - timedelta(minutes=20)),
            "CommentSimul": "",
            "Prevs": prevs,
        },
    }
    return json.dumps(observations), json.dumps(forecast)


@pytest.mark.django_db(transaction=True)
def test_pick_a_station_by_commune_and_see_its_forecast_band(page, make_user, settings, tmp_path, screenshot):
    settings.DATASETS_DIR = tmp_path / "data"
    settings.SOURCES_ALLOW_HOSTS = ["127.0.0.1"]
    server = FakeServer()
    try:
        catalogue_routes(server)
        observations, forecast = _vigicrues_answers(timezone.now())
        server.route("/observations.json", body=observations, query={"CdStationHydro": "F664000104"})
        server.route("/previsions.json", body=forecast, query={"CdStationHydro": "F664000104"})
        settings.SOURCE_URLS = {"vigicrues-hydro": server.url, "vigicrues-catalogue": server.url}
        catalogue = do_add_source(
            "catalogue-vigicrues",
            "vigicrues-catalogue",
            config={"territories": "7"},
            actor=SystemActor("cli"),
        )
        assert run_source(catalogue, actor=SystemActor("poll_sources")).status == "ok"
        indicator = do_save_indicator(
            key="marne-gournay",
            label="Hauteur de la Marne à Gournay",
            unit="m",
            source="Vigicrues",
            series="vigicrues:F664000104:H",
            commune="94052",
            hazard="inondation",
            latitude=48.861,
            longitude=2.577,
            thresholds=LEVELS,
            actor=SystemActor("cli"),
        )
        do_ingest_points(
            [
                {
                    "series": indicator.series,
                    "at": timezone.now() - timedelta(hours=6),
                    "value": 2.1,
                    "unit": "m",
                }
            ],
            source="test",
            actor=SystemActor("poll_sources"),
        )
        user = make_user("cellule_crise")
        login(page, user.username, PASSWORD)

        page.goto("/donnees/")
        page.get_by_role("link", name="Ajouter une source").click()
        page.get_by_label("Type de source").select_option("vigicrues-hydro")
        page.get_by_role("button", name="Continuer").click()
        page.get_by_label("Nom de la source", exact=True).fill("vigicrues-marne")
        picker = page.get_by_role("combobox", name="Chercher une station par commune ou cours d'eau")
        picker.fill("Nogent-sur-Marne")  # a commune of the territory without a station of its own
        option = page.get_by_role("option", name="Gournay-sur-Marne (F664000104)", exact=False)
        option.wait_for(timeout=10000)
        assert "tronçon IF17 « Marne de Condé à Charenton »" in option.inner_text()
        page.wait_for_selector(".station-map[data-stations='2']", timeout=10000)  # both, on the map too
        screenshot("vigicrues-station-picker")
        option.click()
        assert page.locator("#opt_stations").input_value() == "F664000104"
        assert "Gournay-sur-Marne (F664000104) ajoutée" in page.locator(".station-status").inner_text()
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot("vigicrues-station-picker-390")
        page.set_viewport_size({"width": 1366, "height": 900})
        page.get_by_role("button", name="Ajouter la source").click()
        page.wait_for_url("**/donnees/sources/vigicrues-marne/")
        page.get_by_role("button", name="Exécuter maintenant").click()
        page.wait_for_load_state("load")
        assert page.get_by_text("Source exécutée").is_visible()

        page.goto("/veille/")
        chart = page.locator("#ind-marne-gournay .chart")
        page.wait_for_selector("#ind-marne-gournay .chart[data-forecast-band='12']", timeout=10000)
        assert chart.get_attribute("data-points") == "9"  # 8 from Vigicrues and the earlier one
        note = page.locator("#ind-marne-gournay .chart-note").inner_text()
        assert "fourchette basse–haute" in note and "Émise le" in note
        eta = page.locator("#ind-marne-gournay .eta").inner_text()
        assert "selon la prévision de la source" in eta and "au plus tôt" in eta
        screenshot("vigicrues-forecast-band")
        assert not [e for e in page.js_errors if "EventSource" not in e], page.js_errors
    finally:
        server.close()
