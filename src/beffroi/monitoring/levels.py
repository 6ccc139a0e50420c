"""Threshold evaluation with hysteresis and minimum duration (pure functions, no database).

For an indicator whose higher values are worse, with thresholds t1 < t2 < ... (level k is entered
when value >= t_k), the *target* level of a value v, given the current level L, is:

- the highest k with v >= t_k (entering a level uses the threshold itself), or
- if higher, the highest k <= L with v >= t_k - hysteresis_k (staying in a level, or stepping down
  only part of the way, uses the threshold lowered by its hysteresis).

A change of level is committed only when every value since the first one that asked for it asked
for the same target, for at least the minimum duration (of the level entered when rising, of the
level left when falling). A value back at the current level cancels the pending change. For
indicators where lower is worse, values and thresholds are negated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Level:
    level: int
    value: float
    hysteresis: float = 0.0
    min_duration: timedelta = timedelta(0)


@dataclass
class Tracker:
    level: int = 0
    since: datetime | None = None
    candidate: int | None = None
    candidate_since: datetime | None = None


@dataclass(frozen=True)
class Change:
    at: datetime
    from_level: int
    to_level: int
    value: float


def target_level(value: float, current: int, levels: list[Level], sign: int = 1) -> int:
    v = value * sign
    target = 0
    for lv in levels:
        if v >= lv.value * sign:
            target = max(target, lv.level)
    for lv in levels:
        if lv.level <= current and v >= lv.value * sign - lv.hysteresis:
            target = max(target, lv.level)
    return target


def step(tracker: Tracker, at: datetime, value: float, levels: list[Level], sign: int = 1) -> Change | None:
    """Feed one observation (in time order); return the level change it commits, if any."""
    by_level = {lv.level: lv for lv in levels}
    target = target_level(value, tracker.level, levels, sign)
    if target == tracker.level:
        tracker.candidate = tracker.candidate_since = None
        return None
    if tracker.candidate != target or tracker.candidate_since is None:
        tracker.candidate, tracker.candidate_since = target, at
    governing = by_level.get(max(target, tracker.level))
    needed = governing.min_duration if governing else timedelta(0)
    if at - (tracker.candidate_since or at) >= needed:
        change = Change(at, tracker.level, target, value)
        tracker.level, tracker.since = target, at
        tracker.candidate = tracker.candidate_since = None
        return change
    return None
