"""Extension point: where a live source's observations go after they are stored.

Sources fetch and store; the monitoring app (above sources) turns observations into indicator
levels. Monitoring registers its ingestion function here from ``MonitoringConfig.ready()``, so
sources never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

ObservationSink = Callable[..., int]

OBSERVATION_SINKS: list[ObservationSink] = []


def register_observation_sink(sink: ObservationSink) -> None:
    """``sink(points, *, source, actor)`` → how many observations it took."""
    if sink not in OBSERVATION_SINKS:
        OBSERVATION_SINKS.append(sink)


def push_points(points: list[dict], source_name: str, *, actor: Any) -> str:
    """Hand the points to every registered sink; say what happened (for the run report)."""
    if not points:
        return _("aucune observation à transmettre")
    if not OBSERVATION_SINKS:
        return _("aucun destinataire des observations : elles restent dans le jeu de données seulement")
    count = sum(sink(points, source=source_name, actor=actor) for sink in OBSERVATION_SINKS)
    return ngettext(
        "%(n)d observation transmise à la veille", "%(n)d observations transmises à la veille", count
    ) % {"n": count}
