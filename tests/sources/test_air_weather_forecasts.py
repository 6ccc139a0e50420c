"""The ATMO index for tomorrow and the next-day vigilance map, as forecast points with their issue time."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from beffroi.core.actors import SystemActor
from beffroi.sources.connectors import atmo as atmo_module
from beffroi.sources.connectors.http import Fetched
from beffroi.sources.connectors.values import as_datetime
from beffroi.sources.models import Run
from beffroi.sources.runner import run_source

FIXTURES = Path(__file__).parent.parent / "fixtures"
POLLER = SystemActor("poll_sources")


@pytest.fixture
def ingested(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "beffroi.sources.sinks.push_points",
        lambda points, name, actor: calls.append((name, points)) or "pushed",
    )
    return calls


def by_key(points):
    return {(p["series"], p["kind"]): p for p in points}


def atmo_routes(server, body: bytes | None = None):
    server.route("/api/login", "atmo/login.json")
    if body is None:
        server.route("/api/v2/data/indices/atmo", "atmo/indices_atmo_j1.geojson")
    else:
        server.route("/api/v2/data/indices/atmo", body=body)


def test_atmo_tomorrow_is_a_forecast_issued_at_date_maj(server, make_source, settings, ingested, monkeypatch):
    settings.SOURCE_API_KEYS = {"BEFFROI_ATMO_USERNAME": "u", "BEFFROI_ATMO_PASSWORD": "p"}
    monkeypatch.setattr(atmo_module, "paris_today", lambda: date(2026, 11, 28))
    atmo_routes(server)
    run = run_source(make_source("atmo", communes="92063,94052,92033", base_url=server.url), actor=POLLER)
    assert run.status == Run.Status.OK, run.error
    # the diffusion day asked is the day in Paris
    assert server.requests[1][2]["date"] == "2026-11-28"
    points = by_key(ingested[0][1])
    today = points[("atmo:92063:index", "observation")]
    tomorrow = points[("atmo:92063:index", "forecast")]
    assert today["value"] == 3.0 and "issued_at" not in today
    assert tomorrow["value"] == 4.0
    # a bare date is that day's midnight in Paris (23:00 UTC in winter)
    assert tomorrow["at"] == datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    assert tomorrow["issued_at"] == datetime(2026, 11, 28, 10, 40, 12, tzinfo=UTC)
    # sub-indices of tomorrow are forecasts too, with the same issue time
    assert points[("atmo:92063:pm10", "forecast")]["value"] == 4.0
    assert points[("atmo:92063:pm10", "forecast")]["issued_at"] == tomorrow["issued_at"]


def test_atmo_date_maj_as_postgresql_text_and_missing(server, make_source, settings, ingested, monkeypatch):
    settings.SOURCE_API_KEYS = {"BEFFROI_ATMO_USERNAME": "u", "BEFFROI_ATMO_PASSWORD": "p"}
    monkeypatch.setattr(atmo_module, "paris_today", lambda: date(2026, 11, 28))
    atmo_routes(server)
    run_source(make_source("atmo", communes="94052,92033", base_url=server.url), actor=POLLER)
    points = by_key(ingested[0][1])
    # « 2026-11-28 11:40:12+01 » (the PostgreSQL form) is read as well as ISO
    assert points[("atmo:94052:index", "forecast")]["issued_at"] == datetime(
        2026, 11, 28, 10, 40, 12, tzinfo=UTC
    )
    # no date_maj: the diffusion day (its midnight in Paris) stands for the issue time
    assert points[("atmo:92033:index", "forecast")]["issued_at"] == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
    assert points[("atmo:92033:index", "forecast")]["value"] == 5.0


def test_atmo_without_date_dif_uses_the_day_in_paris(server, make_source, settings, ingested, monkeypatch):
    settings.SOURCE_API_KEYS = {"BEFFROI_ATMO_USERNAME": "u", "BEFFROI_ATMO_PASSWORD": "p"}
    monkeypatch.setattr(atmo_module, "paris_today", lambda: date(2026, 11, 28))
    doc = json.loads((FIXTURES / "atmo/indices_atmo_j1.geojson").read_text())
    for feature in doc["features"]:
        feature["properties"].pop("date_dif")
    atmo_routes(server, json.dumps(doc).encode())
    run_source(make_source("atmo", communes="92063", base_url=server.url), actor=POLLER)
    points = by_key(ingested[0][1])
    assert points[("atmo:92063:index", "observation")]["value"] == 3.0
    assert points[("atmo:92063:index", "forecast")]["value"] == 4.0


def test_atmo_epoch_milliseconds_date_ech(server, make_source, settings, ingested, monkeypatch):
    """ArcGIS copies of the index give date_ech in epoch milliseconds."""
    settings.SOURCE_API_KEYS = {"BEFFROI_ATMO_USERNAME": "u", "BEFFROI_ATMO_PASSWORD": "p"}
    monkeypatch.setattr(atmo_module, "paris_today", lambda: date(2026, 11, 28))
    doc = json.loads((FIXTURES / "atmo/indices_atmo_j1.geojson").read_text())
    feature = doc["features"][1]
    feature["properties"]["date_ech"] = int(datetime(2026, 11, 28, 23, 0, tzinfo=UTC).timestamp() * 1000)
    doc["features"] = [feature]
    atmo_routes(server, json.dumps(doc).encode())
    run_source(make_source("atmo", communes="92063", base_url=server.url), actor=POLLER)
    point = by_key(ingested[0][1])[("atmo:92063:index", "forecast")]
    assert point["at"] == datetime(2026, 11, 28, 23, 0, tzinfo=UTC) and point["value"] == 4.0


def test_atmo_bad_date_ech_is_a_row_problem(server, make_source, settings, ingested, monkeypatch):
    settings.SOURCE_API_KEYS = {"BEFFROI_ATMO_USERNAME": "u", "BEFFROI_ATMO_PASSWORD": "p"}
    doc = json.loads((FIXTURES / "atmo/indices_atmo_j1.geojson").read_text())
    doc["features"][1]["properties"]["date_ech"] = "2026-13-45"
    atmo_routes(server, json.dumps(doc).encode())
    run = run_source(make_source("atmo", communes="92063", base_url=server.url), actor=POLLER)
    assert run.status == Run.Status.OK and run.report["problem_count"] == 1
    assert "entité 2" in run.report["problems"][0]


# --- Météo-France -------------------------------------------------------------------------------


def vigilance(**changes) -> bytes:
    doc = json.loads((FIXTURES / "meteofrance/cartevigilance_j1.json").read_text())
    for path, value in changes.items():
        node = doc
        *head, last = path.split("__")
        for part in head:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is None:
            node.pop(last)
        else:
            node[last] = value
    return json.dumps(doc).encode()


def test_vigilance_next_day_map_is_a_forecast_issued_at_update_time(server, make_source, settings, ingested):
    settings.SOURCE_API_KEYS = {"BEFFROI_METEOFRANCE_API_KEY": "k3y"}
    server.route("/cartevigilance/encours", "meteofrance/cartevigilance_j1.json")
    run = run_source(make_source("meteofrance", departments="94", base_url=server.url), actor=POLLER)
    assert run.status == Run.Status.OK, run.error
    points = by_key(ingested[0][1])
    today = points[("meteo:94:crues", "observation")]
    tomorrow = points[("meteo:94:crues", "forecast")]
    assert today["value"] == 2.0 and "issued_at" not in today
    assert tomorrow["value"] == 3.0
    assert tomorrow["at"] == datetime(2026, 11, 28, 23, 0, tzinfo=UTC)  # J1 begins at midnight in Paris
    assert tomorrow["issued_at"] == datetime(2026, 11, 28, 16, 0, tzinfo=UTC)
    assert points[("meteo:94:pluie-inondation", "forecast")]["value"] == 3.0
    # only the départements asked for
    assert not any(s.startswith("meteo:13:") for s, _k in points)


def test_vigilance_issue_time_falls_back_to_meta(server, make_source, settings, ingested):
    settings.SOURCE_API_KEYS = {"BEFFROI_METEOFRANCE_API_KEY": "k3y"}
    server.route("/cartevigilance/encours", body=vigilance(product__update_time=None))
    run_source(make_source("meteofrance", departments="94", base_url=server.url), actor=POLLER)
    point = by_key(ingested[0][1])[("meteo:94:crues", "forecast")]
    assert point["issued_at"] == datetime(2026, 11, 28, 15, 58, 20, tzinfo=UTC)


def test_vigilance_unknown_period_and_colour_are_row_problems(server, make_source, settings, ingested):
    settings.SOURCE_API_KEYS = {"BEFFROI_METEOFRANCE_API_KEY": "k3y"}
    body = json.loads(vigilance())
    body["product"]["periods"].append(dict(body["product"]["periods"][1], echeance="J2"))
    body["product"]["periods"][1]["timelaps"]["domain_ids"][0]["phenomenon_items"][0][
        "phenomenon_max_color_id"
    ] = 7
    server.route("/cartevigilance/encours", body=json.dumps(body).encode())
    run = run_source(make_source("meteofrance", departments="94", base_url=server.url), actor=POLLER)
    assert run.status == Run.Status.OK, run.error
    problems = " | ".join(run.report["problems"])
    assert "echeance inconnue 'J2'" in problems and "94 2" in problems and run.report["problem_count"] == 2
    points = by_key(ingested[0][1])
    assert ("meteo:94:pluie-inondation", "forecast") not in points
    assert points[("meteo:94:crues", "forecast")]["value"] == 3.0


def test_source_page_says_in_french_that_the_key_is_missing(client_for, make_source, settings):
    settings.SOURCE_API_KEYS = {}
    make_source("meteofrance", name="vigilance", departments="94")
    page = client_for("lecteur").get(reverse("sources:source", args=["vigilance"])).content.decode()
    assert "Clé d&#x27;accès manquante" in page or "Clé d'accès manquante" in page
    assert "BEFFROI_METEOFRANCE_API_KEY" in page and "portail-api.meteofrance.fr" in page
    settings.SOURCE_API_KEYS = {"BEFFROI_METEOFRANCE_API_KEY": "k"}
    page = client_for("lecteur").get(reverse("sources:source", args=["vigilance"])).content.decode()
    assert "manquante" not in page


# --- properties ---------------------------------------------------------------------------------

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
updates = st.one_of(
    st.none(),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S+00")),
    st.sampled_from(["", "hier", 0, True]),
)


@hypothesis_settings(max_examples=100, deadline=None)
@given(
    records=st.lists(
        st.tuples(
            days, st.integers(min_value=-1, max_value=3), st.integers(min_value=1, max_value=6), updates
        ),
        min_size=1,
        max_size=6,
    )
)
def test_atmo_forecast_iff_date_ech_after_date_dif(records):
    """Whatever the days and update times, a point is a forecast exactly when its date_ech is after
    its date_dif, it stands at that day's midnight in Paris, and a forecast carries an issue time
    (date_maj when it reads, else the diffusion day)."""
    features = []
    for n, (dif, ahead, qual, maj) in enumerate(records):
        props = {
            "code_zone": f"9{n:04d}",
            "date_dif": dif.isoformat(),
            "date_ech": (dif + timedelta(days=ahead)).isoformat(),
            "code_qual": qual,
        }
        if maj is not None:
            props["date_maj"] = maj
        features.append({"type": "Feature", "geometry": None, "properties": props})
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    conn = atmo_module.Atmo({"communes": "92063"}, source_name="t")
    parsed = conn.parse([Fetched(url="https://source.test/atmo", status=200, headers={}, content=body)])
    assert len(parsed.points) == len(records) and not parsed.problems
    for point, (dif, ahead, _qual, maj) in zip(parsed.points, records, strict=True):
        ech = dif + timedelta(days=ahead)
        assert point["kind"] == ("forecast" if ahead > 0 else "observation")
        assert point["at"] == datetime.combine(ech, time(), atmo_module.PARIS)
        if ahead > 0:
            expected = as_datetime(maj) or datetime.combine(dif, time(), atmo_module.PARIS)
            assert point["issued_at"] == expected
        else:
            assert "issued_at" not in point


def test_atmo_before_the_day_is_published_is_an_empty_run(server, make_source, settings, ingested):
    """Atmo France publishes at 14:00: a morning answer may hold no feature yet; not a failure."""
    settings.SOURCE_API_KEYS = {"BEFFROI_ATMO_USERNAME": "u", "BEFFROI_ATMO_PASSWORD": "p"}
    atmo_routes(server, b'{"type": "FeatureCollection", "features": []}')
    run = run_source(make_source("atmo", communes="92063", base_url=server.url), actor=POLLER)
    assert run.status == Run.Status.OK and run.rows == 0 and ingested == []
