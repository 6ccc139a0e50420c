"""The audit trail: who did what, when, from where, on which object, for every action."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept even if the user is deleted later: an audit line must stay attributable.
    actor_label = models.CharField(_("auteur"), max_length=150)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("type d'objet"), max_length=100, blank=True)
    object_id = models.CharField(_("identifiant d'objet"), max_length=100, blank=True)
    commune = models.CharField(_("commune"), max_length=5, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    channel = models.CharField(_("canal"), max_length=20, default="system")
    detail = models.JSONField(_("détail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")
        permissions = [("view_audit", "Consulter le journal d'audit")]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
        )
