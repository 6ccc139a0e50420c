"""What will be in the water at the forecast peak, through the crossing app's zones per level."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.crossing import selectors as crossing
from beffroi.monitoring.actions import do_ingest_points
from beffroi.monitoring.selectors import forecast_exposure

from .conftest import points

LEVELS = [
    {"level": 4.0, "label": "Marne à 4 m", "summary": {"residents": 120, "addresses": 40}},
    {"level": 5.0, "label": "Marne à 5 m", "summary": {"residents": 900, "addresses": 310}},
]


@pytest.fixture
def fake_scenario(monkeypatch):
    calls = []

    def scenario(dataset, *, user, datasets=None):
        calls.append(dataset)
        return {"dataset": dataset, "title": "Zones (test)", "source": {}, "levels": LEVELS}

    monkeypatch.setattr(crossing, "scenario", scenario)
    return calls


def test_zone_reached_at_the_forecast_peak(marne, make_user, fake_scenario):
    marne.zones_dataset = "flood-zones-marne"
    marne.save()
    now = timezone.now()
    do_ingest_points(points(marne.series, [3.5]), source="t", actor=SystemActor("poll_sources"))
    do_ingest_points(
        points(
            marne.series,
            [3.9, 4.6, 4.2],
            start=now + timedelta(hours=2),
            step=timedelta(hours=6),
            kind="forecast",
        ),
        source="t",
        actor=SystemActor("poll_sources"),
    )
    result = forecast_exposure(marne, make_user("cellule_crise"))
    assert fake_scenario == ["flood-zones-marne"]
    assert result["peak"] == 4.6 and result["basis"] == "forecast"
    assert result["zone"]["level"] == 4.0 and result["zone"]["summary"]["residents"] == 120


def test_no_zone_below_the_first_level_and_no_link(marne, make_user, fake_scenario, client_for):
    user = make_user("cellule_crise")
    assert forecast_exposure(marne, user) is None
    marne.zones_dataset = "flood-zones-marne"
    marne.save()
    do_ingest_points(
        points(marne.series, [2.0, 2.01, 2.0, 2.02, 2.01]), source="t", actor=SystemActor("poll_sources")
    )  # flat trend, no forecast
    result = forecast_exposure(marne, user)
    assert (
        result["basis"] in ("trend", "observation")
        and result["zone"] is None
        and result["first_level"] == 4.0
    )
    response = client_for("cellule_crise").get("/api/indicators/marne-gournay/exposure")
    assert response.status_code == 200 and response.json()["zone"] is None
