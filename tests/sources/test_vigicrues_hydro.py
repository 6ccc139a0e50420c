"""Vigicrues per-station observations and forecasts, and the territory/section/station catalogue,
against a local server serving recorded-format answers."""

from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.sources import selectors
from beffroi.sources.models import Run
from beffroi.sources.runner import run_source

pytestmark = pytest.mark.django_db
POLLER = SystemActor("poll_sources")


@pytest.fixture
def ingested(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "beffroi.sources.sinks.push_points",
        lambda points, name, actor: calls.append((name, points)) or "pushed",
    )
    return calls


def hydro_routes(server, forecast="vigicrues/previsions_F664000104_H.json"):
    server.route("/observations.json", "vigicrues/observations_F664000104_H.json", query={"GrdSerie": "H"})
    server.route(
        "/observations.json", "vigicrues/observations_F664000104_Q_simple.json", query={"GrdSerie": "Q"}
    )
    server.route("/previsions.json", forecast, query={"GrdSimul": "H"})
    server.route("/previsions.json", "vigicrues/previsions_none.json", query={"GrdSimul": "Q"})


def test_heights_flows_and_forecast_with_its_band_and_issue_time(server, make_source, ingested):
    hydro_routes(server)
    src = make_source("vigicrues-hydro", stations="F664000104", grandeurs="H,Q", base_url=server.url)
    run = run_source(src, actor=POLLER)
    assert run.status == Run.Status.OK, run.error
    points = ingested[0][1]
    heights = [p for p in points if p["series"] == "vigicrues:F664000104:H" and p["kind"] == "observation"]
    assert [p["value"] for p in heights] == [3.41, 3.45, 3.52]  # the null value is reported, not kept
    assert heights[0]["unit"] == "m" and heights[0]["at"] == datetime(2026, 11, 28, 10, tzinfo=UTC)
    flows = [p for p in points if p["series"] == "vigicrues:F664000104:Q"]
    assert [p["value"] for p in flows] == [212.4, 219.0] and flows[0]["unit"] == "m3/s"
    assert flows[0]["at"] == datetime(2026, 11, 28, 12, tzinfo=UTC)  # epoch milliseconds
    forecast = [p for p in points if p["kind"] == "forecast"]
    assert [p["value"] for p in forecast] == [3.55, 3.85, 4.05, 4.10]  # the out-of-order one set aside
    assert forecast[1]["low"] == 3.70 and forecast[1]["high"] == 4.00
    assert "low" not in forecast[3] and "high" not in forecast[3]  # median alone where no band
    assert all(p["issued_at"] == datetime(2026, 11, 28, 11, 15, tzinfo=UTC) for p in forecast)
    problems = " | ".join(run.report["problems"])
    assert "dans le désordre" in problems and "date ou valeur manquante" in problems
    assert any("pas de prévision" in n for n in run.report["notes"])  # Q: the error list is a note
    table = pq.read_table(selectors.get_dataset(src.name).parquet_path).to_pylist()
    stored = [r for r in table if r["kind"] == "forecast"]
    assert stored[0]["low"] == 3.50 and stored[0]["issued_at"] is not None


def test_the_v11_forecast_route_and_its_offsets(server, make_source, ingested):
    hydro_routes(server, forecast="vigicrues/prevision_v11_F664000104_H.json")
    run = run_source(make_source("vigicrues-hydro", stations="F664000104", base_url=server.url), actor=POLLER)
    assert run.status == Run.Status.OK, run.error
    forecast = [p for p in ingested[0][1] if p["kind"] == "forecast"]
    assert forecast[0]["at"] == datetime(2026, 11, 28, 12, tzinfo=UTC)  # +02:00 moved to UTC
    assert forecast[0]["issued_at"] == datetime(2026, 11, 28, 11, 15, tzinfo=UTC)


def test_an_error_body_for_observations_is_reported(server, make_source, ingested):
    server.route("/observations.json", "vigicrues/previsions_none.json")
    run = run_source(
        make_source("vigicrues-hydro", stations="X", forecasts="false", base_url=server.url), actor=POLLER
    )
    assert run.status == Run.Status.OK and "le service a répondu par une erreur" in run.report["problems"][0]


