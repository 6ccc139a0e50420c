"""A source failing for a while says since when and why, on the catalogue and on the dashboard."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from beffroi.core.actors import SystemActor
from beffroi.sources import selectors
from beffroi.sources.actions import do_record_run
from beffroi.sources.models import Run, Source
from beffroi.sources.situation import failing_for, summary

NOW = timezone.now()

POLLER = SystemActor("poll_sources")


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(minutes=20), "en échec depuis moins d'une heure"),
        (timedelta(hours=1, minutes=5), "en échec depuis 1 heure"),
        (timedelta(hours=23, minutes=59), "en échec depuis 23 heures"),
        (timedelta(days=1, hours=2), "en échec depuis 1 jour"),
        (timedelta(days=12), "en échec depuis 12 jours"),
    ],
)
def test_failing_for_says_days_or_hours_with_the_right_plural(age, text):
    assert failing_for(NOW - age, NOW) == text


def test_failing_for_in_english():
    with translation.override("en"):
        assert failing_for(NOW - timedelta(days=1), NOW) == "failing for 1 day"
        assert failing_for(NOW - timedelta(days=3), NOW) == "failing for 3 days"
        assert failing_for(NOW - timedelta(hours=2), NOW) == "failing for 2 hours"


def _fail(src, *, started_at, error="HTTP 503 de https://hubeau.eaufrance.fr/api"):
    return do_record_run(src, status=Run.Status.FAILED, started_at=started_at, error=error, actor=POLLER)


@pytest.mark.django_db
def test_failing_since_is_the_first_failure_after_the_last_success():
    src = Source.objects.create(name="hub", kind="hubeau", title="Hub'Eau Marne")
    do_record_run(src, status=Run.Status.OK, started_at=NOW - timedelta(days=9), actor=POLLER)
    Source.objects.filter(pk=src.pk).update(last_success_at=NOW - timedelta(days=9))
    _fail(src, started_at=NOW - timedelta(days=10))  # before the success: does not count
    _fail(src, started_at=NOW - timedelta(days=3))
    _fail(src, started_at=NOW - timedelta(days=1))
    src = selectors.source("hub")
    assert selectors.failing_since(src) == NOW - timedelta(days=3)
    line = summary_lines(superuser())[0]
    assert line["text"] == "Hub'Eau Marne : en échec depuis 3 jours (3 échecs de suite)"
    assert line["error"].startswith("HTTP 503")  # apart: the dashboard marks it lang="fr"


@pytest.mark.django_db
def test_a_success_ends_the_failure():
    src = Source.objects.create(name="hub", kind="hubeau")
    _fail(src, started_at=NOW - timedelta(days=2))
    do_record_run(src, status=Run.Status.OK, started_at=NOW, actor=POLLER)
    assert selectors.failing_since(selectors.source("hub")) is None
    assert summary_lines(superuser()) == [{"text": "Toutes les sources répondent.", "url": None}]


def superuser():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", "root@example.org", "x")


def summary_lines(user):
    return summary(user)[0]["lines"]


@pytest.mark.django_db
def test_the_card_lists_every_failing_source_it_counts():
    names = ["atmo", "datagouv", "georisques", "hubeau", "meteo", "vigicrues"]
    for n, name in enumerate(names):
        src = Source.objects.create(name=name, kind=name, title=name.capitalize())
        _fail(src, started_at=NOW - timedelta(hours=2 + n), error=f"{name} is down")
    Source.objects.create(name="zz-off", kind="hubeau", enabled=False, consecutive_failures=4)
    card = summary(superuser())[0]
    assert card["value"] == 6 and len(card["lines"]) == 6
    texts = [line["text"] for line in card["lines"]]
    assert texts[0] == "Vigicrues : en échec depuis 7 heures (1 échec de suite)"
    assert card["lines"][0]["error"] == "vigicrues is down"
    assert [t.split(" :")[0] for t in texts] == [
        "Vigicrues",
        "Meteo",
        "Hubeau",
        "Georisques",
        "Datagouv",
        "Atmo",
    ]
    assert card["lines"][0]["url"] == reverse("sources:source", args=["vigicrues"])


@pytest.mark.django_db
def test_a_long_error_is_shortened_on_the_card_but_whole_on_the_source_page(client_for):
    src = Source.objects.create(name="vigi", kind="vigicrues", title="Vigicrues Seine")
    _fail(src, started_at=NOW - timedelta(days=4), error="x" * 1000)
    line = summary_lines(superuser())[0]["error"]
    assert len(line) < 300 and line.endswith("…")
    html = client_for("lecteur").get(reverse("sources:source", args=["vigi"])).content.decode()
    assert "en échec depuis 4 jours (1 échec de suite)" in html and "x" * 1000 in html


@pytest.mark.django_db
def test_the_catalogue_and_the_dataset_say_since_when_a_source_fails(client_for):
    import pyarrow as pa

    from beffroi.sources.actions import do_store_dataframe_dataset

    src = Source.objects.create(name="vigi", kind="vigicrues", title="Vigicrues Seine")
    dataset = do_store_dataframe_dataset(
        "vigi", pa.table({"a": [1]}), title="V", origin="o", licence="l", actor=SystemActor("cli")
    )
    dataset.source = src
    dataset.save()
    _fail(src, started_at=NOW - timedelta(days=2), error="pas de réseau : impossible de résoudre vigicrues")
    client = client_for("lecteur")
    index = client.get(reverse("sources:index")).content.decode()
    assert "en échec depuis 2 jours" in index and "pas de réseau : impossible de résoudre vigicrues" in index
    page = client.get(reverse("sources:dataset", args=["vigi"])).content.decode()
    assert "en échec depuis 2 jours" in page and "pas de réseau : impossible de résoudre vigicrues" in page


@pytest.mark.django_db
def test_a_source_marked_failing_without_runs_falls_back_to_its_last_run():
    Source.objects.create(
        name="hand", kind="hubeau", consecutive_failures=2, last_run_at=NOW - timedelta(hours=5)
    )
    assert selectors.failing_since(selectors.source("hand")) == NOW - timedelta(hours=5)
    Source.objects.create(name="never", kind="hubeau", consecutive_failures=1)
    assert "never : en échec (1 échec de suite)" in [t["text"] for t in summary_lines(superuser())]
