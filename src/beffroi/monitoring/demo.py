"""Demo indicators for the demo communes, with a recent history generated deterministically.

Every indicator made here is flagged ``demo=True`` and its source says "(démonstration)": the values
are simulated (a seeded generator anchored on the current quarter hour), not measurements. Real
values replace them once the sources app's live connectors run (same series keys).
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.monitoring.actions import do_ingest_points, do_save_indicator
from beffroi.monitoring.models import Indicator

STEP = timedelta(minutes=15)
DAYS = 7

VIGILANCE = [
    {"level": 1, "name": "jaune", "label": "Jaune", "value": 2, "colour": "#f2c200"},
    {"level": 2, "name": "orange", "label": "Orange", "value": 3, "colour": "#e07000"},
    {"level": 3, "name": "rouge", "label": "Rouge", "value": 4, "colour": "#c0182a"},
]


def _flood(veille, vigilance, alerte, crise, hysteresis=0.05):
    return [
        {
            "level": 1,
            "name": "veille",
            "label": "Veille",
            "value": veille,
            "colour": "#2f6fbf",
            "hysteresis": hysteresis,
        },
        {
            "level": 2,
            "name": "vigilance",
            "label": "Vigilance",
            "value": vigilance,
            "colour": "#f2c200",
            "hysteresis": hysteresis,
            "min_duration": timedelta(minutes=30),
        },
        {
            "level": 3,
            "name": "alerte",
            "label": "Alerte",
            "value": alerte,
            "colour": "#e07000",
            "hysteresis": hysteresis,
            "min_duration": timedelta(minutes=30),
        },
        {
            "level": 4,
            "name": "crise",
            "label": "Crise",
            "value": crise,
            "colour": "#c0182a",
            "hysteresis": hysteresis,
            "min_duration": timedelta(minutes=30),
        },
    ]


INDICATORS = [
    {
        "key": "marne-gournay",
        "label": "Hauteur de la Marne à Gournay-sur-Marne",
        "unit": "m",
        "source": "Hub'Eau hydrométrie, station F664000104 (démonstration)",
        "series": "hubeau:F664000104:H",
        "commune": "94052",
        "hazard": "inondation",
        "public": True,
        "latitude": 48.8610,
        "longitude": 2.5770,
        "stale_after": timedelta(hours=1),
        "source_url": "https://www.vigicrues.gouv.fr/",
        "thresholds": _flood(2.6, 3.1, 3.7, 4.4),
        "shape": "flood",
        "base": 1.9,
        "peak": 3.35,
        "rise": 0.95,
        "zones_dataset": "flood-zones-marne",
        "forecast_series": "vigicrues:F664000104:H",
        # The forecast comes as Vigicrues publishes it (previsions.json: median, low, high, issue
        # time), read by the vigicrues-hydro connector's parser, moved to the demo's present.
        "vigicrues_forecast": "demo_vigicrues_F664000104_H.json",
    },
    {
        "key": "seine-chatou",
        "label": "Hauteur de la Seine à Chatou",
        "unit": "m",
        "source": "Hub'Eau hydrométrie, station F712000102 (démonstration)",
        "series": "hubeau:F712000102:H",
        "commune": "92063",
        "hazard": "inondation",
        "public": True,
        "latitude": 48.8896,
        "longitude": 2.1580,
        "stale_after": timedelta(hours=1),
        "source_url": "https://www.vigicrues.gouv.fr/",
        "thresholds": _flood(3.0, 3.6, 4.3, 5.2),
        "shape": "flood",
        "base": 2.2,
        "peak": 3.05,
        "rise": 0.4,
    },
    {
        "key": "vigicrues-if17",
        "label": "Vigilance crues, tronçon IF17",
        "unit": "niveau",
        "source": "Vigicrues (démonstration)",
        "series": "vigicrues:IF17:level",
        "commune": "92063",
        "hazard": "inondation",
        "public": True,
        "latitude": 48.8800,
        "longitude": 2.1900,
        "stale_after": timedelta(hours=12),
        "source_url": "https://www.vigicrues.gouv.fr/",
        "thresholds": VIGILANCE,
        "shape": "steps",
        "levels": [1, 1, 1, 1, 1, 2, 2],
    },
    {
        "key": "meteo-92-canicule",
        "label": "Vigilance canicule, Hauts-de-Seine",
        "unit": "niveau",
        "source": "Météo-France vigilance (démonstration)",
        "series": "meteo:92:canicule",
        "commune": "92033",
        "hazard": "canicule",
        "public": True,
        "latitude": 48.8440,
        "longitude": 2.1870,
        "stale_after": timedelta(hours=24),
        "source_url": "https://vigilance.meteofrance.fr/",
        "thresholds": VIGILANCE,
        "shape": "steps",
        "levels": [1, 1, 1, 1, 1, 1, 1],
    },
    {
        "key": "atmo-92063",
        "label": "Indice ATMO de la qualité de l'air, Rueil-Malmaison",
        "unit": "indice",
        "source": "Airparif, indice ATMO (démonstration)",
        "series": "atmo:92063:index",
        "commune": "92063",
        "hazard": "pollution",
        "public": True,
        "latitude": 48.8770,
        "longitude": 2.1810,
        "stale_after": timedelta(hours=26),
        "source_url": "https://www.airparif.fr/",
        "thresholds": [
            {"level": 1, "name": "degrade", "label": "Dégradé", "value": 4, "colour": "#f2c200"},
            {"level": 2, "name": "mauvais", "label": "Mauvais", "value": 5, "colour": "#c0182a"},
            {"level": 3, "name": "tres-mauvais", "label": "Très mauvais", "value": 6, "colour": "#6a1b9a"},
        ],
        "shape": "daily",
        "levels": [2, 3, 3, 4, 3, 2, 3],
    },
]


def _anchor():
    now = timezone.now().replace(second=0, microsecond=0)
    return now - timedelta(minutes=now.minute % 15)


def _flood_series(spec, rng: random.Random, now):
    """A slow rise over the last two days (logistic), diurnal ripple and sensor noise; a forecast
    that continues the rise for 24 hours."""
    n = DAYS * 24 * 4
    start = now - STEP * (n - 1)
    base, peak = spec["base"], spec["peak"]
    obs = []
    for i in range(n):
        at = start + STEP * i
        hours_before = (now - at).total_seconds() / 3600
        rise = (peak - base) / (1 + math.exp((hours_before - 30) / 8))
        value = base + rise + 0.02 * math.sin(i / 9) + rng.gauss(0, 0.008)
        obs.append((at, round(value, 3)))
    forecast = []
    last = obs[-1][1]
    for h in range(3, 49, 3):
        forecast.append((now + timedelta(hours=h), round(last + spec["rise"] * (1 - math.exp(-h / 20)), 3)))
    return obs, forecast


def _step_series(spec, now, *, hourly: bool):
    obs: list[tuple[datetime, float]] = []
    for day, level in enumerate(spec["levels"]):
        day_start = now - timedelta(days=DAYS - day)
        stamps = [day_start + timedelta(hours=h) for h in range(0, 24, 6 if hourly else 24)]
        obs.extend((at, float(level)) for at in stamps if at <= now)
    obs.append((now - timedelta(minutes=30), float(spec["levels"][-1])))
    forecast = [(now + timedelta(days=1), float(spec["levels"][-1]))]
    return obs, forecast


def vigicrues_forecast_points(name: str, now: datetime) -> list[dict]:
    """The forecast points of a Vigicrues ``previsions.json`` answer kept with the demo, parsed as the
    connector parses the live service, every time moved so that it was issued 45 minutes ago."""
    from pathlib import Path

    from beffroi.sources.connectors.http import Fetched
    from beffroi.sources.connectors.vigicrues import VigicruesHydro

    content = (Path(__file__).parent / name).read_bytes()
    page = Fetched(url="demo:previsions.json", status=200, headers={}, content=content)
    parsed = VigicruesHydro({"stations": "F664000104"}).parse([page])
    forecast = [p for p in parsed.points if p["kind"] == "forecast"]
    if not forecast:
        return []
    shift = now - timedelta(minutes=45) - forecast[0]["issued_at"]
    for point in forecast:
        point["at"] += shift
        point["issued_at"] += shift
    return forecast


def load(commune_codes) -> list[str]:
    """Create the demo indicators of these communes with their history; keeps what exists."""
    created = []
    rng = random.Random(20260101)
    now = _anchor()
    for spec in INDICATORS:
        if spec["commune"] not in commune_codes:
            continue
        if Indicator.objects.filter(key=spec["key"]).exists():
            continue
        fields = {
            k: v
            for k, v in spec.items()
            if k not in ("shape", "base", "peak", "levels", "rise", "vigicrues_forecast")
        }
        indicator = do_save_indicator(
            **fields,
            demo=True,
            description="Données simulées pour la démonstration.",
            actor=SystemActor("demo"),
        )
        if spec["shape"] == "flood":
            obs, forecast = _flood_series(spec, rng, now)
        else:
            obs, forecast = _step_series(spec, now, hourly=spec["shape"] == "steps")
        points = [
            {"series": indicator.series, "at": at, "value": v, "unit": indicator.unit, "kind": "observation"}
            for at, v in obs
        ]
        if spec.get("vigicrues_forecast"):
            points += vigicrues_forecast_points(spec["vigicrues_forecast"], now)
        else:
            points += [
                {"series": indicator.series, "at": at, "value": v, "unit": indicator.unit, "kind": "forecast"}
                for at, v in forecast
            ]
        do_ingest_points(points, source="demo", actor=SystemActor("demo"))
        created.append(indicator.key)
    return created
