"""The main navigation, gathered from the domain apps.

An app shows in the navigation by declaring ``nav_items`` in its AppConfig:
``[(order, label, url_name, permission or None), ...]``. Nothing is listed that a user cannot open.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


def nav_for(request) -> list[NavItem]:
    user = request.user
    declared = sorted(
        (item for config in apps.get_app_configs() for item in getattr(config, "nav_items", ())),
        key=lambda item: item[0],
    )
    items = []
    for _order, label, url_name, perm in declared:
        if perm and not user.has_perm(perm):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append(NavItem(str(label), url, active))
    return items
