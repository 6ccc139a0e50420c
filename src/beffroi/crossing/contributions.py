"""Extension points through which higher apps add figures to a crossing.

Crossing is a low layer (an engine over datasets): it must not import the registry or the alerts
app, yet an exposure shows "registered people" and "alert subscribers" in the area, and the
territorial profile shows registry counts per commune. Those apps register a function here from
their ``AppConfig.ready()``; crossing calls whatever is registered, in registration order.

A count layer receives the validated area and the user and returns a layer dict in the engine's
shape (``layer``, ``title``, ``figures``, ``method``, ``sources``, ``details``), or ``None`` when
the user may not see it. It decides itself what it may release (the registry applies its
disclosure control there).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the geometry libraries (shapely, pyproj) are not loaded just to register
    from beffroi.crossing.geometry import Area

CountLayer = Callable[["Area", Any], "dict | None"]
CommuneCounts = Callable[[Any], "dict[str, Any] | None"]

COUNT_LAYERS: dict[str, CountLayer] = {}
COMMUNE_COUNTS: dict[str, CommuneCounts] = {}


def register_count_layer(name: str, layer: CountLayer) -> None:
    """``layer(area, user)`` → a layer dict or ``None``; ``name`` is the layer's key in an exposure."""
    COUNT_LAYERS[name] = layer


def register_commune_counts(name: str, counts: CommuneCounts) -> None:
    """``counts(user)`` → ``{commune code: figure}`` for the territorial profile, or ``None``."""
    COMMUNE_COUNTS[name] = counts


def count_layers_for(user: Any) -> dict[str, Callable[[Area], dict | None]]:
    """The registered count layers bound to one user, as the engine's ``extras``."""
    return {name: functools.partial(_bound, layer, user=user) for name, layer in COUNT_LAYERS.items()}


def _bound(layer: CountLayer, area: Area, *, user: Any) -> dict | None:
    return layer(area, user)


def commune_counts(name: str, user: Any) -> dict[str, Any] | None:
    counts = COMMUNE_COUNTS.get(name)
    return counts(user) if counts is not None else None


def layer_total(name: str, area: Area, user: Any) -> int | str | None:
    """The ``total`` figure of one registered count layer as the owning app released it (a number,
    or a label such as « moins de 5 »), or ``None`` (not registered, not allowed)."""
    layer = COUNT_LAYERS.get(name)
    result = layer(area, user) if layer is not None else None
    if not result:
        return None
    return result.get("figures", {}).get("total")
