"""A crisis-cell member logs in, sees the territory's communes on the map and logs out;
a denied role gets 403."""

from tests.conftest import PASSWORD
from tests.e2e.conftest import login


def test_login_see_the_territory_map_and_log_out(page, make_user, screenshot):
    user = make_user("cellule_crise")
    login(page, user.username, PASSWORD)
    page.wait_for_selector("#territory-map[data-communes='3']")
    # Leaflet drew one path per commune and a label for each.
    assert page.locator("#territory-map path.leaflet-interactive").count() == 3
    for name in ("Rueil-Malmaison", "Garches", "Nogent-sur-Marne"):
        assert page.locator(".leaflet-tooltip", has_text=name).count() == 1
        assert page.get_by_role("heading", name=name).count() == 1
    screenshot("dashboard")
    assert page.js_errors == []
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/accounts/login/")
    page.goto("/")
    assert "/accounts/login/" in page.url


def test_keyboard_user_can_skip_to_content(page, make_user):
    user = make_user("lecteur", ["92033"])
    login(page, user.username, PASSWORD)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_denied_role_sees_403(page, make_user, screenshot):
    user = make_user("lecteur", ["92033"])
    login(page, user.username, PASSWORD)
    page.wait_for_selector("#territory-map")
    response = page.goto("/audit/")
    assert response.status == 403
    assert page.get_by_role("heading", name="Accès refusé").count() == 1
    screenshot("denied")


def test_login_page_in_english(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.goto("/accounts/login/")
    assert page.get_by_role("heading", name="Log in to Beffroi").count() == 1
    context.close()


def test_the_header_switches_to_english_and_stays_usable_at_390_px(browser, live_server, make_user):
    user = make_user("cellule_crise")
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    login(page, user.username, PASSWORD)
    page.wait_for_selector("#territory-map")
    with page.expect_navigation():
        page.get_by_role("button", name="EN").click()
    assert page.get_by_role("button", name="Log out").count() == 1
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    from pathlib import Path

    from django.conf import settings

    directory = Path(settings.DATA_DIR) / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(directory / "dashboard-en-390.png"), full_page=False)
    context.close()
