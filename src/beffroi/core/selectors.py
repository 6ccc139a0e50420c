"""Reads of the audit trail, scoped to what the reader may see."""

from __future__ import annotations

from django.db.models import QuerySet

from beffroi.core.models import AuditEvent
from beffroi.core.permissions import ALL_COMMUNES, user_communes


def audit_events(user) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("actor")
    communes = user_communes(user)
    if ALL_COMMUNES not in communes:
        qs = qs.filter(commune__in=communes | {""})
    return qs
