"""Demo sources for the demo territory (filled in with the connectors)."""

from __future__ import annotations


def load(commune_codes) -> None:
    return None
