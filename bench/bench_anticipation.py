"""Anticipation without a source forecast: the error of the predicted time to threshold of the
straight line (least squares on 6 h, the previous method) against a robust rate of rise (Theil–Sen
on 6 h, the method now in use) and Holt's damped trend (12 h), on the same series and cut times.

The series are flood hydrographs generated here with a seeded generator (rising limb of a gamma-like
hydrograph, 10-minute steps, centimetre quantisation, sensor noise, rare spikes and missing points):
no recorded hydrograph is kept in the project. For each series the threshold is crossed on the
rising limb; the series is cut 1, 3, 6, 9 and 12 hours before the crossing and each method predicts
when it will come. ``BENCH_ANTICIPATION_DIR=<folder of at,value CSV files>`` runs the same
comparison on recorded series instead (see ``recorded``). Figure: the median absolute error in
hours, a prediction of « no crossing within 72 h » counting as an infinite error (so the median
also says how often a method misses).
"""

from __future__ import annotations

import math
import os
import random
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path

from beffroi.monitoring.anticipation import damped_trend, linear_trend, theil_sen_trend, time_to_threshold
from bench.common import write_result

STEP = timedelta(minutes=10)
LEADS = (1, 3, 6, 9, 12)
HORIZON = timedelta(hours=72)
SERIES = 120


def hydrograph(rng: random.Random, spikes: float):
    base = rng.uniform(1.0, 2.5)
    amplitude = rng.uniform(0.8, 3.0)
    peak_h = rng.uniform(24, 72)
    shape = rng.uniform(2.0, 6.0)
    noise = rng.uniform(0.003, 0.015)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    points = []
    for i in range(int((peak_h + 12) * 6)):
        t = i / 6
        x = max(t, 1e-6) / peak_h
        value = base + amplitude * (x**shape) * math.exp(shape * (1 - x))
        value += rng.gauss(0, noise)
        if rng.random() < spikes:
            value += rng.choice((-1, 1)) * rng.uniform(0.05, 0.15)  # a spike
        if rng.random() < 0.05:
            continue  # a missing point
        points.append((start + STEP * i, round(value, 2)))
    threshold = base + amplitude * rng.uniform(0.4, 0.9)
    # true crossing: first time the noiseless curve reaches the threshold
    t = 0.0
    while True:
        x = max(t, 1e-6) / peak_h
        if base + amplitude * (x**shape) * math.exp(shape * (1 - x)) >= threshold:
            break
        t += 1 / 60
    return points, threshold, start + timedelta(hours=t)


def predict(method: str, seen, threshold: float, now: datetime):
    if method == "damped":
        fit = damped_trend(seen)
        return fit.crossing(threshold, 1, max_horizon=HORIZON) if fit else None
    trend = linear_trend(seen) if method == "linear" else theil_sen_trend(seen)
    found = time_to_threshold(now, seen[-1][1], threshold, 1, trend=trend, max_horizon=HORIZON)
    return found[0] if found else None


def recorded(folder: Path):
    """Series recorded by the sources app: CSV files of ``at,value`` (ISO 8601 with offset, one
    series each; e.g. a Hub'Eau or Vigicrues point table exported from the catalogue, filtered to
    one series). Thresholds at a half and three quarters of the first rise; the true crossing is
    the first recorded value at or above it."""
    import csv

    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [(datetime.fromisoformat(r["at"]), float(r["value"])) for r in csv.DictReader(handle)]
        rows.sort()
        if len(rows) < 100:
            continue
        peak_i = max(range(len(rows)), key=lambda i: rows[i][1])
        low = min(v for _, v in rows[: peak_i + 1])
        for frac in (0.5, 0.75):
            threshold = low + frac * (rows[peak_i][1] - low)
            crossing = next(at for at, v in rows if v >= threshold)
            yield rows, threshold, crossing


def cases(spikes: float):
    folder = os.environ.get("BENCH_ANTICIPATION_DIR")
    if folder:
        yield from recorded(Path(folder))
        return
    rng = random.Random(20261202)
    for _ in range(SERIES):
        yield hydrograph(rng, spikes)


def run(spikes: float):
    errors: dict[str, dict[int, list[float]]] = {m: {lead: [] for lead in LEADS} for m in METHODS}
    for points, threshold, crossing in cases(spikes):
        for lead in LEADS:
            now = crossing - timedelta(hours=lead)
            seen = [p for p in points if p[0] <= now]
            if len(seen) < 6 * 12 or seen[-1][1] >= threshold:
                continue
            for method in METHODS:
                when = predict(method, seen, threshold, now)
                error = abs((when - crossing).total_seconds()) / 3600 if when else math.inf
                errors[method][lead].append(error)
    return errors


METHODS = ("linear", "theil-sen", "damped")


def _h(value: float) -> float | None:
    """Hours, rounded; None for an infinite median (more than half the cases missed), JSON-safe."""
    return None if math.isinf(value) else round(value, 2)


def main() -> None:
    runs = (
        (("_recorded", 0.0),)
        if os.environ.get("BENCH_ANTICIPATION_DIR")
        else (("", 0.01), ("_glitchy", 0.04))
    )
    for label, spikes in runs:
        errors = run(spikes)
        flat = {m: [x for lead in LEADS for x in errors[m][lead]] for m in METHODS}
        med = {m: statistics.median(e) for m, e in flat.items()}
        per_lead = {
            f"median_{lead}h": {m: round(statistics.median(errors[m][lead]), 2) for m in METHODS}
            for lead in LEADS
        }
        for method in ("theil-sen", "damped"):
            pair = (method, "linear")
            write_result(
                f"anticipation{label}_{method.replace('-', '_')}_median_error",
                med[method],
                "h",
                "linear trend (6 h least squares)",
                med["linear"],
                higher_is_better=False,
                cases=len(flat["linear"]),
                spikes=spikes,
                missed={m: sum(math.isinf(x) for x in flat[m]) for m in pair},
                within_1h={
                    m: round(sum(x <= 1 for x in flat[m]) / len(flat[m]), 3) for m in (method, "linear")
                },
                **(per_lead if method == "theil-sen" else {}),
            )


if __name__ == "__main__":
    main()
