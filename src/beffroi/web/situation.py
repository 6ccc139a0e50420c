"""The "situation" strip of the home dashboard, gathered from the domain apps.

An app contributes by naming a function in its AppConfig: ``situation = "beffroi.app.situation.summary"``.
The function takes the user and returns a list of cards (or an empty list when the user may not see
that domain)::

    {"order": 10, "title": "Crises ouvertes", "value": 2, "tone": "danger" | "warning" | "ok" | "muted",
     "url": "/crise/", "lines": [{"text": "…", "url": "/crise/3/" or None}, ...]}

A line may add ``"error"``: stored text in the territory's language (``settings.LANGUAGE_CODE``), shown
after the text and marked with that language.

A failing contributor is logged and left out: the home page must open during a crisis.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def situation_for(user: Any) -> list[dict]:
    cards: list[dict] = []
    for config in apps.get_app_configs():
        path = getattr(config, "situation", None)
        if not path:
            continue
        try:
            cards.extend(import_string(path)(user))
        except Exception:
            log.exception("situation card of %s failed", config.label)
    return sorted(cards, key=lambda card: card["order"])
