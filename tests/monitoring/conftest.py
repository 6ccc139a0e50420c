from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from beffroi.core import live
from beffroi.core.actors import SystemActor
from tests.conftest import run_async  # noqa: F401  (the monitoring tests import it from here)

FLOOD_LEVELS = [
    {"level": 1, "name": "veille", "label": "Veille", "value": 2.0, "colour": "#2f6fbf", "hysteresis": 0.1},
    {
        "level": 2,
        "name": "vigilance",
        "label": "Vigilance",
        "value": 3.0,
        "colour": "#f2c200",
        "hysteresis": 0.1,
    },
    {
        "level": 3,
        "name": "alerte",
        "label": "Alerte",
        "value": 4.0,
        "colour": "#e07000",
        "hysteresis": 0.1,
        "min_duration": timedelta(minutes=30),
    },
    {"level": 4, "name": "crise", "label": "Crise", "value": 5.0, "colour": "#c0182a", "hysteresis": 0.1},
]


@pytest.fixture(autouse=True)
def memory_broker():
    broker = live.MemoryBroker(5000)
    live.set_broker(broker)
    yield broker
    live.reset()


@pytest.fixture(autouse=True)
def public_root(settings, tmp_path):
    settings.PUBLIC_ROOT = tmp_path / "public"
    return settings.PUBLIC_ROOT


@pytest.fixture
def marne(territory):
    from beffroi.monitoring.actions import do_save_indicator

    return do_save_indicator(
        key="marne-gournay",
        label="Hauteur de la Marne à Gournay",
        unit="m",
        source="Hub'Eau (Vigicrues)",
        series="hubeau:F664000104:H",
        commune="94052",
        hazard="inondation",
        public=True,
        stale_after=timedelta(hours=1),
        latitude=48.86,
        longitude=2.57,
        thresholds=FLOOD_LEVELS,
        actor=SystemActor("cli"),
    )


def points(series, values, *, start=None, step=timedelta(minutes=10), unit="m", kind="observation"):
    start = start or timezone.now() - step * len(values)
    return [
        {"series": series, "at": start + step * i, "value": v, "unit": unit, "kind": kind}
        for i, v in enumerate(values)
    ]
