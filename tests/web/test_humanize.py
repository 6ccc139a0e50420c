"""Durations, moments and readings as people say them, in each language."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from beffroi.monitoring.units import reading, unit_label
from beffroi.web.templatetags.humanize_fr import duration, when


@pytest.mark.parametrize(
    ("seconds", "fr", "en"),
    [
        (900, "15 min", "15 min"),
        (10800, "3 h", "3 h"),
        (5400, "1 h 30 min", "1 h 30 min"),
        (604800, "7 j", "7 d"),
        (45, "45 s", "45 s"),
        (0, "0 s", "0 s"),
    ],
)
def test_periods_are_said_in_days_hours_and_minutes(seconds, fr, en):
    with translation.override("fr"):
        assert duration(seconds) == fr
    with translation.override("en"):
        assert duration(seconds) == en


def test_a_moment_is_local_time_in_the_reader_s_format():
    moment = datetime(2026, 12, 2, 4, 38, tzinfo=UTC)  # 05:38 in Paris
    with translation.override("fr"):
        assert when(moment) == "02/12/2026 05:38"
        assert when(moment.isoformat()) == "02/12/2026 05:38"
    with translation.override("en"):
        assert "5:38" in when(moment)
    assert when(None) == "—"


def test_word_units_come_before_the_number_and_are_translated():
    with translation.override("fr"):
        assert reading(2, "niveau") == "niveau 2"
        assert reading(3.124, "m") == "3,12 m"
        assert unit_label("indice") == "indice"
    with translation.override("en"):
        assert reading(2, "niveau") == "level 2"
        assert reading(3.124, "m") == "3.12 m"
        assert unit_label("indice") == "index"
    assert reading(None, "m") == "—"
