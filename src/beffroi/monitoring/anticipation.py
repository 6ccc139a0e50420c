"""Trend projection and time to the next threshold.

Method (documented in docs/monitoring.md): ordinary least squares on the last ``window`` of
observations (default the last 6 hours, at least 4 points), value = a + b·t. The projection runs
``horizon`` ahead with a 95 % prediction band: ŷ ± t(0.975, n-2) · s · sqrt(1 + 1/n + (t - t̄)² / Sxx),
where s is the residual standard error. It is a naive extrapolation for series without a forecast:
it says where the recent trend leads, not what the river will do.

The expected time to the next threshold comes from the source's forecast when there is one (the
first forecast at or above the threshold), otherwise from the trend (when it goes the wrong way).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

# Two-sided 95 % Student quantiles for small samples (df -> t); 1.96 beyond.
_T95 = {
    1: 12.71,
    2: 4.30,
    3: 3.18,
    4: 2.78,
    5: 2.57,
    6: 2.45,
    7: 2.36,
    8: 2.31,
    9: 2.26,
    10: 2.23,
    12: 2.18,
    15: 2.13,
    20: 2.09,
    30: 2.04,
    60: 2.00,
}


def t95(df: int) -> float:
    if df <= 0:
        return float("inf")
    for k in sorted(_T95):
        if df <= k:
            return _T95[k]
    return 1.96


@dataclass(frozen=True)
class Trend:
    slope_per_hour: float
    intercept: float  # value at t0
    t0: datetime
    residual_se: float
    n: int
    mean_t: float
    sxx: float
    points: list[tuple[datetime, float, float, float]]  # (at, value, low, high)

    def at(self, when: datetime) -> tuple[float, float, float]:
        x = (when - self.t0).total_seconds() / 3600
        y = self.intercept + self.slope_per_hour * x
        half = (
            t95(self.n - 2) * self.residual_se * math.sqrt(1 + 1 / self.n + (x - self.mean_t) ** 2 / self.sxx)
        )
        return y, y - half, y + half


def linear_trend(
    series: list[tuple[datetime, float]],
    *,
    window: timedelta = timedelta(hours=6),
    horizon: timedelta = timedelta(hours=6),
    steps: int = 12,
    min_points: int = 4,
) -> Trend | None:
    if not series:
        return None
    last_at = series[-1][0]
    recent = [(at, v) for at, v in series if at >= last_at - window]
    if len(recent) < min_points:
        recent = series[-min_points:]
    if len(recent) < min_points:
        return None
    t0 = recent[0][0]
    xs = [(at - t0).total_seconds() / 3600 for at, _ in recent]
    ys = [v for _, v in recent]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx <= 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = my - slope * mx
    rss = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    se = math.sqrt(rss / (n - 2)) if n > 2 else 0.0
    trend = Trend(slope, intercept, t0, se, n, mx, sxx, [])
    for i in range(steps + 1):
        when = last_at + horizon * i / steps
        y, low, high = trend.at(when)
        trend.points.append((when, y, low, high))
    return trend


def time_to_threshold(
    now: datetime,
    current: float | None,
    threshold: float,
    sign: int,
    *,
    forecast: list[tuple[datetime, float]] | None = None,
    trend: Trend | None = None,
    max_horizon: timedelta = timedelta(days=3),
) -> tuple[datetime, str] | None:
    """When the series is expected to reach ``threshold``, and from what ("forecast" or "trend")."""
    if current is not None and current * sign >= threshold * sign:
        return None
    for at, value in forecast or []:
        if at >= now and value * sign >= threshold * sign:
            return at, "forecast"
    if trend is not None and trend.slope_per_hour * sign > 0:
        # Solve intercept + slope·x = threshold.
        x = (threshold - trend.intercept) / trend.slope_per_hour
        when = trend.t0 + timedelta(hours=x)
        if now <= when <= now + max_horizon:
            return when, "trend"
        if when < now:
            return now, "trend"
    return None
