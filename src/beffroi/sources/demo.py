"""Demo: live-looking sources for the demo territory, and a first run of each.

Offline, each run fails fast ("no network: cannot resolve …") or says which API key is missing, and
the catalogue shows that real state; no page breaks. Idempotent: existing sources are kept.
"""

from __future__ import annotations

import logging

from beffroi.core.actors import SystemActor
from beffroi.sources.models import Source

log = logging.getLogger(__name__)

DEMO = SystemActor("demo")

DEMO_SOURCES = [
    (
        "hubeau-seine-marne",
        "hubeau",
        {"stations": "F664000104,F712000102,F704000101"},
        600,
        "Hub'Eau — Marne à Gournay, Seine à Chatou et Suresnes",
    ),
    (
        "vigicrues-idf",
        "vigicrues",
        {"sections": "IF5,IF17,IF18"},
        900,
        "Vigicrues — Seine à Paris, Marne, Seine yvelinoise",
    ),
    (
        "vigicrues-marne-gournay",
        "vigicrues-hydro",
        {"stations": "F664000104", "grandeurs": "H,Q"},
        900,
        "Vigicrues — Marne à Gournay : hauteurs, débits et prévisions",
    ),
    (
        "vigicrues-catalogue",
        "vigicrues-catalogue",
        {"territories": "7"},
        86400,
        "Vigicrues — catalogue Seine moyenne-Yonne-Loing (stations, tronçons)",
    ),
    (
        "vigicrues-departements",
        "vigicrues",
        {"departments": "78,92,94"},
        900,
        "Vigicrues — synthèse nationale, départements 78, 92 et 94",
    ),
    ("meteoalarm-idf", "meteoalarm", {"departments": "92,94"}, 900, "MeteoAlarm — vigilance météo 92 et 94"),
    (
        "meteofrance-vigilance",
        "meteofrance",
        {"departments": "92,94"},
        900,
        "Météo-France — vigilance 92 et 94",
    ),
    ("atmo-communes", "atmo", {"communes": "{communes}"}, 3 * 3600, "Atmo France — indice ATMO des communes"),
    (
        "georisques-catnat",
        "georisques",
        {"communes": "{communes}", "endpoint": "gaspar/catnat"},
        7 * 86400,
        "Géorisques — arrêtés CatNat des communes",
    ),
]


def load(commune_codes) -> None:
    from beffroi.sources.actions import do_add_source
    from beffroi.sources.runner import run_source

    codes = ",".join(commune_codes or [])
    for name, kind, config, period, title in DEMO_SOURCES:
        if Source.objects.filter(name=name).exists():
            continue
        config = {k: v.replace("{communes}", codes) for k, v in config.items()}
        if "{communes}" in str(config) or not all(config.values()):
            continue
        config.update({"timeout": "5", "retries": "1"})
        src = do_add_source(name, kind, config=config, period_seconds=period, title=title, actor=DEMO)
        try:
            run_source(src, actor=DEMO)
        except Exception:  # the demo must load even if a first run breaks
            log.exception("demo source %s", name)
