"""A source's errors are stored text read by the whole crisis cell: they are written in the
territory's language (French), whoever triggered the run, and pages in English mark them lang="fr".
The kinds' names, which are not stored, follow the reader's language."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from beffroi.core.actors import SystemActor
from beffroi.sources.actions import do_add_source
from beffroi.sources.models import Run, Source
from beffroi.sources.runner import run_source

MISSING_KEY = "clé d'API manquante : définissez BEFFROI_METEOFRANCE_API_KEY dans l'environnement."


@pytest.fixture
def no_keys(settings):
    settings.SOURCE_API_KEYS = {}


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db
def test_a_run_asked_in_english_stores_its_error_in_french(no_keys):
    src = do_add_source("vigilance", "meteofrance", config={"departments": "94"}, actor=SystemActor("cli"))
    with translation.override("en"):
        run = run_source(src, actor=SystemActor("cli"))
        assert translation.get_language() == "en"  # the reader's language is back after the run
    assert run.status == Run.Status.FAILED
    assert run.error.startswith(MISSING_KEY)
    assert "Clé à demander sur https://portail-api.meteofrance.fr" in run.error
    src.refresh_from_db()
    assert src.last_error == run.error and "missing" not in src.last_error


@pytest.mark.django_db
def test_an_english_user_pressing_run_now_stores_the_french_error(no_keys, client_for):
    do_add_source("vigilance", "meteofrance", config={"departments": "94"}, actor=SystemActor("cli"))
    client = english(client_for("cellule_crise"))
    response = client.post(reverse("sources:run", args=["vigilance"]), follow=True)
    assert response.status_code == 200
    assert Run.objects.get().error.startswith(MISSING_KEY)
    assert Source.objects.get(name="vigilance").last_error.startswith(MISSING_KEY)


@pytest.mark.django_db
def test_the_stored_error_is_marked_french_on_english_pages(no_keys, client_for):
    src = do_add_source("vigilance", "meteofrance", config={"departments": "94"}, actor=SystemActor("cli"))
    run_source(src, actor=SystemActor("poll_sources"))
    client = english(client_for("cellule_crise"))
    escaped = MISSING_KEY.replace("'", "&#x27;")

    page = client.get(reverse("sources:source", args=["vigilance"])).content.decode()
    assert "Last error" in page  # the page is English...
    assert f'<dd class="catalogue-error" lang="fr">{escaped}' in page  # ...the stored error French
    assert '<td lang="fr"><span class="catalogue-error">' in page  # the run's detail too

    catalogue = client.get(reverse("sources:index")).content.decode()
    assert f'<span class="catalogue-error" lang="fr">{escaped[:40]}' in catalogue

    home = client.get("/").content.decode()
    assert f'<span lang="fr">{escaped[:40]}' in home


@pytest.mark.django_db
def test_kind_names_follow_the_reader_and_the_stored_title_stays_french(client_for):
    client = english(client_for("cellule_crise"))
    picker = client.get(reverse("sources:source_new")).content.decode()
    assert "Vigicrues — flood vigilance" in picker and "Vigicrues — vigilance crues" not in picker
    form = client.get(reverse("sources:source_new"), {"kind": "meteoalarm"}).content.decode()
    assert "MeteoAlarm — weather warnings (CAP, France)" in form

    with translation.override("en"):
        src = do_add_source("alarme", "meteoalarm", config={"departments": "94"}, actor=SystemActor("cli"))
    assert src.title == "MeteoAlarm — vigilance météo (CAP, France)"
    assert type(Source.objects.get(name="alarme").title) is str


@pytest.mark.django_db
def test_a_bad_option_is_answered_in_the_reader_s_language():
    from beffroi.core.errors import UserError

    with translation.override("en"), pytest.raises(UserError, match="Invalid options for a hubeau source"):
        do_add_source("x", "hubeau", config={"colour": "red"}, actor=SystemActor("cli"))
    with (
        translation.override("fr"),
        pytest.raises(UserError, match="Options invalides pour une source hubeau"),
    ):
        do_add_source("x", "hubeau", config={"colour": "red"}, actor=SystemActor("cli"))
