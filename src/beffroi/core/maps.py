"""The background map every page's Leaflet map uses: one configuration, built from the settings.

Tiles are requested by the user's browser straight from the tile service (never proxied through
Beffroi, so no request carries a user's session or a registered person's position). The default is
IGN Géoplateforme's « Plan IGN » (public WMTS, no key, licence ouverte Etalab 2.0);
``BEFFROI_MAP_TILE_URL`` changes it, ``off`` switches tiles off (the maps then draw the communes only).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _


def map_config() -> dict:
    """What ``web/basemap.js`` reads (the ``map-config`` JSON of a page)."""
    return {
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "offlineNotice": _(
            "Fond de carte injoignable : seules les communes et les couches locales sont affichées."
        ),
    }
