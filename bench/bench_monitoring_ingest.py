"""Ingestion of observations through the API (``POST /api/observations``, token auth, batches),
with validation and threshold evaluation on, in rows per second.

``BENCH_OBS_ROWS`` rows (default 100,000, the issue's figure) over 10 indicators whose values
wander across their thresholds (levels change, proposals are raised), in batches of
``BENCH_OBS_BATCH`` (default 1,000) sent in time order through Django's test client (the full API
stack in-process, no network). Baseline in the same run: inserting the same rows with a plain ORM
``bulk_create`` (no HTTP, no validation, no thresholds, no audit) into the same SQLite database.
"""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import setup_django, write_result

ROWS = int(os.environ.get("BENCH_OBS_ROWS", "100000"))
BATCH = int(os.environ.get("BENCH_OBS_BATCH", "1000"))
INDICATORS = 10


def main() -> None:
    setup_django(Path(tempfile.mkdtemp(prefix="bench-monitoring-ingest-")))
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from beffroi.accounts.actions import do_create_token, do_create_user
    from beffroi.core.actors import SystemActor
    from beffroi.monitoring.actions import do_save_indicator
    from beffroi.monitoring.models import Indicator, LevelChange, Observation, Proposal
    from beffroi.territory.actions import do_add_communes

    do_add_communes(["94052"], actor=SystemActor("cli"))
    user = do_create_user(
        "ingest",
        role="cellule_crise",
        communes=["94052"],
        password="x" * 16,
        actor=SystemActor("cli"),
        validate=False,
    )
    token = do_create_token(user, "bench", actor=SystemActor("cli"))
    levels = [
        {
            "level": i,
            "name": f"n{i}",
            "label": f"Niveau {i}",
            "value": 1.0 + i,
            "hysteresis": 0.05,
            "min_duration": timedelta(minutes=5),
        }
        for i in (1, 2, 3)
    ]
    for n in range(INDICATORS):
        do_save_indicator(
            key=f"ind-{n}",
            label=f"Indicateur {n}",
            unit="m",
            source="bench",
            series=f"bench:{n}:H",
            commune="94052",
            thresholds=levels,
            actor=SystemActor("cli"),
        )

    rng = random.Random(42)
    per = ROWS // INDICATORS
    start = datetime.now(UTC) - timedelta(minutes=per + 5)
    rows = []
    for i in range(per):
        at = (start + timedelta(minutes=i)).isoformat()
        for n in range(INDICATORS):
            value = 2.5 + 1.8 * math.sin(i / 300 + n) + rng.gauss(0, 0.05)
            rows.append({"series": f"bench:{n}:H", "at": at, "value": round(value, 3), "unit": "m"})
    bodies = [
        json.dumps({"points": rows[k : k + BATCH], "source": "bench"}) for k in range(0, len(rows), BATCH)
    ]

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    began = time.perf_counter()
    for body in bodies:
        response = client.post("/api/observations", body, content_type="application/json")
        if response.status_code != 200:
            raise RuntimeError(response.content[:500])
    api_seconds = time.perf_counter() - began
    stored = Observation.objects.count()
    changes, proposals = LevelChange.objects.count(), Proposal.objects.count()

    # Baseline: the same rows, plain ORM insert.
    Observation.objects.all().delete()
    by_series = {i.series: i for i in Indicator.objects.all()}
    objects = [
        Observation(
            indicator=by_series[r["series"]],
            at=datetime.fromisoformat(r["at"]),
            value=r["value"],
            kind="observation",
            source="bench",
        )
        for r in rows
    ]
    began = time.perf_counter()
    for k in range(0, len(objects), BATCH):
        Observation.objects.bulk_create(objects[k : k + BATCH])
    base_seconds = time.perf_counter() - began

    write_result(
        "monitoring_ingest_rows_per_s",
        stored / api_seconds,
        "rows/s",
        "ORM bulk_create only",
        len(objects) / base_seconds,
        higher_is_better=True,
        rows=stored,
        batch=BATCH,
        level_changes=changes,
        proposals=proposals,
        seconds=round(api_seconds, 2),
    )


if __name__ == "__main__":
    main()
