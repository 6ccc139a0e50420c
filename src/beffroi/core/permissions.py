"""Function- and object-level permission checks, shared by every domain app.

A permission is a Django permission (``app.codename``) given by a role; the object level is the
commune: a user acts only in the communes they belong to (administrators in all of them).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied

from beffroi.core.actors import Actor, SystemActor
from beffroi.core.audit import record

ALL_COMMUNES = "*"


def user_communes(user: Any) -> set[str]:
    """INSEE codes the user may act in; ``{"*"}`` for administrators."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if user.is_superuser or user.groups.filter(name="administrateur").exists():
        return {ALL_COMMUNES}
    cached = getattr(user, "_beffroi_communes", None)
    if cached is None:
        cached = set(user.commune_memberships.values_list("commune_code", flat=True))
        user._beffroi_communes = cached
    return cached


def in_commune(user: Any, commune: str | None) -> bool:
    if commune is None:
        return True
    communes = user_communes(user)
    return ALL_COMMUNES in communes or commune in communes


def in_all_communes(user: Any, communes: Iterable[str]) -> bool:
    return all(in_commune(user, c) for c in communes)


def has_perm(user: Any, perm: str, commune: str | None = None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.has_perm(perm) and in_commune(user, commune)


def allowed_system(actor: Actor, system: Collection[str]) -> bool:
    """Is ``actor`` a system actor this action declared (``system``: kinds)? ``False`` for a user.

    Refuses what is neither: ``None`` raises ``TypeError`` (no actor never means "no check"), and
    a system actor whose kind the action did not declare raises ``PermissionDenied``, audited.
    """
    if isinstance(actor, SystemActor):
        if actor.kind in system:
            return True
        record(actor, "permission.denied", object_type="system_actor", object_id=actor.name)
        raise PermissionDenied(f"system actor {actor.name!r} may not do this")
    if actor is None or not hasattr(actor, "has_perm"):
        raise TypeError(f"actor must be a user or a SystemActor, not {actor!r}")
    return False


def require(actor: Actor, perm: str, commune: str | None = None, *, system: Collection[str] = ()) -> None:
    """Raise ``PermissionDenied`` (and audit the refusal) unless the actor may use ``perm`` there.

    A user must hold ``perm`` in ``commune``; a system actor must be of a kind listed in ``system``
    (the action's declaration of which parts of the system may call it).
    """
    if allowed_system(actor, system):
        return
    user: Any = actor
    if not has_perm(user, perm, commune):
        if user is not None and getattr(user, "is_authenticated", False):
            record(user, "permission.denied", object_type="permission", object_id=perm, commune=commune or "")
        raise PermissionDenied(perm)


def require_verified(user: Any) -> None:
    """Sensitive roles (registry, alert approval) need a session confirmed with a TOTP code."""
    if not (getattr(user, "is_verified", None) and user.is_verified()):
        raise PermissionDenied("otp")
