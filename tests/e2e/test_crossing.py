"""A crisis-cell member draws an area on the crossing map and reads who and what is inside;
the panel shows the same figures as the API; the flood slider and the profile work."""

import pytest

from beffroi.crossing import demo
from tests.conftest import PASSWORD
from tests.e2e.conftest import login

AXE_RUN = "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
SERIOUS = ("serious", "critical")


@pytest.fixture
def demo_data(territory):
    demo.load(["92063", "92033", "94052"])


def test_draw_an_area_and_read_the_panel(page, make_user, demo_data, screenshot):
    user = make_user("cellule_crise")
    login(page, user.username, PASSWORD)
    page.goto("/croisements/")
    page.wait_for_selector("#crossing-map .leaflet-interactive")
    assert page.get_by_text("Données synthétiques").count() >= 1
    page.locator("#crossing-map").scroll_into_view_if_needed()
    box = page.locator("#crossing-map").bounding_box()
    page.get_by_role("button", name="Dessiner un polygone").click()
    # A square in the centre of Rueil-Malmaison, clicked where Leaflet shows it.
    lonlats = [(2.170, 48.860), (2.205, 48.860), (2.205, 48.885), (2.170, 48.885)]
    corners = page.evaluate(
        "(pts) => pts.map(([lon, lat]) => { const p = document.getElementById('crossing-map').leafletMap"
        ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; })",
        lonlats,
    )
    for x, y in corners:
        page.mouse.click(box["x"] + x, box["y"] + y)
    page.get_by_role("button", name="Fermer la zone").click()
    page.wait_for_selector(
        "#exposure-panel[data-state='done'], #exposure-panel[data-state='error']", timeout=15000
    )
    assert page.locator("#exposure-panel").get_attribute("data-state") == "done", page.locator(
        "#exposure-panel"
    ).inner_text()
    panel = page.locator("#exposure-panel")
    assert panel.get_by_role("heading", name="Habitants").count() == 1
    total = panel.locator("section[data-layer='residents'] tr[data-figure='total'] td").inner_text()
    shown = int(total.replace("\u202f", "").replace("\xa0", "").replace(" ", ""))
    assert shown > 0
    assert panel.locator(".badge-synthetic").count() >= 1

    # The API, asked for the polygon the page sent, gives the same figure.
    drawn = page.evaluate("window.__lastExposureBody")
    api = page.evaluate(
        "(body) => fetch('/api/crossing/exposure', {method: 'POST', credentials: 'same-origin', headers: "
        "{'Content-Type': 'application/json', "
        "'X-CSRFToken': document.querySelector('[name=csrfmiddlewaretoken]').value}, "
        "body: JSON.stringify(body)}).then(r => r.json())",
        drawn,
    )
    residents = next(layer for layer in api["layers"] if layer["layer"] == "residents")
    assert residents["figures"]["total"] == shown
    assert len(drawn["area"]["coordinates"][0]) == 5
    screenshot("crossing-exposure")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter ces chiffres (CSV)").click()
    from pathlib import Path

    exported = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert exported[0] == "layer,figure,value,method,sources"
    assert exported[1].startswith(f"residents,total,{shown},")

    # Save it: it becomes a saved crossing with the same figure.
    page.get_by_label("Nom du croisement").fill("Centre de Rueil")
    page.get_by_role("button", name="Enregistrer ce croisement").click()
    from playwright.sync_api import expect

    expect(page.locator("#save-status")).not_to_have_text("", timeout=15000)
    assert "enregistré" in page.locator("#save-status").inner_text(), page.locator(
        "#save-status"
    ).inner_text()
    from beffroi.crossing.models import SavedCrossing

    saved = SavedCrossing.objects.get(name="Centre de Rueil")
    assert next(x for x in saved.result["layers"] if x["layer"] == "residents")["figures"]["total"] == shown
    # The saved crossings' table shows it without reloading the page.
    expect(page.locator("#saved-table tbody")).to_contain_text("Centre de Rueil", timeout=15000)

    # Flood scenario: move the slider to the highest level.
    slider = page.locator("#scenario-level")
    page.wait_for_selector("#scenario-panel table.scenario")
    slider.focus()
    page.keyboard.press("End")
    page.wait_for_selector("#scenario-panel tr.current")
    assert page.locator("#scenario-level-value").inner_text().endswith("m")
    screenshot("crossing-scenario")
    page.add_script_tag(url="/static/vendor/axe/axe.min.js")
    result = page.evaluate(AXE_RUN)
    serious = [(v["id"], len(v["nodes"])) for v in result["violations"] if v["impact"] in SERIOUS]
    assert result["passes"] and serious == [], serious
    assert page.js_errors == []


