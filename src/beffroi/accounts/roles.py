"""The roles of a PCS crisis organisation, as Django groups.

Each domain app declares what its permissions grant to which role in its AppConfig
(``role_permissions``); ``sync_roles`` gathers them, so a role is defined in one place per domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    name: str
    label: Any  # a lazy translation
    requires_totp: bool = False


ROLES: dict[str, Role] = {
    r.name: r
    for r in [
        Role("maire", _("Maire / directeur des opérations (DOS)"), requires_totp=True),
        Role("cellule_crise", _("Cellule de crise")),
        Role("communication", _("Communication")),
        Role("agent_ccas", _("Agent CCAS habilité au registre"), requires_totp=True),
        Role("lecteur", _("Lecteur")),
        Role("administrateur", _("Administrateur")),
    ]
}


def role_names() -> list[str]:
    return list(ROLES)


def declared_grants() -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {name: set() for name in ROLES}
    for config in apps.get_app_configs():
        for role, perms in getattr(config, "role_permissions", {}).items():
            if role not in grants:
                raise ValueError(f"{config.label} grants permissions to unknown role {role!r}")
            grants[role].update(perms)
    return grants


def sync_roles() -> set[str]:
    """Create the groups and give each exactly the permissions its role is declared to have.

    Returns the declared permissions that do not exist (a typo, or a model not migrated yet);
    a test keeps that set empty.
    """
    grants = declared_grants()
    wanted = {p for perms in grants.values() for p in perms}
    by_name = {}
    for perm in Permission.objects.select_related("content_type"):
        key = f"{perm.content_type.app_label}.{perm.codename}"
        if key in wanted:
            by_name[key] = perm
    for role, perms in grants.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set([by_name[p] for p in perms if p in by_name])
    return wanted - set(by_name)


def roles_of(user) -> list[str]:
    return [g for g in user.groups.values_list("name", flat=True) if g in ROLES]


def requires_totp(user) -> bool:
    return any(ROLES[r].requires_totp for r in roles_of(user))
