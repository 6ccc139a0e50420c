"""Indicators computed from a saved crossing or from a catalogue dataset (e.g. a data.gouv.fr file)."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pyarrow as pa
import pytest
from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.crossing.models import SavedCrossing
from beffroi.monitoring.actions import do_save_indicator
from beffroi.monitoring.derived import sync_derived
from beffroi.monitoring.models import Observation
from beffroi.sources.actions import do_store_dataframe_dataset

pytestmark = pytest.mark.django_db

LEVELS = [{"level": 1, "name": "vigilance", "label": "Vigilance", "value": 100.0}]


def _indicator(key: str, series: str):
    return do_save_indicator(
        key=key,
        label=key,
        unit="",
        source="calculé",
        series=series,
        commune="94052",
        thresholds=LEVELS,
        actor=SystemActor("cli"),
    )


def _crossing(pop_75: int) -> SavedCrossing:
    now = timezone.now()
    return SavedCrossing.objects.create(
        name="Quais de Marne",
        area={"type": "Polygon", "coordinates": []},
        result={"layers": [{"layer": "residents", "figures": {"total": 1788, "pop_75_plus": pop_75}}]},
        created_at=now,
        computed_at=now - timedelta(minutes=5),
    )


def _values(series: str) -> list[float]:
    return list(
        Observation.objects.filter(indicator__series=series).order_by("at").values_list("value", flat=True)
    )


def test_a_crossing_figure_becomes_a_point_each_time_the_crossing_is_recomputed(territory):
    saved = _crossing(179)
    series = f"crossing:{saved.pk}:residents:pop_75_plus"
    indicator = _indicator("seniors-quais", series)
    report = sync_derived()
    assert (report.points, report.problems) == (1, [])
    assert _values(series) == [179.0]
    assert sync_derived().points == 0  # nothing new: no duplicate point

    saved.result["layers"][0]["figures"]["pop_75_plus"] = 212
    saved.computed_at = timezone.now()
    saved.save()
    assert sync_derived().points == 1
    assert _values(series) == [179.0, 212.0]
    indicator.state.refresh_from_db()
    assert indicator.state.level == 1  # 212 ≥ 100: levels apply as for any source


def test_a_dataset_column_becomes_a_dated_series_filtered_by_another_column(territory):
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in (3, 2, 1)]
    table = pa.table(
        {
            "dep": ["92", "94", "92", "94", "92", "94"],
            "jour": [days[0], days[0], days[1], days[1], days[2], days[2]],
            "tx_incid": [40.5, 12.0, 55.1, 13.0, 120.7, 14.0],
            "old": [dt.date(2000, 1, 1)] * 6,
        }
    )
    do_store_dataframe_dataset(
        "incidence-dep",
        table,
        title="Taux d'incidence",
        origin="https://www.data.gouv.fr/",
        licence="LO 2.0",
        actor=SystemActor("cli"),
    )
    series = "dataset:incidence-dep:tx_incid:jour?dep=94"
    indicator = _indicator("incidence-94", series)
    assert sync_derived().points == 3
    assert _values(series) == [12.0, 13.0, 14.0]
    assert sync_derived().points == 0
    indicator.state.refresh_from_db()
    assert indicator.state.level == 0

    # Rows older than what monitoring keeps are left out instead of failing the whole batch.
    _indicator("old-series", "dataset:incidence-dep:tx_incid:old")
    assert sync_derived().problems == []
    assert _values("dataset:incidence-dep:tx_incid:old") == []


@pytest.mark.parametrize(
    ("series", "reason"),
    [
        ("crossing:999:residents:total", "no saved crossing number 999"),
        ("crossing:x", "expected crossing:<saved crossing id>"),
        ("dataset:nothing:v:d", "no dataset named 'nothing'"),
        ("dataset:incidence-dep:tx_incid:jour?region=11", "has no column 'region'"),
        ('dataset:incidence-dep:"x":jour', "has no column '\"x\"'"),
    ],
)
def test_a_broken_series_is_reported_and_does_not_stop_the_others(territory, series, reason):
    do_store_dataframe_dataset(
        "incidence-dep",
        pa.table({"jour": [timezone.localdate()], "tx_incid": [1.0]}),
        title="t",
        origin="test",
        licence="",
        actor=SystemActor("cli"),
    )
    _indicator("broken", series)
    _indicator("fine", "dataset:incidence-dep:tx_incid:jour")
    report = sync_derived()
    assert report.points == 1
    assert len(report.problems) == 1 and reason in report.problems[0]
