"""Demo: write the public site once the other apps' demo data exist."""

from __future__ import annotations

from beffroi.public.site import build_site


def load(commune_codes: list[str]) -> None:
    build_site()
