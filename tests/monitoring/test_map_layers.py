"""Hazard zones and facilities on the /veille/ map (/veille/couches.json), read through the crossing app."""

from __future__ import annotations

import logging

import pytest
from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.crossing import demo as crossing_demo
from beffroi.monitoring.actions import do_ingest_points

URL = "/veille/couches.json"


@pytest.fixture
def demo_marne(territory):
    """The demo's Marne station at Gournay, linked to the synthetic flood zones per water height
    (lowest level 4 m): about 3.3 m now, a forecast peak just above 4 m."""
    from beffroi.monitoring import demo
    from beffroi.monitoring.models import Indicator

    crossing_demo.load(["92063", "92033", "94052"])
    demo.load(["94052"])
    return Indicator.objects.get(key="marne-gournay")


def _observe(indicator, value):
    do_ingest_points(
        [{"series": indicator.series, "at": timezone.now(), "value": value, "unit": "m"}],
        source="t",
        actor=SystemActor("poll_sources"),
    )


def _zones(response):
    assert response.status_code == 200, response.content[:500]
    return response.json()["zones"]["features"]


def test_zone_reached_now_when_the_marne_is_above_the_lowest_level(demo_marne, client_for):
    _observe(demo_marne, 5.2)
    zones = _zones(client_for("lecteur").get(URL))
    assert len(zones) == 1  # the forecast peak is below the observed height: nothing further ahead
    zone = zones[0]
    assert zone["geometry"]["type"] in ("Polygon", "MultiPolygon")
    props = zone["properties"]
    assert props["indicator"] == "marne-gournay" and props["kind"] == "current"
    assert props["level"] == 5.0 and props["value"] == 5.2 and props["dataset"] == "flood-zones-marne"
    assert props["colour"] == "#c0182a"  # 5.2 m is in the demo's "Crise" level (from 4.4 m)
    assert props["synthetic"] is True


def test_forecast_zone_when_only_the_forecast_peak_reaches_a_level(demo_marne, client_for):
    zones = _zones(client_for("cellule_crise").get(URL))
    assert [z["properties"]["kind"] for z in zones] == ["forecast"]
    props = zones[0]["properties"]
    assert props["level"] == 4.0 and props["basis"] == "forecast" and props["value"] >= 4.0
    assert props["indicator_label"] == demo_marne.label


def test_facilities_of_the_users_communes(demo_marne, client_for):
    data = client_for("lecteur", communes=["94052"]).get(URL).json()
    names = [f["properties"]["name"] for f in data["facilities"]["features"]]
    assert names and all("(94052)" in n for n in names)
    assert data["facilities"]["truncated"] is False


def test_reader_of_another_commune_sees_no_zone_of_gournay(demo_marne, client_for):
    _observe(demo_marne, 6.2)
    data = client_for("lecteur", communes=["92063"]).get(URL).json()
    assert data["zones"]["features"] == []
    assert all("(94052)" not in f["properties"]["name"] for f in data["facilities"]["features"])


def test_without_the_exposure_permission_the_layers_are_empty(demo_marne, client_for):
    from django.contrib.auth.models import Group, Permission

    _observe(demo_marne, 5.2)
    Group.objects.get(name="lecteur").permissions.remove(
        Permission.objects.get(codename="view_exposure", content_type__app_label="crossing")
    )
    response = client_for("lecteur").get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "zones": {"type": "FeatureCollection", "features": []},
        "facilities": {"type": "FeatureCollection", "features": [], "truncated": False},
    }


def test_the_layers_need_a_login_and_the_monitoring_permission(demo_marne, client):
    from django.contrib.auth import get_user_model

    assert client.get(URL).status_code in (302, 401, 403)
    client.force_login(get_user_model().objects.create_user("nobody", password="x"))
    assert client.get(URL).status_code == 403


def test_missing_or_broken_zones_are_skipped_and_logged(demo_marne, client_for, caplog):
    from beffroi.sources.selectors import get_dataset

    _observe(demo_marne, 5.2)
    client = client_for("lecteur")
    demo_marne.zones_dataset = "flood-zones-nowhere"
    demo_marne.save()
    with caplog.at_level(logging.WARNING, logger="beffroi.monitoring.selectors"):
        data = client.get(URL).json()
    assert data["zones"]["features"] == [] and data["facilities"]["features"]
    assert "flood-zones-nowhere" in caplog.text

    demo_marne.zones_dataset = "flood-zones-marne"
    demo_marne.save()
    get_dataset("flood-zones-marne").parquet_path.write_bytes(b"not a parquet file")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="beffroi.monitoring.selectors"):
        response = client.get(URL)
    assert response.status_code == 200 and response.json()["zones"]["features"] == []
    assert "marne-gournay" in caplog.text


def test_the_dashboard_points_its_map_at_the_layers(demo_marne, client_for):
    response = client_for("lecteur").get("/veille/")
    config = response.context["veille_config"]
    assert config["layersUrl"] == "/veille/couches.json"
    assert config["strings"]["zonesLayer"] == "Zones inondées (niveau actuel / prévu)"
    assert config["strings"]["facilitiesLayer"] == "Équipements"
    page = response.content.decode()
    assert "zone inondée à la hauteur prévue (pointillés)" in page  # the legend says how it is drawn


def test_the_forecast_zone_follows_a_new_vigicrues_issue(demo_marne, client_for):
    from datetime import timedelta

    now = timezone.now()
    issue = [
        {
            "series": "vigicrues:F664000104:H",  # the demo indicator's forecast series
            "at": now + timedelta(hours=h),
            "value": v,
            "low": v - 0.2,
            "high": v + 0.3,
            "issued_at": now,
            "unit": "m",
            "kind": "forecast",
        }
        for h, v in ((1, 3.6), (6, 4.5), (12, 5.1), (18, 4.8))
    ]
    do_ingest_points(issue, source="vigicrues", actor=SystemActor("poll_sources"))
    zones = _zones(client_for("cellule_crise").get(URL))
    props = zones[0]["properties"]
    assert props["kind"] == "forecast" and props["level"] == 5.0 and props["value"] == 5.1
