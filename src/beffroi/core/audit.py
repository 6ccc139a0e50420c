"""Write audit entries. Called by actions inside their transaction, so nothing is done unaudited."""

from __future__ import annotations

from typing import Any

from django.db import models

from beffroi.core.actors import Actor, SystemActor, user_or_none
from beffroi.core.models import AuditEvent
from beffroi.core.request_context import current_origin


def actor_label(actor: Actor | None) -> str:
    """The name shown in audit rows and stored in ``*_label`` fields: username or system actor's name."""
    if isinstance(actor, SystemActor):
        return actor.name
    if actor is None:  # a label of a missing user (an assignee left empty, a deleted author)
        return ""
    return getattr(actor, "username", None) or str(actor)


COMMUNE_LENGTH = AuditEvent._meta.get_field("commune").max_length or 5


def record(
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    *,
    commune: str = "",
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    if actor is None:
        raise TypeError("record() needs an actor: a user or a SystemActor")
    origin = current_origin()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    detail = dict(detail or {})
    if len(commune or "") > COMMUNE_LENGTH:
        # Not an INSEE code (e.g. a refused request naming a commune that does not exist): the trail
        # keeps what was asked in its detail; the column holds codes only (PostgreSQL would refuse).
        detail["commune_asked"], commune = commune[:100], ""
    return AuditEvent.objects.create(
        actor=user_or_none(actor),  # NULL for a system actor, named by actor_label
        actor_label=actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        commune=commune or "",
        ip=origin.ip,
        channel=origin.channel,
        detail=detail,
    )
