"""Creating an indicator from the web (maire, cellule de crise, in their own communes only)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.core.models import AuditEvent
from beffroi.monitoring.actions import do_save_indicator
from beffroi.monitoring.models import Indicator, Threshold
from tests.conftest import login_client

URL = "/veille/indicateurs/nouveau/"


@pytest.fixture(autouse=True)
def datasets_dir(settings, tmp_path):
    """The sources' catalogue files of a test stay in its own directory."""
    settings.DATASETS_DIR = tmp_path / "data"
    return settings.DATASETS_DIR


def form_data(levels=(), **fields):
    data = {
        "label": "Hauteur du Ru de Gally",
        "key": "",
        "commune": "92063",
        "series": "hubeau:H581001001:H",
        "unit": "m",
        "source": "Hub'Eau (Vigicrues)",
        "source_url": "https://hubeau.eaufrance.fr/",
        "hazard": "inondation",
        "direction": "above",
        "stale_minutes": "60",
        "public": "on",
        "latitude": "48.87",
        "longitude": "2.17",
        "zones_dataset": "",
        "levels-TOTAL_FORMS": "5",
        "levels-INITIAL_FORMS": "0",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "5",
        **fields,
    }
    for i in range(5):
        level = levels[i] if i < len(levels) else {}
        for key in ("name", "label", "value", "hysteresis", "min_minutes"):
            data[f"levels-{i}-{key}"] = str(level.get(key, ""))
        data[f"levels-{i}-colour"] = level.get("colour", "#f2c200")
    return data


LEVELS = [
    {"name": "vigilance", "label": "Vigilance", "value": 1.2, "colour": "#f2c200", "hysteresis": 0.05},
    {"name": "alerte", "label": "Alerte", "value": 1.8, "colour": "#e07000", "min_minutes": 20},
]


def test_cell_member_creates_an_indicator_with_its_levels(client_for):
    client = client_for("cellule_crise", communes=["92063"])
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="series"' in html and 'list="known-series"' in html and 'name="levels-0-value"' in html
    assert '<option value="92063"' in html and '<option value="94052"' not in html

    response = client.post(URL, form_data(LEVELS))
    assert response.status_code == 302 and response.url == "/veille/", response.content.decode()[:2000]
    indicator = Indicator.objects.get(series="hubeau:H581001001:H")
    assert indicator.key == "hauteur-du-ru-de-gally"  # derived from the label
    assert (indicator.commune, indicator.unit, indicator.public) == ("92063", "m", True)
    assert (indicator.latitude, indicator.longitude) == (48.87, 2.17)
    assert indicator.stale_after.total_seconds() == 3600
    assert list(Threshold.objects.filter(indicator=indicator).values_list("level", "label", "value")) == [
        (1, "Vigilance", 1.2),
        (2, "Alerte", 1.8),
    ]
    assert indicator.state.level == 0  # no observation yet: normal until the source sends values
    assert AuditEvent.objects.filter(action="monitoring.indicator_created", commune="92063").exists()
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Indicateur créé : Hauteur du Ru de Gally"
    ]

    # The same label again: the derived key is made unique rather than refused.
    again = client.post(URL, form_data(series="hubeau:H581001001:Q", unit="m3/s"))
    assert again.status_code == 302
    assert Indicator.objects.get(series="hubeau:H581001001:Q").key == "hauteur-du-ru-de-gally-2"


def test_dashboard_links_to_the_page_only_for_those_who_may_create(client_for):
    assert URL in client_for("maire").get("/veille/").content.decode()
    assert URL not in client_for("lecteur").get("/veille/").content.decode()


def test_a_key_or_series_already_used_is_a_form_error_and_overwrites_nothing(client_for, marne):
    client = client_for("maire")
    response = client.post(URL, form_data(LEVELS, key="marne-gournay"))
    assert response.status_code == 400
    assert "Un indicateur a déjà cette clé" in response.content.decode()

    response = client.post(URL, form_data(LEVELS, series="hubeau:F664000104:H"))
    assert response.status_code == 400
    assert "Un indicateur suit déjà cette série" in response.content.decode()

    marne.refresh_from_db()
    assert marne.label == "Hauteur de la Marne à Gournay" and marne.commune == "94052"
    assert Threshold.objects.filter(indicator=marne).count() == 4
    assert Indicator.objects.count() == 1


