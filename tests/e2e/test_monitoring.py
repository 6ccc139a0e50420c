"""The live dashboard: an observation pushed through the API changes the map and the chart without reload."""

from __future__ import annotations

from datetime import timedelta

import httpx
from django.utils import timezone

from beffroi.accounts.actions import do_create_token
from beffroi.core.actors import SystemActor
from beffroi.monitoring.actions import do_ingest_points, do_save_indicator
from tests.conftest import PASSWORD
from tests.e2e.conftest import login

LEVELS = [
    {"level": 1, "name": "veille", "label": "Veille", "value": 2.6, "colour": "#2f6fbf"},
    {"level": 2, "name": "vigilance", "label": "Vigilance", "value": 3.1, "colour": "#f2c200"},
    {"level": 3, "name": "alerte", "label": "Alerte", "value": 3.7, "colour": "#e07000"},
]


def _setup(make_user):
    indicator = do_save_indicator(
        key="marne-gournay",
        label="Hauteur de la Marne à Gournay",
        unit="m",
        source="Hub'Eau (test)",
        series="hubeau:F664000104:H",
        commune="94052",
        hazard="inondation",
        latitude=48.861,
        longitude=2.577,
        thresholds=LEVELS,
        actor=SystemActor("cli"),
    )
    now = timezone.now()
    history = [
        {
            "series": indicator.series,
            "at": now - timedelta(minutes=15 * (40 - i)),
            "value": 2.0 + i * 0.01,
            "unit": "m",
        }
        for i in range(40)
    ]
    history += [
        {
            "series": indicator.series,
            "at": now + timedelta(hours=h),
            "value": 2.5 + h * 0.05,
            "unit": "m",
            "kind": "forecast",
        }
        for h in range(1, 13)
    ]
    do_ingest_points(history, source="test", actor=SystemActor("poll_sources"))
    user = make_user("cellule_crise")
    return indicator, user, do_create_token(user, "e2e", actor=SystemActor("cli"))


