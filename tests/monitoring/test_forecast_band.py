"""Source forecasts with their band and issue time: stored, linked to the observed series, first for
the time to threshold, for the zones at the forecast peak and for the chart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.monitoring.actions import do_ingest_points
from beffroi.monitoring.models import Observation
from beffroi.monitoring.selectors import forecast_peak, snapshot

from .conftest import points

POLLER = SystemActor("poll_sources")
VIGI = "vigicrues:F664000104:H"


def vigicrues_forecast(start, values, *, issued, spread=0.2):
    return [
        {
            "series": VIGI,
            "at": start + timedelta(hours=6 * i),
            "value": v,
            "low": round(v - spread, 3),
            "high": round(v + spread, 3),
            "issued_at": issued,
            "unit": "m",
            "kind": "forecast",
        }
        for i, v in enumerate(values)
    ]


@pytest.fixture
def linked(marne):
    marne.forecast_series = VIGI
    marne.save()
    return marne


def test_a_vigicrues_forecast_reaches_the_hubeau_indicator_with_its_band(linked):
    now = timezone.now()
    do_ingest_points(points(linked.series, [1.5, 1.5, 1.5, 1.5]), source="hubeau", actor=POLLER)
    stored = do_ingest_points(
        vigicrues_forecast(now + timedelta(hours=1), [1.7, 1.9, 2.1, 2.4], issued=now),
        source="vc",
        actor=POLLER,
    )
    assert stored == 4
    rows = Observation.objects.filter(indicator=linked, kind="forecast").order_by("at")
    assert [(r.value, r.low, r.high) for r in rows][2] == (2.1, 1.9, 2.3)
    snap = snapshot(linked, now=now)
    assert len(snap["forecast_band"]) == 4 and snap["forecast_band"][0][1:] == [1.5, 1.9]
    assert snap["forecast_issued_at"] is not None and snap["trend"] == []
    eta = snap["next_threshold"]
    # the median crosses 2.0 (Veille) at the third point (+13 h), the high bound at the second (+7 h)
    assert (
        eta["basis"] == "forecast" and eta["label"] == "Veille" and eta["hours"] == pytest.approx(13, abs=0.1)
    )
    assert eta["earliest_hours"] == pytest.approx(7, abs=0.1)


def test_the_forecast_beats_the_linear_trend(linked):
    now = timezone.now()
    # a steep rise: the straight line alone would reach 2.0 within the hour
    do_ingest_points(points(linked.series, [1.0, 1.2, 1.4, 1.6, 1.8]), source="hubeau", actor=POLLER)
    do_ingest_points(
        vigicrues_forecast(now + timedelta(hours=1), [1.85, 1.9, 2.05], issued=now, spread=0.01),
        source="vc",
        actor=POLLER,
    )
    eta = snapshot(linked, now=now)["next_threshold"]
    assert eta["basis"] == "forecast" and eta["hours"] == pytest.approx(13, abs=0.1)


def test_a_new_issue_replaces_the_previous_forecast(linked):
    now = timezone.now()
    first = now + timedelta(hours=1)
    do_ingest_points(vigicrues_forecast(first, [2.7, 2.9, 3.1, 3.4], issued=now), source="vc", actor=POLLER)
    later = now + timedelta(hours=3)
    do_ingest_points(vigicrues_forecast(first, [2.6, 2.7], issued=later), source="vc", actor=POLLER)
    rows = list(Observation.objects.filter(indicator=linked, kind="forecast").order_by("at"))
    assert [r.value for r in rows] == [2.6, 2.7]  # the old +13 h and +19 h points are gone
    assert all(r.issued_at == later for r in rows)


def test_a_band_out_of_order_is_refused_and_nothing_is_kept(linked):
    now = timezone.now()
    bad = vigicrues_forecast(now + timedelta(hours=1), [2.7, 2.9], issued=now)
    bad[1]["low"] = 3.5
    with pytest.raises(UserError) as exc:
        do_ingest_points(bad, source="vc", actor=POLLER, strict=True)
    assert exc.value.problems[0].field == "points[1].low"
    assert not Observation.objects.filter(indicator=linked).exists()


def test_the_zone_at_the_forecast_peak_follows_the_vigicrues_forecast(linked):
    now = timezone.now()
    do_ingest_points(points(linked.series, [3.5]), source="hubeau", actor=POLLER)
    do_ingest_points(
        vigicrues_forecast(now + timedelta(hours=2), [3.9, 4.6, 4.2], issued=now), source="vc", actor=POLLER
    )
    at, peak, basis = forecast_peak(linked, now=now)
    assert peak == 4.6 and basis == "forecast" and at == now + timedelta(hours=8)


def test_the_demo_marne_forecast_is_a_vigicrues_forecast_with_its_band(
    territory, django_capture_on_commit_callbacks
):
    from beffroi.monitoring import demo
    from beffroi.monitoring.models import Indicator

    with django_capture_on_commit_callbacks(execute=False):
        demo.load(["94052"])
    marne = Indicator.objects.get(key="marne-gournay")
    assert marne.forecast_series == VIGI
    snap = snapshot(marne)
    assert len(snap["forecast"]) == 24 and len(snap["forecast_band"]) == 24
    issued = timezone.datetime.fromisoformat(snap["forecast_issued_at"])
    assert timedelta(minutes=40) <= timezone.now() - issued <= timedelta(hours=1)
    assert all(
        lo <= v <= hi for (_a, v), (_b, lo, hi) in zip(snap["forecast"], snap["forecast_band"], strict=True)
    )
    assert snap["next_threshold"]["basis"] == "forecast"


def test_a_forecast_reaching_a_higher_level_raises_one_anticipation_proposal(linked):
    from beffroi.monitoring.models import Proposal

    now = timezone.now()
    do_ingest_points(points(linked.series, [1.5, 1.5]), source="hubeau", actor=POLLER)
    forecast = vigicrues_forecast(now + timedelta(hours=1), [1.8, 2.4, 3.2, 3.0], issued=now)
    do_ingest_points(forecast, source="vc", actor=POLLER)
    proposal = Proposal.objects.get(status="pending")
    # the highest level the forecast reaches (Vigilance, 3.0, at +13 h), with the peak and its band
    assert proposal.level == 2 and proposal.action == "log_entry"
    assert proposal.title.startswith("Anticiper : Hauteur de la Marne à Gournay prévu au niveau Vigilance")
    assert "pic 3.2 m" in proposal.text and "Fourchette au pic : 3 à 3.4 m" in proposal.text
    assert proposal.payload["anticipated_level"] == 2 and proposal.payload["issued_at"]
    # the same forecast again: no second proposal while the first waits for a decision
    do_ingest_points(forecast, source="vc", actor=POLLER)
    assert Proposal.objects.filter(status="pending").count() == 1
    # the level rising to Veille does not make the anticipation out of date
    do_ingest_points(points(linked.series, [2.2, 2.3, 2.3, 2.3, 2.3, 2.3]), source="hubeau", actor=POLLER)
    assert Proposal.objects.get(pk=proposal.pk).status == "pending"


def test_without_a_forecast_the_robust_rate_of_rise_is_used_and_named(marne):
    now = timezone.now()
    values = [1.0 + 0.05 * i for i in range(12)]
    values[-2] = 2.5  # one spike just before now: least squares tilts, Theil–Sen does not
    do_ingest_points(points(marne.series, values), source="hubeau", actor=POLLER)
    snap = snapshot(marne, now=now)
    assert snap["trend_method"] == "theil-sen" and snap["next_threshold"]["basis"] == "trend"
    assert snap["trend_slope_per_hour"] == pytest.approx(0.3, abs=0.01)  # 0.05 per 10 minutes


def test_theil_sen_and_damped_trend_on_a_clean_line():
    from datetime import UTC, datetime

    from beffroi.monitoring.anticipation import damped_trend, linear_trend, theil_sen_trend

    start = datetime(2026, 1, 1, tzinfo=UTC)
    line = [(start + timedelta(minutes=15 * i), 2.0 + 0.1 * i) for i in range(48)]
    assert theil_sen_trend(line).slope_per_hour == pytest.approx(0.4)
    assert linear_trend(line).slope_per_hour == pytest.approx(0.4)
    fit = damped_trend(line)
    assert fit.slope_per_hour == pytest.approx(0.4, rel=0.05)
    # damped: the projection slows, so it reaches a far threshold later than the straight line would
    straight = line[-1][0] + timedelta(hours=(8.0 - line[-1][1]) / 0.4)
    when = fit.crossing(8.0, 1, max_horizon=timedelta(days=3))
    assert when is None or when > straight
    assert theil_sen_trend(line[:2]) is None and damped_trend(line[:3]) is None