def test_the_action_refuses_to_create_over_an_existing_key(marne):
    # What the form's check cannot cover: another request creating the same key just before.
    with pytest.raises(UserError) as caught:
        do_save_indicator(
            key="marne-gournay",
            label="Autre",
            unit="m",
            source="test",
            series="hubeau:OTHER:H",
            commune="94052",
            thresholds=[],
            create_only=True,
            actor=SystemActor("cli"),
        )
    assert [p.field for p in caught.value.problems] == ["key"]
    marne.refresh_from_db()
    assert marne.label == "Hauteur de la Marne à Gournay" and marne.thresholds.count() == 4


def test_a_user_cannot_create_an_indicator_in_another_commune(client_for, make_user):
    client = client_for("cellule_crise", communes=["92063"])
    response = client.post(URL, form_data(LEVELS, commune="94052"))
    assert response.status_code == 400
    assert "94052 n’en fait pas partie" in response.content.decode()  # not one of the offered communes
    assert not Indicator.objects.exists()
    # Past the form, the action checks the commune again.
    with pytest.raises(PermissionDenied):
        do_save_indicator(
            key="ailleurs",
            label="Ailleurs",
            unit="m",
            source="test",
            series="hubeau:X:H",
            commune="94052",
            create_only=True,
            actor=make_user("cellule_crise", ["92063"]),
        )
    assert not Indicator.objects.exists()


def test_reader_is_denied(client_for):
    client = client_for("lecteur")
    assert client.get(URL).status_code == 403
    assert client.post(URL, form_data(LEVELS)).status_code == 403
    assert not Indicator.objects.exists()


def test_a_post_without_csrf_token_is_refused(make_user):
    client = login_client(Client(enforce_csrf_checks=True), make_user("maire"))
    assert client.post(URL, form_data(LEVELS)).status_code == 403
    assert not Indicator.objects.exists()


def test_levels_out_of_order_are_refused_as_on_the_edit_page(client_for):
    client = client_for("maire")
    response = client.post(URL, form_data([{"label": "Haut", "value": 4.0}, {"label": "Bas", "value": 3.0}]))
    assert response.status_code == 400 and "doit dépasser" in response.content.decode()
    assert not Indicator.objects.exists()


def test_the_series_list_offers_what_the_sources_produce_and_no_indicator_follows(client_for, marne):
    from beffroi.sources.actions import do_store_dataframe_dataset
    from beffroi.sources.runner import points_table

    # What the sources app keeps after a Hub'Eau run: one table of points per source.
    now = timezone.now()
    points = [
        {"series": series, "at": now, "value": 1.0, "unit": "m"}
        for series in ("hubeau:F664000104:H", "hubeau:F700000103:H")
    ]
    do_store_dataframe_dataset(
        "hubeau-marne",
        points_table(points),
        title="Hub'Eau",
        origin="test",
        licence="LO 2.0",
        actor=SystemActor("cli"),
    )
    html = client_for("maire").get(URL).content.decode()
    assert '<option value="hubeau:F700000103:H">' in html
    assert '<option value="hubeau:F664000104:H">' not in html  # the Marne's: already followed


def test_a_derived_indicator_is_evaluated_on_the_values_already_there(client_for):
    import pyarrow as pa

    from beffroi.sources.actions import do_store_dataframe_dataset

    today = timezone.localdate()
    do_store_dataframe_dataset(
        "incidence-dep",
        pa.table({"dep": ["92", "92"], "jour": [today, today], "tx": [80.0, 150.0]}),
        title="Taux d'incidence",
        origin="https://www.data.gouv.fr/",
        licence="LO 2.0",
        actor=SystemActor("cli"),
    )
    response = client_for("maire").post(
        URL,
        form_data(
            [{"name": "alerte", "label": "Alerte", "value": 100}],
            label="Incidence 92",
            series="dataset:incidence-dep:tx:jour?dep=92",
            unit="",
            hazard="sanitaire",
            latitude="",
            longitude="",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    state = Indicator.objects.get(key="incidence-92").state
    assert (state.last_value, state.level) == (150.0, 1)
