"""Connectors against a local HTTP server serving recorded-format payloads."""

from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest

from beffroi.core.actors import SystemActor
from beffroi.sources import selectors
from beffroi.sources.models import Freshness, Run
from beffroi.sources.runner import run_source

pytestmark = pytest.mark.django_db


def rows(name):
    return pq.read_table(selectors.get_dataset(name).parquet_path).to_pylist()


@pytest.fixture
def ingested(monkeypatch):
    """Capture what would be pushed to monitoring."""
    calls = []
    monkeypatch.setattr(
        "beffroi.sources.sinks.push_points",
        lambda points, name, actor: calls.append((name, points)) or "pushed",
    )
    return calls


# --- Hub'Eau --------------------------------------------------------------------------------


def hubeau_routes(server):
    server.route(
        "/observations_tr",
        "hubeau/observations_tr_H_page1.json",
        status=206,
        query={"grandeur_hydro": "H", "size": "1000"},
    )
    server.route(
        "/observations_tr", "hubeau/observations_tr_H_page2.json", status=200, query={"cursor": "AoJw9Jfr2"}
    )
    server.route("/observations_tr", "hubeau/observations_tr_Q.json", query={"grandeur_hydro": "Q"})


def test_hubeau_follows_the_cursor_on_206_and_converts_units(server, make_source, ingested):
    hubeau_routes(server)
    src = make_source("hubeau", stations="F664000104", base_url=server.url)
    run = run_source(src, actor=SystemActor("poll_sources"))
    assert run.status == Run.Status.OK, run.error
    name, points = ingested[0]
    heights = [p for p in points if p["series"] == "hubeau:F664000104:H"]
    assert [p["value"] for p in heights] == [2.154, 2.17, 2.188]  # mm → m, duplicate across pages kept once
    assert heights[0]["unit"] == "m" and heights[0]["at"] == datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    flows = {p["series"]: p["value"] for p in points if p["unit"] == "m3/s"}
    assert flows["hubeau:F6640001:Q"] == pytest.approx(147.629)  # site-level row: code_station null
    assert flows["hubeau:F664000104:Q"] == pytest.approx(-0.12)  # negative flow kept
    assert any("débit négatif" in n for n in run.report["notes"])
    assert run.report["problem_count"] == 1 and "aucune valeur" in run.report["problems"][0]
    assert len(run.payloads) == 3 and len(selectors.get_dataset("hubeau").parquet_path.name) > 0
    src.refresh_from_db()
    assert src.freshness == Freshness.FRESH


