"""Extension point: layers that higher apps add to the monitoring map.

The monitoring map shows the crisis cell's located facts (main courante entries with a position,
shelters), which the crisis app owns; crisis sits above monitoring, so it registers a layer
function here from ``CrisisConfig.ready()`` instead of monitoring importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MapLayer = Callable[[Any], dict]

MAP_LAYERS: dict[str, MapLayer] = {}


def register_map_layer(name: str, layer: MapLayer) -> None:
    """``layer(user)`` → a JSON-able dict for the map, already limited to what the user may see."""
    MAP_LAYERS[name] = layer
