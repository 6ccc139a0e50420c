"""Demo data: nothing is published automatically; the demo site is (re)built so /public/ exists."""

from __future__ import annotations


def load(commune_codes: list[str]) -> None:
    from beffroi.public.site import build_site

    build_site()