def test_hubeau_empty_answer_is_a_successful_run_with_no_rows(server, make_source, ingested):
    server.route("/observations_tr", "hubeau/empty.json")
    run = run_source(
        make_source("hubeau", stations="X", grandeurs="H", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK and run.rows == 0


def test_hubeau_http_400_fails_the_run_with_the_message(server, make_source):
    server.route("/observations_tr", "hubeau/error_400.json", status=400)
    src = make_source("hubeau", stations="X", grandeurs="H", base_url=server.url)
    run = run_source(src, actor=SystemActor("poll_sources"))
    assert run.status == Run.Status.FAILED and "HTTP 400" in run.error and "date" in run.error
    src.refresh_from_db()
    assert src.freshness == Freshness.FAILING and src.last_error == run.error


def test_hubeau_truncated_json_is_a_payload_error(server, make_source):
    server.route("/observations_tr", "hubeau/truncated.json")
    run = run_source(
        make_source("hubeau", stations="X", grandeurs="H", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.FAILED and "pas du JSON valide" in run.error
    assert run.payloads, "the bad payload is kept for replay"


def test_server_errors_are_retried_then_succeed(server, make_source, ingested):
    server.route("/observations_tr", body=b"oops", status=503, times=2)
    server.route("/observations_tr", "hubeau/empty.json")
    run = run_source(
        make_source("hubeau", stations="X", grandeurs="H", base_url=server.url, retries="3"),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK
    assert len(server.requests) == 3


def test_timeout_fails_the_run(server, make_source):
    server.route("/observations_tr", "hubeau/empty.json", delay=1.5)
    run = run_source(
        make_source("hubeau", stations="X", grandeurs="H", base_url=server.url, timeout="0.3", retries="2"),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.FAILED and run.error.startswith("délai dépassé")


def test_response_over_the_size_cap_is_refused(server, make_source, settings):
    settings.SOURCES_MAX_MB = 1
    server.route("/observations_tr", body=b"x" * (2 * 1024 * 1024))
    run = run_source(
        make_source("hubeau", stations="X", grandeurs="H", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.FAILED and "au-delà de la limite" in run.error


def test_dry_run_stores_nothing(server, make_source, ingested):
    hubeau_routes(server)
    src = make_source("hubeau", stations="F664000104", base_url=server.url)
    run = run_source(src, dry_run=True, actor=SystemActor("poll_sources"))
    assert run.status == Run.Status.DRY_RUN and run.rows == 5
    assert selectors.get_dataset("hubeau") is None and ingested == []
    src.refresh_from_db()
    assert src.last_run_at is None


# --- Vigicrues ------------------------------------------------------------------------------


def test_vigicrues_levels_per_territory_and_section(server, make_source, ingested):
    server.route(
        "/InfoVigiCru.jsonld", "vigicrues/InfoVigiCru_territory.jsonld", query={"TypEntVigiCru": "5"}
    )
    server.route("/InfoVigiCru.jsonld", "vigicrues/InfoVigiCru_section.jsonld", query={"CdEntVigiCru": "IF5"})
    run = run_source(
        make_source("vigicrues", territories="7", sections="IF5", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK, run.error
    levels = {p["series"]: p["value"] for p in ingested[0][1]}
    assert levels["vigicrues:7:level"] == 3.0 and levels["vigicrues:IF17:level"] == 3.0
    assert levels["vigicrues:IF5:level"] in (
        2.0,
    )  # strings as numbers; section answer without porteSurLEntite
    assert "vigicrues:IF18:level" not in levels and "'?' n'est pas un nombre" in run.report["problems"][0]
    table = {r["code"]: r for r in rows("vigicrues")}
    assert table["IF17"]["colour"] == "orange"
    at = ingested[0][1][0]["at"]
    assert at == datetime(2026, 11, 28, 8, 58, 40, tzinfo=UTC)  # +0100 offset read


def test_vigicrues_html_maintenance_page_is_a_payload_error(server, make_source):
    server.route("/InfoVigiCru.jsonld", "vigicrues/maintenance.html", headers={"Content-Type": "text/html"})
    run = run_source(
        make_source("vigicrues", sections="IF5", base_url=server.url), actor=SystemActor("poll_sources")
    )
    assert run.status == Run.Status.FAILED and "pas du JSON valide" in run.error


def test_vigicrues_redirect_is_followed(server, make_source, ingested):
    server.route(
        "/InfoVigiCru.jsonld",
        status=302,
        headers={"Location": "{base}/v1.1/InfoVigiCru.jsonld?CdEntVigiCru=IF5&TypEntVigiCru=8"},
    )
    server.route("/v1.1/InfoVigiCru.jsonld", "vigicrues/InfoVigiCru_section.jsonld")
    run = run_source(
        make_source("vigicrues", sections="IF5", base_url=server.url), actor=SystemActor("poll_sources")
    )
    assert run.status == Run.Status.OK, run.error


# --- data.gouv.fr ---------------------------------------------------------------------------


def test_datagouv_metadata_lists_resources(server, make_source):
    server.route("/api/1/datasets/erp-rueil/", "datagouv/dataset.json")
    run = run_source(
        make_source("datagouv", dataset="erp-rueil", base_url=server.url), actor=SystemActor("poll_sources")
    )
    assert run.status == Run.Status.OK, run.error
    assert [r["format"] for r in rows("datagouv")] == ["csv", "pdf"]
    assert "Licence Ouverte" in run.report["notes"][0]


def test_datagouv_download_imports_the_resource_through_the_file_checks(server, make_source):
    server.route("/api/2/datasets/resources/f868/", "datagouv/resource_api2.json")
    server.route("/resources/erp-rueil.csv", "datagouv/erp-rueil.csv", headers={"Content-Type": "text/csv"})
    run = run_source(
        make_source("datagouv", name="erp", mode="download", resource="f868", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK, run.error
    data = rows("erp")
    assert data[1]["nom"] == "École du Centre" and data[0]["lat"] == pytest.approx(48.8771)
    assert selectors.get_dataset("erp").origin.endswith("/resources/erp-rueil.csv")


def test_datagouv_download_of_a_broken_file_fails_and_keeps_nothing(server, make_source):
    server.route("/api/2/datasets/resources/bad0/", "datagouv/resource_bad_api2.json")
    server.route("/resources/broken.csv", "datagouv/broken.csv")
    run = run_source(
        make_source("datagouv", name="erp", mode="download", resource="bad0", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    # stored in the territory's language (French), located: the downloaded file and the line
    assert run.status == Run.Status.FAILED
    assert "/resources/broken.csv, ligne 2 : trop de champs sur cette ligne" in run.error, run.error
    assert "nothing was stored" not in run.error
    assert selectors.get_dataset("erp") is None


def test_datagouv_tabular_api_follows_next_links(server, make_source):
    server.route("/api/resources/r1/data/", "datagouv/tabular_page2.json", query={"page": "2"})
    server.route("/api/resources/r1/data/", "datagouv/tabular_page1.json")
    run = run_source(
        make_source(
            "datagouv", name="pop", mode="tabular", resource="r1", tabular_url=server.url, page_size="2"
        ),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK, run.error
    data = rows("pop")
    assert [r["code_insee"] for r in data] == ["92063", "92033", "94052"] and data[0][
        "meta.source"
    ] == "INSEE"


# --- Opendatasoft ---------------------------------------------------------------------------


def test_opendatasoft_pages_with_offset(server, make_source):
    base = "/api/explore/v2.1/catalog/datasets/vigilance/records"
    server.route(base, "opendatasoft/records_page2.json", query={"offset": "100"})
    server.route(base, "opendatasoft/records_page1.json", query={"offset": "0"})
    run = run_source(
        make_source("opendatasoft", name="ods", dataset="vigilance", where="color_id>1", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK, run.error
    assert run.rows == 102
    assert server.requests[0][2]["where"] == "color_id>1" and server.requests[0][2]["limit"] == "100"
    assert rows("ods")[0]["geo_point_2d.lon"] == 2.2


def test_opendatasoft_export_and_error(server, make_source):
    server.route("/api/explore/v2.1/catalog/datasets/vigilance/exports/json", "opendatasoft/export.json")
    run = run_source(
        make_source("opendatasoft", name="ods", dataset="vigilance", mode="export", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK and run.rows == 2
    server.route("/api/explore/v2.1/catalog/datasets/nope/records", "opendatasoft/error_400.json", status=400)
    run = run_source(
        make_source("opendatasoft", name="ods2", dataset="nope", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.FAILED and "ODSQL" in run.error


def test_opendatasoft_empty(server, make_source):
    server.route("/api/explore/v2.1/catalog/datasets/v/records", "opendatasoft/records_empty.json")
    run = run_source(
        make_source("opendatasoft", name="ods", dataset="v", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK and run.rows == 0


# --- Géorisques -----------------------------------------------------------------------------


def test_georisques_paginated_envelope(server, make_source):
    server.route("/gaspar/catnat", "georisques/catnat_page2.json", query={"page": "2"})
    server.route("/gaspar/catnat", "georisques/catnat_page1.json")
    run = run_source(
        make_source("georisques", communes="92063", page_size="2", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK, run.error
    assert [r["date_debut_evt"] for r in rows("georisques")] == ["15/01/2018", "28/05/2016", "25/12/1999"]


def test_georisques_pages_by_number_when_next_is_missing(server, make_source):
    server.route("/gaspar/catnat", "georisques/catnat_nonext_page1.json", query={"page": "1"})
    server.route("/gaspar/catnat", "georisques/catnat_empty.json")
    run = run_source(
        make_source("georisques", communes="92063", base_url=server.url), actor=SystemActor("poll_sources")
    )
    assert run.status == Run.Status.OK and [q[2]["page"] for q in server.requests] == ["1", "2"]


def test_georisques_error_envelope(server, make_source):
    server.route("/gaspar/catnat", "georisques/error.json")
    run = run_source(
        make_source("georisques", communes="00000", base_url=server.url), actor=SystemActor("poll_sources")
    )
    assert run.status == Run.Status.FAILED and "pas de liste 'data'" in run.error


# --- weather warnings -----------------------------------------------------------------------


def test_meteoalarm_cap_feed_per_department(server, make_source, ingested):
    server.route("/feed", "meteoalarm/feed-france.atom", headers={"Content-Type": "application/atom+xml"})
    run = run_source(
        make_source("meteoalarm", departments="92,94", base_url=f"{server.url}/feed"),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK, run.error
    levels = {p["series"]: p["value"] for p in ingested[0][1]}
    assert levels == {"meteo:92:crues": 3.0, "meteo:94:vent": 2.0}
    assert run.report["problem_count"] == 1


def test_meteoalarm_refuses_xml_entities(server, make_source):
    server.route("/feed", "meteoalarm/feed-xxe.atom")
    run = run_source(
        make_source("meteoalarm", departments="92", base_url=f"{server.url}/feed"),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.FAILED and "DOCTYPE" in run.error


def test_meteofrance_without_key_says_which_variable(make_source, settings):
    settings.SOURCE_API_KEYS = {}
    run = run_source(make_source("meteofrance", departments="92"), actor=SystemActor("poll_sources"))
    assert run.status == Run.Status.FAILED
    assert "BEFFROI_METEOFRANCE_API_KEY" in run.error and "portail-api.meteofrance.fr" in run.error


def test_meteofrance_vigilance_colours(server, make_source, settings, ingested):
    settings.SOURCE_API_KEYS = {"BEFFROI_METEOFRANCE_API_KEY": "k3y"}
    server.route("/cartevigilance/encours", "meteofrance/cartevigilance_encours.json")
    run = run_source(
        make_source("meteofrance", departments="92", base_url=server.url), actor=SystemActor("poll_sources")
    )
    assert run.status == Run.Status.OK, run.error
    assert server.requests[0][3].get("apikey") == "k3y"
    points = {(p["series"], p["kind"]): p["value"] for p in ingested[0][1]}
    assert points[("meteo:92:crues", "observation")] == 3.0 and points[("meteo:92:crues", "forecast")] == 2.0
    assert points[("meteo:92:vent", "observation")] == 2.0 and run.report["problem_count"] == 1


# --- air quality ----------------------------------------------------------------------------


def test_atmo_logs_in_and_reads_the_index(server, make_source, settings, ingested):
    settings.SOURCE_API_KEYS = {"BEFFROI_ATMO_USERNAME": "u", "BEFFROI_ATMO_PASSWORD": "p"}
    server.route("/api/login", "atmo/login.json")
    server.route("/api/v2/data/indices/atmo", "atmo/indices_atmo.geojson")
    run = run_source(
        make_source("atmo", communes="92063,94052,92033", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK, run.error
    assert server.requests[1][3]["Authorization"].startswith("Bearer eyJ")
    points = {p["series"]: p["value"] for p in ingested[0][1]}
    assert points["atmo:92063:index"] == 2.0 and points["atmo:94052:no2"] == 3.0
    assert "atmo:92033:index" not in points and run.report["problem_count"] == 1


def test_atmo_and_airparif_without_credentials(make_source, settings):
    settings.SOURCE_API_KEYS = {}
    assert (
        "BEFFROI_ATMO_USERNAME"
        in run_source(make_source("atmo", communes="92063"), actor=SystemActor("poll_sources")).error
    )
    assert (
        "BEFFROI_AIRPARIF_API_KEY"
        in run_source(make_source("airparif", communes="92063"), actor=SystemActor("poll_sources")).error
    )


def test_airparif_index(server, make_source, settings, ingested):
    settings.SOURCE_API_KEYS = {"BEFFROI_AIRPARIF_API_KEY": "k"}
    server.route("/indices/prevision/commune", "airparif/prevision_commune.json")
    run = run_source(
        make_source("airparif", communes="92063,94052", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK, run.error
    assert server.requests[0][3]["X-Api-Key"] == "k"
    assert sorted(p["value"] for p in ingested[0][1]) == [2.0, 3.0] and run.report["problem_count"] == 1


def test_hubeau_station_referential_is_a_map_layer(server, make_source):
    import shapely

    server.route("/referentiel/stations", "hubeau/referentiel_stations_page2.json", query={"page": "2"})
    server.route("/referentiel/stations", "hubeau/referentiel_stations_page1.json")
    run = run_source(
        make_source("hubeau-stations", name="stations", departments="92,93,78", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK, run.error
    info = selectors.get_dataset("stations")
    assert info.geometry_column == "geometry" and info.row_count == 2
    first = rows("stations")[0]
    assert first["code_station"] == "F664000104" and shapely.from_wkb(first["geometry"]).x == 2.5698
    assert run.report["problem_count"] == 1  # the station without a position


def test_vigicrues_sections_geojson_levels_as_numbers_or_strings(server, make_source, ingested):
    server.route("/InfoVigiCru.geojson", "vigicrues/InfoVigiCru.geojson")
    run = run_source(
        make_source("vigicrues-sections", name="troncons", sections="IF5,IF17,IF18", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK, run.error
    assert {r["code"]: r["colour"] for r in rows("troncons")} == {"IF5": "jaune", "IF17": "orange"}
    assert selectors.get_dataset("troncons").geometry_column == "geometry"
    assert {p["series"]: p["value"] for p in ingested[0][1]} == {
        "vigicrues:IF5:level": 2.0,
        "vigicrues:IF17:level": 3.0,
    }
    assert run.report["problem_count"] == 1


def test_an_api_answer_nested_past_any_real_document_is_refused_before_parsing():
    from beffroi.sources.connectors.base import Connector
    from beffroi.sources.connectors.errors import PayloadError
    from beffroi.sources.connectors.http import Fetched

    deep = Fetched("http://127.0.0.1:9/api", 200, {}, b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(PayloadError, match="imbriqué trop profondément"):
        Connector.json_of(deep)
    assert Connector.json_of(Fetched("http://127.0.0.1:9/api", 200, {}, b'{"a": [[1]]}')) == {"a": [[1]]}
