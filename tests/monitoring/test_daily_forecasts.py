"""End to end: the ATMO index for tomorrow and the next-day vigilance map, from the connector's
answer to the indicator's forecast, its time to threshold (« prévu demain ») and the chart."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.monitoring.actions import do_ingest_points, do_save_indicator
from beffroi.monitoring.models import Indicator, Observation, Proposal
from beffroi.monitoring.selectors import daily_forecast_day, snapshot
from beffroi.sources.actions import do_add_source
from beffroi.sources.models import Run
from beffroi.sources.runner import run_source
from tests.sources.fakeserver import FakeServer

FIXTURES = Path(__file__).parent.parent / "fixtures"
PARIS = ZoneInfo("Europe/Paris")
CLI = SystemActor("cli")


@pytest.fixture
def server(settings, tmp_path):
    settings.SOURCES_ALLOW_HOSTS = ["127.0.0.1"]
    settings.DATASETS_DIR = tmp_path / "data"
    srv = FakeServer()
    yield srv
    srv.close()


def paris_midnight(days: int) -> datetime:
    day = timezone.localtime(timezone.now(), PARIS).date() + timedelta(days=days)
    return datetime.combine(day, time(), PARIS).astimezone(UTC)


def run(kind, server, **config):
    config.update(backoff="0.01", timeout="2", base_url=server.url)
    src = do_add_source(kind, kind, config=config, actor=CLI)
    result = run_source(src, actor=SystemActor("poll_sources"))
    assert result.status == Run.Status.OK, result.error
    return result


def test_atmo_index_threshold_reached_tomorrow(territory, server, settings):
    settings.SOURCE_API_KEYS = {"BEFFROI_ATMO_USERNAME": "u", "BEFFROI_ATMO_PASSWORD": "p"}
    indicator = do_save_indicator(
        key="atmo-rueil",
        label="Indice ATMO à Rueil-Malmaison",
        unit="indice",
        source="Atmo France",
        series="atmo:92063:index",
        commune="92063",
        hazard="pollution",
        thresholds=[
            {"level": 1, "name": "mauvais", "label": "Mauvais", "value": 4, "colour": "#ff5050"},
            {"level": 2, "name": "tres-mauvais", "label": "Très mauvais", "value": 5, "colour": "#960032"},
        ],
        actor=CLI,
    )
    today = paris_midnight(0).astimezone(PARIS).date()
    body = (FIXTURES / "atmo/indices_atmo_j1.geojson").read_text()
    body = body.replace("2026-11-29", (today + timedelta(days=1)).isoformat())
    body = body.replace("2026-11-28", today.isoformat())
    server.route("/api/login", "atmo/login.json")
    server.route("/api/v2/data/indices/atmo", body=body.encode())
    run("atmo", server, communes="92063")

    stored = {o.kind: o for o in Observation.objects.filter(indicator=indicator)}
    assert stored["observation"].value == 3.0 and stored["observation"].at == paris_midnight(0)
    assert stored["forecast"].value == 4.0 and stored["forecast"].at == paris_midnight(1)
    issued = datetime.combine(today, time(11, 40, 12), PARIS)
    assert stored["forecast"].issued_at == issued

    s = snapshot(Indicator.objects.get(pk=indicator.pk))  # its state as the run left it
    assert s["level"] == 0 and s["value"] == 3.0
    # on the chart as the source's forecast, with its issue time
    assert s["forecast"] == [[paris_midnight(1).isoformat(), 4.0]]
    assert s["forecast_issued_at"] == issued.astimezone(UTC).isoformat()
    eta = s["next_threshold"]
    assert eta["basis"] == "forecast" and eta["label"] == "Mauvais"
    assert eta["day"] == (today + timedelta(days=1)).isoformat() and eta["days_ahead"] == 1
    # the plan's proposal says « demain », not the midnight the value is dated at
    proposal = Proposal.objects.get(indicator=indicator)
    assert proposal.title == "Anticiper : Indice ATMO à Rueil-Malmaison prévu au niveau Mauvais demain"
    assert proposal.text.startswith("Prévision (Atmo France) : niveau Mauvais demain, pic 4 indice demain.")


def test_next_day_vigilance_orange_tomorrow(territory, server, settings):
    settings.SOURCE_API_KEYS = {"BEFFROI_METEOFRANCE_API_KEY": "k"}
    indicator = do_save_indicator(
        key="vigilance-crues-94",
        label="Vigilance crues (Val-de-Marne)",
        unit="niveau",
        source="Météo-France",
        series="meteo:94:crues",
        commune="94052",
        hazard="inondation",
        thresholds=[
            {"level": 1, "name": "jaune", "label": "Jaune", "value": 2, "colour": "#f2c200"},
            {"level": 2, "name": "orange", "label": "Orange", "value": 3, "colour": "#e07000"},
            {"level": 3, "name": "rouge", "label": "Rouge", "value": 4, "colour": "#c0182a"},
        ],
        actor=CLI,
    )
    now = timezone.now()
    body = (FIXTURES / "meteofrance/cartevigilance_j1.json").read_text()
    for old, new in [
        ("2026-11-27T23:00:00Z", paris_midnight(0)),
        ("2026-11-28T23:00:00Z", paris_midnight(1)),
        ("2026-11-29T23:00:00Z", paris_midnight(2)),
        ("2026-11-28T12:00:00Z", now - timedelta(hours=2)),
        ("2026-11-28T16:00:00Z", now - timedelta(hours=1)),
    ]:
        body = body.replace(old, new.strftime("%Y-%m-%dT%H:%M:%SZ"))
    server.route("/cartevigilance/encours", body=body.encode())
    run("meteofrance", server, departments="94")

    s = snapshot(Indicator.objects.get(pk=indicator.pk))  # its state as the run left it
    assert s["level"] == 1 and s["value"] == 2.0  # yellow today
    assert s["forecast"] == [[paris_midnight(1).isoformat(), 3.0]]
    assert s["forecast_issued_at"] == (now - timedelta(hours=1)).replace(microsecond=0).isoformat()
    eta = s["next_threshold"]
    assert eta["basis"] == "forecast" and eta["label"] == "Orange" and eta["days_ahead"] == 1


def test_an_hourly_forecast_keeps_its_hour(marne):
    """Vigicrues forecasts are hourly: the threshold keeps its expected time, not a day."""
    start = paris_midnight(1)
    points = [
        {"series": marne.series, "at": start + timedelta(hours=h), "value": 3.5 + h * 0.1, "unit": "m"}
        for h in range(6)
    ]
    do_ingest_points(
        [{"series": marne.series, "at": timezone.now(), "value": 3.5, "unit": "m"}]
        + [dict(p, kind="forecast") for p in points],
        source="t",
        actor=SystemActor("poll_sources"),
    )
    eta = snapshot(Indicator.objects.get(pk=marne.pk))["next_threshold"]
    assert eta["basis"] == "forecast" and "day" not in eta
    forecast = [(p["at"], p["value"]) for p in points]
    assert daily_forecast_day(forecast, start) is None
    # one value per day at local midnight (across a DST change too) is a daily forecast
    days = [(paris_midnight(d), 1.0) for d in (1, 2, 3)]
    assert (
        daily_forecast_day(days, paris_midnight(2)) == paris_midnight(2).astimezone(PARIS).date().isoformat()
    )
    assert daily_forecast_day(days, paris_midnight(2) + timedelta(hours=1)) is None
    for night, day in [((2026, 10, 25), "2026-10-26"), ((2027, 3, 28), "2027-03-29")]:  # 25 h, 23 h
        first = datetime(*night, tzinfo=PARIS).astimezone(UTC)
        second = datetime.fromisoformat(day).replace(tzinfo=PARIS).astimezone(UTC)
        assert daily_forecast_day([(first, 1.0), (second, 2.0)], second) == day