def test_pushed_observation_updates_map_and_chart_without_reload(page, live_server, make_user, screenshot):
    indicator, user, token = _setup(make_user)
    login(page, user.username, PASSWORD)
    page.goto("/veille/")
    page.wait_for_selector("#live-status[data-state='live']", timeout=10000)
    marker = page.locator("path[data-key='marne-gournay']")
    assert marker.get_attribute("data-level") == "0"
    chart = page.locator("#ind-marne-gournay .chart")
    assert chart.get_attribute("data-points") == "40"
    page.evaluate("window.__notReloaded = true")
    screenshot("monitoring-before")

    response = httpx.post(
        f"{live_server.url}/api/observations",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "points": [
                {"series": indicator.series, "at": timezone.now().isoformat(), "value": 3.25, "unit": "m"}
            ]
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text

    page.wait_for_selector("path[data-key='marne-gournay'][data-level='2']", timeout=10000)
    page.wait_for_selector("#ind-marne-gournay .chart[data-points='41']", timeout=10000)
    assert marker.get_attribute("data-colour") == "#f2c200"
    assert "3,25 m" in page.locator("#ind-marne-gournay .value").inner_text()
    assert page.evaluate("window.__notReloaded") is True
    page.wait_for_selector("#proposals li[data-status='pending']", timeout=10000)
    # A located main-courante entry of the crisis cell appears on the map, live.
    try:
        from beffroi.crisis import actions as crisis_actions
    except ImportError:
        crisis_actions = None
    if crisis_actions is not None:
        crisis = crisis_actions.do_open_crisis(
            hazard="inondation",
            communes=["94052"],
            level=2,
            exercise=True,
            title="Crue de la Marne",
            actor=SystemActor("cli"),
        )
        crisis_actions.do_append_entry(
            crisis,
            text="Cave inondée quai de la Marne",
            category="info",
            source="terrain",
            actor=SystemActor("exercise 1"),
            lat=48.858,
            lon=2.57,
        )
        page.wait_for_selector("#veille[data-crisis-entries='1']", timeout=10000)
        assert page.locator(".crisis-entry-icon").count() == 1
    screenshot("monitoring-after")
    assert not [e for e in page.js_errors if "EventSource" not in e], page.js_errors


def test_wall_screen_mode(page, live_server, make_user, screenshot):
    _indicator, user, _token = _setup(make_user)
    login(page, user.username, PASSWORD)
    page.goto("/veille/mur/")
    page.wait_for_selector("#live-status[data-state='live']", timeout=10000)
    assert page.locator("body.wall-body").count() == 1
    assert page.locator(".panel.wall-hidden").count() == 3  # one panel shown at a time
    screenshot("monitoring-wall")
    assert not page.js_errors, page.js_errors


def test_demo_dashboard_and_public_page(page, live_server, make_user, screenshot, settings, tmp_path):
    from beffroi.monitoring import demo

    settings.PUBLIC_ROOT = tmp_path / "public"
    settings.DATASETS_DIR = tmp_path / "data"
    try:  # the crossing app's synthetic flood zones, for "what will be in the water"
        from beffroi.crossing import demo as crossing_demo

        zones = "flood-zones-marne" in crossing_demo.load(["92063", "92033", "94052"])
    except ImportError:
        zones = False
    assert len(demo.load(["92063", "92033", "94052"])) == 5
    user = make_user("cellule_crise")
    login(page, user.username, PASSWORD)
    page.goto("/veille/")
    page.wait_for_selector("#live-status[data-state='live']", timeout=10000)
    assert page.locator("#indicators .indicator").count() == 5
    assert page.locator("path[data-key]").count() == 5
    assert "démonstration" in page.locator("#ind-marne-gournay").inner_text()
    if zones:
        page.wait_for_selector("#ind-marne-gournay .exposure[data-zone]", timeout=15000)
        assert "zone « Marne à 4 m" in page.locator("#ind-marne-gournay .exposure").inner_text()
        # The zone the forecast peak reaches (dashed) and the facilities, as overlays of their own.
        page.wait_for_selector("#veille[data-forecast-zones='1'][data-facilities]", timeout=15000)
        assert int(page.locator("#veille").get_attribute("data-facilities") or 0) > 0
    overlays = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [o.strip() for o in overlays] == ["Zones inondées (niveau actuel / prévu)", "Équipements"]
    screenshot("monitoring-demo")
    assert not page.js_errors, page.js_errors
    page.add_script_tag(url="/static/vendor/axe/axe.min.js")
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
    )
    serious = [
        (v["id"], v["impact"], len(v["nodes"]))
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert result["passes"] and serious == [], serious
    page.get_by_role("link", name="Modifier l'indicateur et ses seuils").first.click()
    page.wait_for_selector("input[name='levels-0-value']")
    screenshot("monitoring-edit")
    page.add_script_tag(url="/static/vendor/axe/axe.min.js")
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
    )
    assert [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")] == []
    public = settings.PUBLIC_ROOT / "indicateurs" / "marne-gournay.html"
    assert public.exists()
    page.goto(public.as_uri())
    assert page.locator("svg polyline").count() >= 1
    screenshot("monitoring-public")
    from django.conf import settings as django_settings

    axe = django_settings.PACKAGE_DIR / "web" / "static" / "vendor" / "axe" / "axe.min.js"
    page.add_script_tag(path=str(axe))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
    )
    assert [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")] == []


def test_atmo_index_for_tomorrow_and_the_registry_count_at_the_forecast_height(
    page, live_server, make_user, screenshot, monkeypatch
):
    """An ATMO threshold reached tomorrow reads « prévu demain » with the forecast on the chart; the
    registry's released count at the forecast height is its label (« moins de 5 »), never « NaN »."""
    from datetime import UTC, datetime, time
    from zoneinfo import ZoneInfo

    from beffroi.crossing import selectors as crossing

    indicator, user, _token = _setup(make_user)
    indicator.zones_dataset = "flood-zones-marne"
    indicator.save()
    levels = [
        {
            "level": 3.0,
            "label": "Marne à 3 m",
            "summary": {"residents": 1200, "75+": 140, "registry": "moins de 5"},
        },
    ]
    monkeypatch.setattr(
        crossing,
        "scenario",
        lambda dataset, *, user, datasets=None: {
            "dataset": dataset,
            "title": "Zones (test)",
            "levels": levels,
        },
    )
    paris = ZoneInfo("Europe/Paris")
    today = timezone.localtime(timezone.now(), paris).date()
    midnight = [datetime.combine(today + timedelta(days=d), time(), paris).astimezone(UTC) for d in (0, 1)]
    atmo = do_save_indicator(
        key="atmo-rueil",
        label="Indice ATMO à Rueil-Malmaison",
        unit="indice",
        source="Atmo France (test)",
        series="atmo:92063:index",
        commune="92063",
        hazard="pollution",
        latitude=48.877,
        longitude=2.18,
        thresholds=[{"level": 1, "name": "mauvais", "label": "Mauvais", "value": 4, "colour": "#ff5050"}],
        actor=SystemActor("cli"),
    )
    do_ingest_points(
        [
            {"series": atmo.series, "at": midnight[0], "value": 3, "unit": "indice"},
            {
                "series": atmo.series,
                "at": midnight[1],
                "value": 4,
                "unit": "indice",
                "kind": "forecast",
                "issued_at": midnight[0] + timedelta(hours=10),
            },
        ],
        source="atmo",
        actor=SystemActor("poll_sources"),
    )
    login(page, user.username, PASSWORD)
    page.goto("/veille/")
    page.wait_for_selector("#live-status[data-state='live']", timeout=10000)
    eta = page.locator("#ind-atmo-rueil .eta").inner_text()
    assert eta == "Seuil « Mauvais » prévu demain (selon la prévision de la source)", eta
    assert page.locator("#ind-atmo-rueil .chart").get_attribute("data-forecast") == "1"
    assert "Pointillés : prévision de la source." in page.locator("#ind-atmo-rueil .chart-note").inner_text()
    page.wait_for_selector("#ind-marne-gournay .exposure[data-zone]", timeout=15000)
    exposure = page.locator("#ind-marne-gournay .exposure").inner_text()
    assert "NaN" not in exposure
    assert (
        "1 200 habitants" in exposure.replace("\u202f", " ")
        and "moins de 5 personnes du registre" in exposure
    )
    screenshot("monitoring-atmo-tomorrow")
    assert not page.js_errors, page.js_errors
    # in English, on a phone
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/veille/")
    page.wait_for_selector("#live-status[data-state='live']", timeout=10000)
    eta = page.locator("#ind-atmo-rueil .eta").inner_text()
    assert eta == "Threshold “Mauvais” expected tomorrow (according to the source's forecast)", eta
    page.locator("#ind-atmo-rueil").scroll_into_view_if_needed()
    screenshot("monitoring-atmo-tomorrow-en-390")
    # nothing wider than the phone (the cards' 420 px minimum used to push the map out)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])