def test_an_answer_of_another_service_is_a_payload_error(server, make_source):
    server.route("/observations.json", "vigicrues/InfoVigiCru_section.jsonld")
    run = run_source(
        make_source("vigicrues-hydro", stations="X", forecasts="false", base_url=server.url), actor=POLLER
    )
    assert run.status == Run.Status.FAILED and "ni 'Serie' ni 'Simul'" in run.error


def test_grandeur_must_be_h_or_q(make_source):
    with pytest.raises(UserError) as exc:
        make_source("vigicrues-hydro", stations="F664000104", grandeurs="H,T")
    assert exc.value.problems[0].field == "grandeurs"


def catalogue_routes(server):
    server.route("/TerEntVigiCru.jsonld", "vigicrues/TerEntVigiCru_7.jsonld", query={"CdEntVigiCru": "7"})
    for section in ("IF17", "IF5"):
        server.route(
            "/TronEntVigiCru.jsonld",
            f"vigicrues/TronEntVigiCru_{section}.jsonld",
            query={"CdEntVigiCru": section},
        )
    for code in ("F664000104", "F664000404", "F700000103"):
        server.route(
            "/StaEntVigiCru.jsonld", f"vigicrues/StaEntVigiCru_{code}.jsonld", query={"CdEntVigiCru": code}
        )


def test_catalogue_walks_territory_sections_and_stations(server, make_source):
    catalogue_routes(server)
    src = make_source("vigicrues-catalogue", territories="7", base_url=server.url)
    assert src.period_seconds == 86400  # refreshed daily by the poller
    run = run_source(src, actor=POLLER)
    assert run.status == Run.Status.OK, run.error
    dataset = selectors.get_dataset(src.name)
    table = pq.read_table(dataset.parquet_path).to_pylist()
    by_code = {r["code"]: r for r in table}
    gournay = by_code["F664000104"]
    assert gournay["commune"] == "93033" and gournay["section"] == "IF17"
    assert gournay["section_label"] == "Marne de Condé à Charenton" and gournay["territory"] == "7"
    assert gournay["territory_label"] == "Seine moyenne - Yonne - Loing" and gournay["forecast"] is True
    assert by_code["F664000404"]["forecast"] is False
    assert by_code["F700000103"]["geometry"] is None  # no coordinates: kept, without position
    import shapely

    point = shapely.from_wkb(gournay["geometry"])
    assert 2.55 < point.x < 2.62 and 48.85 < point.y < 48.88  # Lambert-93 → WGS84
    assert len(server.requests) == 1 + 2 + 3


def test_catalogue_with_too_many_stations_stops(server, make_source):
    catalogue_routes(server)
    run = run_source(
        make_source("vigicrues-catalogue", territories="7", max_stations="2", base_url=server.url),
        actor=POLLER,
    )
    assert run.status == Run.Status.FAILED and "plus que max_stations=2" in run.error


def test_national_synthesis_by_department(server, make_source, ingested):
    server.route(
        "/InfoVigiCru.jsonld",
        "vigicrues/InfoVigiCru_national_departements.jsonld",
        query={"TypEntVigiCru": "4"},
    )
    run = run_source(make_source("vigicrues", departments="75,78,94,51", base_url=server.url), actor=POLLER)
    assert run.status == Run.Status.OK, run.error
    levels = {p["series"]: p["value"] for p in ingested[0][1]}
    assert levels == {
        "vigicrues:A00:level": 3.0,
        "vigicrues:dep-75:level": 3.0,
        "vigicrues:dep-78:level": 2.0,
    }
    assert any("le département 94 n'est pas dans la synthèse nationale" in n for n in run.report["notes"])
    assert "'?' n'est pas un nombre" in run.report["problems"][0]  # 51 listed with an unreadable level
    all_deps = run_source(
        make_source("vigicrues", name="vc-all", departments="all", base_url=server.url), actor=POLLER
    )
    assert all_deps.status == Run.Status.OK and len(ingested[1][1]) == 1 + 7
