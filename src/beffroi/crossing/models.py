"""Saved crossings: a named area and layers, kept to be recomputed when their datasets change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedCrossing(models.Model):
    name = models.CharField(_("nom"), max_length=120)
    commune_code = models.CharField(max_length=5, blank=True)
    area = models.JSONField(_("zone (GeoJSON, EPSG:4326)"))
    layers = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        permissions = [("view_exposure", "Can compute who and what is in an area")]

    def __str__(self) -> str:
        return self.name
