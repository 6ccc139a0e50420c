from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.sources import selectors
from beffroi.sources.actions import do_record_run, do_store_dataframe_dataset
from beffroi.sources.models import Freshness, Source, freshness_for

pytestmark = pytest.mark.django_db


def _table(n=3):
    return pa.table({"code": [f"9206{i}" for i in range(n)], "value": [float(i) for i in range(n)]})


def test_stored_dataframe_is_readable_through_the_contract(datasets_dir):
    do_store_dataframe_dataset(
        "pop",
        _table(),
        title="Population",
        origin="https://insee.fr/x",
        licence="Licence Ouverte 2.0",
        actor=SystemActor("cli"),
    )
    info = selectors.get_dataset("pop")
    assert info.row_count == 3
    assert info.parquet_path.is_file() and str(info.parquet_path).startswith(str(datasets_dir))
    assert pq.read_table(info.parquet_path).column("value").to_pylist() == [0.0, 1.0, 2.0]
    assert info.licence == "Licence Ouverte 2.0" and info.synthetic is False and info.geometry_column is None
    assert [d.name for d in selectors.list_datasets()] == ["pop"]
    assert selectors.get_dataset("nope") is None


def test_storing_again_replaces_the_file_and_removes_the_old_one(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        do_store_dataframe_dataset(
            "pop", _table(3), title="P", origin="o", licence="l", actor=SystemActor("cli")
        )
    first = selectors.get_dataset("pop").parquet_path
    with django_capture_on_commit_callbacks(execute=True):
        do_store_dataframe_dataset(
            "pop", _table(5), title="P", origin="o", licence="l", synthetic=True, actor=SystemActor("cli")
        )
    info = selectors.get_dataset("pop")
    assert info.row_count == 5 and info.synthetic
    assert not first.exists() and info.parquet_path.exists()


def test_geometry_column_must_exist():
    with pytest.raises(UserError):
        do_store_dataframe_dataset(
            "g", _table(), title="", origin="", licence="", geometry_column="geom", actor=SystemActor("cli")
        )
    assert selectors.get_dataset("g") is None


def test_bad_name_is_refused():
    with pytest.raises(UserError):
        do_store_dataframe_dataset(
            "../etc", _table(), title="", origin="", licence="", actor=SystemActor("cli")
        )


def test_reader_cannot_store_but_crisis_cell_can(make_user):
    with pytest.raises(PermissionDenied):
        do_store_dataframe_dataset("x", _table(), title="", origin="", licence="", actor=make_user("lecteur"))
    do_store_dataframe_dataset(
        "x", _table(), title="", origin="", licence="", actor=make_user("cellule_crise")
    )
    assert selectors.get_dataset("x") is not None


@pytest.mark.parametrize(
    "age_hours,failing,expected",
    [
        (1, False, Freshness.FRESH),
        (3, False, Freshness.LATE),
        (10, False, Freshness.STALE),
        (1, True, Freshness.FAILING),
    ],
)
def test_freshness_against_the_expected_period(age_hours, failing, expected):
    now = timezone.now()
    assert freshness_for(now - timedelta(hours=age_hours), timedelta(hours=1), failing, now=now) == expected


def test_failed_runs_back_off_and_mark_the_source_failing():
    src = Source.objects.create(name="s", kind="hubeau", period_seconds=600)
    do_record_run(
        src,
        status="failed",
        started_at=timezone.now(),
        error="pas de réseau",
        actor=SystemActor("poll_sources"),
    )
    do_record_run(
        src,
        status="failed",
        started_at=timezone.now(),
        error="pas de réseau",
        actor=SystemActor("poll_sources"),
    )
    src.refresh_from_db()
    assert src.freshness == Freshness.FAILING and src.last_error == "pas de réseau"
    assert src.next_run_at - src.last_run_at >= timedelta(seconds=1200) * 0.9  # 2 periods, less jitter
    do_record_run(src, status="ok", started_at=timezone.now(), rows=4, actor=SystemActor("poll_sources"))
    src.refresh_from_db()
    assert src.freshness == Freshness.FRESH and src.consecutive_failures == 0
