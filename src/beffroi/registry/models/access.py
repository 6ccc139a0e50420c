"""Who may read the registry (the mayor's nominations) and who did (the access log, for the DPO)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Nomination(models.Model):
    """R121-7: only persons named by the mayor process the registry. One row per person and commune."""

    class Scope(models.TextChoices):
        MANAGER = "manager", _("Gestion du registre (inscriptions, listes, exports)")
        CALLER = "caller", _("Appelant : seulement sa part d'une campagne")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registry_nominations"
    )
    commune_code = models.CharField(_("commune (code INSEE)"), max_length=5)
    scope = models.CharField(_("étendue"), max_length=8, choices=Scope.choices, default=Scope.MANAGER)
    decision_date = models.DateField(_("date de la décision du maire"))
    decision_reference = models.CharField(_("référence de la décision (arrêté)"), max_length=100, blank=True)
    signer = models.CharField(_("signataire"), max_length=150)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["commune_code", "-recorded_at"]
        verbose_name = _("nomination au registre")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "commune_code"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_nomination",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.commune_code} ({self.scope})"


class AccessLog(models.Model):
    """Every read and export of personal data: who, when, which records (opaque ids), why, which crisis."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user_label = models.CharField(max_length=150)
    action = models.CharField(max_length=40)
    commune_code = models.CharField(max_length=5, db_index=True)
    record_ids = models.JSONField(default=list)
    record_count = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=200)
    crisis_id = models.CharField(max_length=40, blank=True)
    campaign = models.ForeignKey(
        "registry.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=20, default="system")
    # Count queries (action "count"): the area asked (GeoJSON) and the answer given (status: label).
    area = models.JSONField(null=True, blank=True)
    answer = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "action", "at"], name="registry_accesslog_user_act")]
        verbose_name = _("accès au registre")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_label} {self.action} ({self.record_count})"


class KeyVerifier(models.Model):
    """A fingerprint of a registry key, stored with the data it encrypts (registry/crypto.py).

    ``verifier`` is HMAC-SHA256 of a constant under the key: it proves a configured key is the one the
    rows were written with, without revealing the key. One current row; retired rows stay for the
    record after a rotation.
    """

    key_id = models.CharField(max_length=8, unique=True)
    verifier = models.CharField(max_length=64)
    current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("empreinte de clé du registre")
        constraints = [
            models.UniqueConstraint(
                fields=["current"], condition=models.Q(current=True), name="one_current_key"
            )
        ]

    def __str__(self) -> str:
        return f"clé {self.key_id}{' (courante)' if self.current else ''}"
