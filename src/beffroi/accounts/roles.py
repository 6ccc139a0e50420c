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

from beffroi.core.permissions import has_perm


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
        Role("administrateur", _("Administrateur"), requires_totp=True),
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
    """Roles that reach personal data, approve alerts or administer accounts, and Django's
    staff and superusers (the admin edits every account), log in with a second factor."""
    if getattr(user, "is_superuser", False) or getattr(user, "is_staff", False):
        return True
    return any(ROLES[r].requires_totp for r in roles_of(user))


_VERBS = {"add": _("ajouter"), "change": _("modifier"), "delete": _("supprimer"), "view": _("consulter")}


def roles_holding(perm: str) -> list[Role]:
    """The roles whose declared grants include ``perm`` ("app.codename"), in ROLES order."""
    grants = declared_grants()
    return [ROLES[name] for name in ROLES if perm in grants.get(name, set())]


def permission_label(perm: str) -> str:
    """A permission in plain French: its own name for custom ones (« Ouvrir une crise »), the verb
    and the model's name for Django's default ones (« ajouter : entrée de main courante »)."""
    app_label, _dot, codename = perm.partition(".")
    found = (
        Permission.objects.select_related("content_type")
        .filter(content_type__app_label=app_label, codename=codename)
        .first()
    )
    verb, _sep, model = codename.partition("_")
    if found is not None and verb in _VERBS and model == found.content_type.model:
        model_class = found.content_type.model_class()
        name = model_class._meta.verbose_name if model_class is not None else model
        return f"{_VERBS[verb]} : {name}"
    if found is not None:
        return str(_(found.name))
    return perm


def is_permission_name(value: str) -> bool:
    """Whether a ``PermissionDenied`` message is a permission ("app.codename"), as ``require`` raises."""
    app_label, dot, codename = value.partition(".")
    return bool(dot) and app_label.isidentifier() and codename.isidentifier()


@dataclass(frozen=True)
class Refusal:
    """What was refused, why, and who may do it: what a 403 page and a refused form show."""

    permission: str
    what: str
    why: str
    who: list[str]

    @property
    def text(self) -> str:
        who = ", ".join(self.who) if self.who else _("aucun rôle (réservé à l'administrateur du serveur)")
        return str(_("Refusé : %(what)s. %(why)s Rôles qui le peuvent : %(who)s.")) % {
            "what": self.what,
            "why": self.why,
            "who": who,
        }


def explain_refusal(user: Any, perm: str) -> Refusal:
    what = permission_label(perm)
    if has_perm(user, perm):
        why = str(
            _("Votre rôle le permet, mais pas sur ces communes : vous n'êtes rattaché(e) à aucune d'elles.")
        )
    else:
        held = (
            [str(ROLES[r].label) for r in roles_of(user)] if getattr(user, "is_authenticated", False) else []
        )
        why = str(
            _("Cette action demande la permission « %(what)s », que votre rôle (%(roles)s) n'a pas.")
        ) % {
            "what": what,
            "roles": ", ".join(held) or _("aucun"),
        }
    return Refusal(perm, what, why, [str(r.label) for r in roles_holding(perm)])
