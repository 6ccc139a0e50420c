"""Editing an indicator's thresholds from the web (maire, cellule de crise only)."""

from __future__ import annotations

from beffroi.core.models import AuditEvent
from beffroi.monitoring.models import Threshold

URL = "/veille/indicateurs/marne-gournay/modifier/"


def form_data(levels):
    data = {
        "label": "Marne à Gournay",
        "source": "Hub'Eau",
        "hazard": "inondation",
        "direction": "above",
        "stale_minutes": "90",
        "public": "on",
        "zones_dataset": "",
        "levels-TOTAL_FORMS": "5",
        "levels-INITIAL_FORMS": "0",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "5",
    }
    for i in range(5):
        level = levels[i] if i < len(levels) else {}
        for key in ("name", "label", "value", "colour", "hysteresis", "min_minutes"):
            data[f"levels-{i}-{key}"] = (
                str(level.get(key, "")) if key != "colour" else level.get(key, "#f2c200")
            )
    return data


def test_cell_member_edits_thresholds(client_for, marne):
    client = client_for("cellule_crise")
    page = client.get(URL)
    assert page.status_code == 200 and 'name="levels-0-value"' in page.content.decode()
    response = client.post(
        URL,
        form_data(
            [
                {
                    "name": "vigilance",
                    "label": "Vigilance",
                    "value": 3.2,
                    "colour": "#f2c200",
                    "hysteresis": 0.1,
                },
                {"name": "alerte", "label": "Alerte", "value": 4.1, "colour": "#e07000", "min_minutes": 20},
            ]
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(Threshold.objects.filter(indicator=marne).values_list("level", "value")) == [
        (1, 3.2),
        (2, 4.1),
    ]
    marne.refresh_from_db()
    assert marne.label == "Marne à Gournay" and marne.stale_after.total_seconds() == 5400
    assert AuditEvent.objects.filter(action="monitoring.indicator_updated").exists()


def test_unordered_thresholds_are_refused(client_for, marne):
    client = client_for("maire")
    response = client.post(URL, form_data([{"label": "Haut", "value": 4.0}, {"label": "Bas", "value": 3.0}]))
    assert response.status_code == 400 and "doit dépasser" in response.content.decode()
    assert Threshold.objects.filter(indicator=marne).count() == 4  # unchanged


def test_reader_and_other_commune_cannot_edit(client_for, marne):
    assert client_for("lecteur").get(URL).status_code == 403
    assert client_for("cellule_crise", communes=["92063"]).get(URL).status_code == 403


def test_the_forecast_series_is_set_from_the_edit_page(client_for, marne):
    client = client_for("cellule_crise")
    assert 'name="forecast_series"' in client.get(URL).content.decode()
    levels = [{"name": "vigilance", "label": "Vigilance", "value": 3.2, "colour": "#f2c200"}]
    bad = client.post(URL, dict(form_data(levels), forecast_series="vigicrues: F664000104"))
    assert "ne contient pas d&#x27;espace" in bad.content.decode()
    marne.refresh_from_db()
    assert marne.forecast_series == ""
    response = client.post(URL, dict(form_data(levels), forecast_series="vigicrues:F664000104:H"))
    assert response.status_code == 302, response.content.decode()[:2000]
    marne.refresh_from_db()
    assert marne.forecast_series == "vigicrues:F664000104:H"
