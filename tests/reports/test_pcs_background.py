"""The PCS kit's maps carry the background tiles when they could be had at build time, cached for
the next build; otherwise they say they are printed without one."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from PIL import Image

from beffroi.crisis.demo import load
from beffroi.reports import basemap, builders
from beffroi.reports.pdf import render_pdf
from tests.tiles import png, tile_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiles():
    with tile_service(lambda _path: png(colour=(40, 160, 60))) as (origin, asked, state):
        yield origin + "/{z}/{x}/{y}.png", asked, state


def test_tiles_cover_the_commune_within_the_cap():
    z, xs, ys = basemap.tile_range(2.45, 48.82, 2.50, 48.85)  # Nogent-sur-Marne's box
    assert len(xs) * len(ys) <= basemap.MAX_TILES and z >= 13
    assert basemap._lon(xs[0], z) <= 2.45 and basemap._lon(xs[-1] + 1, z) >= 2.50
    assert basemap._lat(ys[0], z) >= 48.85 and basemap._lat(ys[-1] + 1, z) <= 48.82


def test_the_kit_map_has_the_background_and_the_next_build_needs_no_network(
    territory, settings, tmp_path, tiles
):
    url, asked, state = tiles
    settings.MAP_TILE_URL = url
    settings.MAP_TILE_ATTRIBUTION = "© <a href='https://example.invalid/'>Tuiles de test</a>"
    load(["94052"])
    commune = [c for c in territory if c.code == "94052"]
    data = builders.pcs(commune)
    _c, svg, _zones, has_background = data["maps"][0]
    assert has_background and svg.count("<image ") == len(asked) >= 2
    first = len(asked)
    state["up"] = False  # the crisis room is offline now: the cached tiles still print
    _c, svg, _zones, has_background = builders.pcs(commune)["maps"][0]
    assert has_background and len(asked) == first
    pdf = render_pdf("reports/pcs.html", builders.pcs(commune))
    (tmp_path / "kit.pdf").write_bytes(pdf)
    settings_dir = settings.DATA_DIR  # where the other printed documents' PNGs are looked at
    (settings_dir / "screenshots").mkdir(parents=True, exist_ok=True)
    (settings_dir / "screenshots" / "pcs-kit-with-background.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "40",
            "-f",
            "1",
            "-l",
            "3",
            str(tmp_path / "kit.pdf"),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    greens = []
    for page in pages:
        rgb = np.asarray(Image.open(page).convert("RGB")).astype(int)
        greens.append(int(((rgb[..., 1] > 120) & (rgb[..., 0] < 110) & (rgb[..., 2] < 110)).sum()))
    assert max(greens) > 500, greens  # the tiles' green is printed under a map
    from django.template.loader import render_to_string

    html = render_to_string("reports/pcs.html", builders.pcs(commune))
    assert "Fond de carte : © Tuiles de test" in html


def test_unreachable_tiles_give_a_map_without_background_that_says_so(territory, settings, tiles):
    url, asked, state = tiles
    state["up"] = False
    settings.MAP_TILE_URL = url
    load(["94052"])
    data = builders.pcs([c for c in territory if c.code == "94052"])
    _c, svg, _zones, has_background = data["maps"][0]
    assert not has_background and "<image" not in svg and asked
    from django.template.loader import render_to_string

    assert "Sans fond de carte" in render_to_string("reports/pcs.html", data)
