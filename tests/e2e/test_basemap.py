"""The maps' background: tiles from the configured service under the communes, with their
attribution; when no tile can be reached, the communes stay and a discreet notice says so.

The tile service here is a local server on 127.0.0.1 drawing each tile (its z/x/y written on it),
so the test sees that Leaflet asked for Web Mercator tiles and placed them under the boundaries.
"""

from __future__ import annotations

import socket

import pytest
from PIL import ImageDraw
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.tiles import png, tile_service


def _tile(path: str) -> bytes:
    def draw(image):
        pen = ImageDraw.Draw(image)
        for step in range(0, 256, 32):
            pen.line([(step, 0), (step, 255)], fill=(250, 250, 250), width=3)  # "streets"
            pen.line([(0, step), (255, step)], fill=(250, 250, 250), width=3)
        pen.rectangle([0, 0, 255, 255], outline=(180, 170, 150))
        pen.text((8, 8), path.strip("/").removesuffix(".png"), fill=(90, 90, 90))

    return png(draw)


@pytest.fixture
def tile_server():
    with tile_service(_tile) as (origin, requested, _state):
        yield origin, requested


def _allow_tiles_from(settings, origin: str) -> None:
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"], "img-src": [*policy["DIRECTIVES"]["img-src"], origin]}
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}


def test_the_dashboard_map_draws_the_communes_over_the_tiles_with_their_attribution(
    page, make_user, settings, tile_server, screenshot
):
    origin, requested = tile_server
    settings.MAP_TILE_URL = origin + "/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Tuiles de test"
    _allow_tiles_from(settings, origin)
    login(page, make_user("cellule_crise").username, PASSWORD)
    page.wait_for_selector("#territory-map[data-background='tiles']")
    expect(page.locator("#territory-map img.leaflet-tile-loaded").nth(3)).to_be_attached()
    assert page.locator(".leaflet-control-attribution", has_text="© Tuiles de test").count() == 1
    assert page.locator(".map-offline-notice").count() == 0
    assert page.locator("#territory-map path.leaflet-interactive").count() == 3
    # Web Mercator tiles around the demo communes (west of Paris, z 12-14): x ~ 2070-8300.
    z, x, _y = requested[0].strip("/").removesuffix(".png").split("/")
    assert 10 <= int(z) <= 15 and 0.50 < int(x) / 2 ** int(z) < 0.51
    screenshot("map-with-background")
    assert page.js_errors == []


def test_without_reachable_tiles_the_map_keeps_the_communes_and_says_so(page, make_user, settings):
    with socket.socket() as probe:  # a port nobody listens on: every tile fails at once
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.MAP_TILE_URL = f"http://127.0.0.1:{closed}/{{z}}/{{x}}/{{y}}.png"
    _allow_tiles_from(settings, f"http://127.0.0.1:{closed}")
    login(page, make_user("cellule_crise").username, PASSWORD)
    page.wait_for_selector("#territory-map[data-background='offline']")
    notice = page.locator(".map-offline-notice")
    assert notice.count() == 1 and "Fond de carte injoignable" in notice.inner_text()
    assert page.locator("#territory-map path.leaflet-interactive").count() == 3
    assert all("Failed to load resource" in e for e in page.js_errors)


def test_with_tiles_switched_off_the_map_has_no_notice(page, make_user):
    login(page, make_user("cellule_crise").username, PASSWORD)
    page.wait_for_selector("#territory-map[data-background='none']")
    assert page.locator(".map-offline-notice").count() == 0
    assert page.js_errors == []