def test_circle_and_bad_area_message(page, make_user, demo_data):
    user = make_user("lecteur")
    login(page, user.username, PASSWORD)
    page.goto("/croisements/")
    page.wait_for_selector("#crossing-map .leaflet-interactive")
    page.get_by_label("Commune entière").select_option("92063")  # the map zooms to Rueil-Malmaison
    page.wait_for_selector("#exposure-panel[data-state='done']", timeout=15000)
    residents = page.locator("section[data-layer='residents'] tr[data-figure='total'] td").inner_text()
    assert int("".join(ch for ch in residents if ch.isdigit())) > 30000

    # 200 m on each side of a line across Rueil-Malmaison.
    page.get_by_label("Rayon ou largeur du tampon (m)").fill("200")
    page.get_by_role("button", name="Tampon autour d'une ligne").click()
    page.locator("#crossing-map").scroll_into_view_if_needed()
    box = page.locator("#crossing-map").bounding_box()
    points = page.evaluate(
        "(pts) => pts.map(([lon, lat]) => { const p = document.getElementById('crossing-map').leafletMap"
        ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; })",
        [(2.175, 48.865), (2.20, 48.875)],
    )
    for x, y in points:
        page.mouse.click(box["x"] + x, box["y"] + y)
    page.get_by_role("button", name="Fermer la zone").click()
    page.wait_for_selector("#exposure-panel[data-state='done'] .area-info")
    info = page.locator("#exposure-panel .area-info").inner_text()
    assert "Tampon de 200 m" in page.locator("#exposure-panel .notes").inner_text(), info
    assert page.js_errors == []


def test_profile_table_and_csv(page, make_user, demo_data, screenshot):
    user = make_user("communication")
    login(page, user.username, PASSWORD)
    page.goto("/croisements/profil/")
    assert page.locator("#profile-table tbody tr").count() == 3, (page.url, page.content()[:3000])
    page.get_by_role("button", name="Indice").click()
    assert int(page.locator("#profile-map").get_attribute("data-iris")) > 50
    page.get_by_label("Part des 75 ans et plus par IRIS (%)").check()
    screenshot("crossing-profile")
    page.add_script_tag(url="/static/vendor/axe/axe.min.js")
    result = page.evaluate(AXE_RUN)
    serious = [(v["id"], len(v["nodes"])) for v in result["violations"] if v["impact"] in SERIOUS]
    assert result["passes"] and serious == [], serious
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en CSV").click()
    from pathlib import Path

    content = Path(download.value.path()).read_text(encoding="utf-8")
    assert content.startswith("code,name,population")
    assert page.js_errors == []


def test_choosing_a_commune_zooms_to_it_and_the_legend_names_the_shapes(page, make_user, demo_data):
    from playwright.sync_api import expect

    user = make_user("cellule_crise")
    login(page, user.username, PASSWORD)
    page.goto("/croisements/")
    page.wait_for_selector("#crossing-map .leaflet-interactive")
    before = page.evaluate("document.getElementById('crossing-map').leafletMap.getZoom()")
    page.locator("#commune-area").select_option("94052")
    expect(page.locator("#exposure-panel")).to_have_attribute("data-state", "done", timeout=15000)
    after = page.evaluate("document.getElementById('crossing-map').leafletMap.getZoom()")
    centre = page.evaluate(
        "(() => { const c = document.getElementById('crossing-map').leafletMap.getCenter(); "
        "return [c.lng, c.lat]; })()"
    )
    assert after > before
    assert 2.46 < centre[0] < 2.50 and 48.82 < centre[1] < 48.85  # Nogent-sur-Marne
    legend = page.locator("#crossing-legend")
    for name in ("Contours de vos communes", "Zone croisée", "Croisements enregistrés", "Zone d'aléa"):
        expect(legend).to_contain_text(name)
    assert page.js_errors == []
