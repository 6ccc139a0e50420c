"""Commune memberships and API tokens. Users and roles are Django's users and groups."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CommuneMembership(models.Model):
    """A user acts in the communes they belong to (object-level permission)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="commune_memberships"
    )
    commune_code = models.CharField(_("commune (code INSEE)"), max_length=5)
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "commune_code"], name="unique_membership")]
        verbose_name = _("appartenance à une commune")

    def __str__(self) -> str:
        return f"{self.user} @ {self.commune_code}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for machines pushing data; only its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class StaffProfile(models.Model):
    """How to reach a staff member when on call: the mobile gets SMS pages, the phone is for calls."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    mobile = models.CharField(_("mobile (SMS)"), max_length=16, blank=True)
    phone = models.CharField(_("téléphone"), max_length=16, blank=True)
    # The interface language chosen in the header, applied again at each login (blank: the browser's).
    language = models.CharField(_("langue"), max_length=8, blank=True, choices=settings.LANGUAGES)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profil d'astreinte")

    def __str__(self) -> str:
        return f"{self.user}"
