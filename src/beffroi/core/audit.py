"""Write audit entries. Called by actions inside their transaction, so nothing is done unaudited."""

from __future__ import annotations

from typing import Any

from django.db import models

from beffroi.core.models import AuditEvent
from beffroi.core.request_context import current_origin


def actor_label(actor: Any) -> str:
    if actor is None:
        return "système"
    return getattr(actor, "username", None) or str(actor)


def record(
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    commune: str = "",
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    origin = current_origin()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    user = actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_label=actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        commune=commune or "",
        ip=origin.ip,
        channel=origin.channel,
        detail=detail or {},
    )
