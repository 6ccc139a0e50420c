"""Pure threshold logic: hysteresis, minimum duration, direction."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from beffroi.monitoring.levels import Level, Tracker, step, target_level

LEVELS = [Level(1, 2.0, 0.2), Level(2, 3.0, 0.2), Level(3, 4.0, 0.2, timedelta(minutes=30))]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run(values, levels=LEVELS, sign=1, minutes=10):
    tracker = Tracker()
    history = []
    for i, v in enumerate(values):
        step(tracker, T0 + timedelta(minutes=minutes * i), v, levels, sign)
        history.append(tracker.level)
    return history


def test_rising_enters_levels_at_thresholds():
    assert run([1.0, 2.0, 2.9, 3.0]) == [0, 1, 1, 2]


def test_hysteresis_prevents_flapping_around_a_threshold():
    # Noise around 3.0 (±0.1) stays at level 2 once entered: leaving needs < 2.8.
    assert run([3.05, 2.95, 3.02, 2.9, 2.85, 3.1]) == [2, 2, 2, 2, 2, 2]
    assert run([3.05, 2.79])[-1] == 1
    # Without hysteresis the same noise would flap.
    plain = [Level(1, 2.0), Level(2, 3.0)]
    assert run([3.05, 2.95, 3.02, 2.9], plain) == [2, 1, 2, 1]


def test_falling_may_skip_levels_after_the_minimum_duration_of_the_level_left():
    assert run([4.5, 4.5, 4.5, 4.5, 1.0, 1.0, 1.0, 1.0]) == [0, 0, 0, 3, 3, 3, 3, 0]
    assert run([3.5, 1.0]) == [2, 0]  # level 2 has no minimum duration


def test_minimum_duration_before_entering_alerte():
    # 4.x for 20 minutes then back down: never reaches level 3 (needs 30 minutes).
    history = run([3.5, 4.1, 4.2, 3.5])
    assert history == [2, 2, 2, 2]
    # 4.x held for 30 minutes: level 3 at the 4th value above the threshold.
    assert run([3.5, 4.1, 4.2, 4.3, 4.4]) == [2, 2, 2, 2, 3]


def test_a_value_back_at_the_current_level_cancels_a_pending_change():
    tracker = Tracker(level=2)
    step(tracker, T0, 4.2, LEVELS)
    assert tracker.candidate == 3
    step(tracker, T0 + timedelta(minutes=10), 3.5, LEVELS)
    assert tracker.candidate is None and tracker.level == 2


def test_lower_is_worse_direction():
    low = [Level(1, 50.0, 2.0), Level(2, 20.0, 2.0)]
    assert run([80, 49, 51, 53, 19, 21], low, sign=-1) == [0, 1, 1, 0, 2, 2]


@given(st.lists(st.floats(min_value=0, max_value=6, allow_nan=False), min_size=1, max_size=40))
def test_level_is_always_consistent_with_value(values):
    tracker = Tracker()
    for i, v in enumerate(values):
        step(tracker, T0 + timedelta(minutes=10 * i), v, [Level(1, 2.0, 0.2), Level(2, 3.0, 0.2)])
        # With no minimum duration the level is exactly the target level.
        assert tracker.level == target_level(v, tracker.level, [Level(1, 2.0, 0.2), Level(2, 3.0, 0.2)])
        assert tracker.level == 0 or v >= [2.0, 3.0][tracker.level - 1] - 0.2
