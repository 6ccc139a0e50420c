"""Background tiles under the PCS kit's printed maps, fetched when the kit is built.

The kit is printed and carried into a crisis room that may be offline, so the background is
embedded in the document (PNG tiles as data URIs in the SVG map), never linked. Tiles come from the
configured service (``settings.MAP_TILE_URL``, Plan IGN by default: Web Mercator, z/x/y) and are
kept in ``DATA_DIR/tiles`` so a later build needs no network. When any tile cannot be had, the map
is drawn without background rather than with holes, and the caption says so.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import httpx
from django.conf import settings

log = logging.getLogger(__name__)

MAX_TILES = 12  # a commune over 3×4 tiles at most: enough detail for an A4 half page
ZOOMS = range(16, 9, -1)  # the most detailed zoom that fits in MAX_TILES
TIMEOUT = httpx.Timeout(4.0, connect=2.0)


@dataclass(frozen=True)
class Tile:
    west: float
    north: float
    east: float
    south: float
    png: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode()


def _x(lon: float, z: int) -> int:
    return int((lon + 180.0) / 360.0 * 2**z)


def _y(lat: float, z: int) -> int:
    lat_r = math.radians(lat)
    return int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * 2**z)


def _lon(x: int, z: int) -> float:
    return x / 2**z * 360.0 - 180.0


def _lat(y: int, z: int) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / 2**z))))


def tile_range(west: float, south: float, east: float, north: float) -> tuple[int, range, range]:
    """The zoom and the tile columns and rows covering the box, within MAX_TILES."""
    for z in ZOOMS:
        xs = range(_x(west, z), _x(east, z) + 1)
        ys = range(_y(north, z), _y(south, z) + 1)
        if len(xs) * len(ys) <= MAX_TILES:
            return z, xs, ys
    z = ZOOMS[-1]
    return z, range(_x(west, z), _x(east, z) + 1), range(_y(north, z), _y(south, z) + 1)


def _cache_dir() -> Path:
    service = hashlib.sha256(settings.MAP_TILE_URL.encode()).hexdigest()[:12]
    return Path(settings.DATA_DIR) / "tiles" / service


def _fetch(client: httpx.Client, z: int, x: int, y: int) -> bytes:
    path = _cache_dir() / str(z) / str(x) / f"{y}.png"
    if path.exists():
        return path.read_bytes()
    url = settings.MAP_TILE_URL.replace("{s}", "a").format(z=z, x=x, y=y)
    response = client.get(url)
    response.raise_for_status()
    if not response.headers.get("content-type", "").startswith("image/"):
        raise ValueError(f"not an image: {response.headers.get('content-type')}")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(response.content)
    temporary.replace(path)
    return response.content


def background(west: float, south: float, east: float, north: float) -> list[Tile] | None:
    """Every tile under the box, or ``None`` when tiles are off or one of them cannot be had."""
    if not settings.MAP_TILE_URL:
        return None
    z, xs, ys = tile_range(west, south, east, north)
    tiles = []
    try:
        # The service is the operator's setting, not a user's address: no SSRF guard, no redirect.
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            for x in xs:
                for y in ys:
                    png = _fetch(client, z, x, y)
                    tiles.append(Tile(_lon(x, z), _lat(y, z), _lon(x + 1, z), _lat(y + 1, z), png))
    except (httpx.HTTPError, OSError, ValueError) as exc:
        log.warning("pcs kit: background tiles unreachable (%s), maps printed without", exc)
        return None
    return tiles
