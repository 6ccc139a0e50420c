"""A source that keeps failing backs off up to 6 h and never crashes the run that records it."""

from datetime import timedelta

import pytest

from beffroi.core.actors import SystemActor
from beffroi.sources.actions import BACKOFF_CAP, backoff_delay
from beffroi.sources.models import Run, Source

QUARTER = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("failures", "expected"),
    [
        (0, QUARTER),
        (1, QUARTER),
        (2, 2 * QUARTER),
        (5, 16 * QUARTER),
        (6, BACKOFF_CAP),  # 32 periods = 8 h > 6 h
        (37, BACKOFF_CAP),
        (38, BACKOFF_CAP),  # used to raise OverflowError
        (10_000, BACKOFF_CAP),
        (10**18, BACKOFF_CAP),
    ],
)
def test_backoff_doubles_then_stays_at_the_cap(failures, expected):
    assert backoff_delay(QUARTER, failures, jitter=0) == expected


@pytest.mark.parametrize("failures", [0, 1, 37, 38, 10_000])
def test_jitter_only_shortens_the_delay_by_at_most_a_tenth(failures):
    plain = backoff_delay(QUARTER, failures, jitter=0)
    for _ in range(200):
        delay = backoff_delay(QUARTER, failures)
        assert plain * 0.9 <= delay <= plain <= BACKOFF_CAP


def test_jitter_spreads_sources_that_failed_together():
    assert len({backoff_delay(QUARTER, 38) for _ in range(20)}) > 1


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (timedelta(0), timedelta(seconds=1) * 1024),  # a zero period still backs off
        (timedelta(days=7), timedelta(days=7)),  # a weekly source never retries later than its period
        (timedelta(hours=5), BACKOFF_CAP),
    ],
)
def test_backoff_for_unusual_periods(period, expected):
    assert backoff_delay(period, 11, jitter=0) == expected


@pytest.mark.django_db
def test_the_ten_thousandth_failure_through_the_api_records_its_error(client_for, server):
    from beffroi.sources.actions import do_add_source

    server.route("/observations_tr", "hubeau/error_400.json", status=400)
    src = do_add_source(
        "crue",
        "hubeau",
        config={"stations": "X", "grandeurs": "H", "base_url": server.url, "backoff": "0.01", "retries": "0"},
        period_seconds=900,
        actor=SystemActor("cli"),
    )
    Source.objects.filter(pk=src.pk).update(consecutive_failures=9_999, last_error="old")
    response = client_for("cellule_crise").post("/api/sources/sources/crue/run")
    assert response.status_code == 200, response.content
    run = response.json()
    assert run["status"] == Run.Status.FAILED and "HTTP 400" in run["error"]
    src.refresh_from_db()
    assert src.consecutive_failures == 10_000 and src.last_error == run["error"]
    assert Run.objects.filter(source=src, status=Run.Status.FAILED).count() == 1
    wait = src.next_run_at - src.last_run_at
    assert BACKOFF_CAP * 0.9 <= wait <= BACKOFF_CAP
