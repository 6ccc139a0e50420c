"""The operational directory, the means (resources) and the shelters of each commune."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Contact(models.Model):
    """An entry of the annuaire opérationnel: a person or an organisation, with on-duty numbers."""

    class Kind(models.TextChoices):
        PERSON = "personne", _("Personne")
        ORGANISATION = "organisme", _("Organisme")

    commune = models.CharField(_("commune"), max_length=5)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("nom"), max_length=200)
    organisation = models.CharField(_("organisme"), max_length=200, blank=True)
    function = models.CharField(_("fonction"), max_length=200, blank=True)
    cell = models.CharField(_("cellule PCC"), max_length=30, blank=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    on_duty_phone = models.CharField(_("astreinte / permanence"), max_length=40, blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    notes = models.CharField(_("remarques"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("mis à jour"))

    class Meta:
        ordering = ["commune", "kind", "organisation", "name"]
        verbose_name = _("contact de l'annuaire")

    def __str__(self) -> str:
        return self.name


class Resource(models.Model):
    class Kind(models.TextChoices):
        VEHICLE = "vehicule", _("Véhicule")
        EQUIPMENT = "materiel", _("Matériel")
        SANDBAGS = "sacs_sable", _("Sacs de sable / batardeaux")
        PUMP = "pompe", _("Motopompe")
        GENERATOR = "groupe_electrogene", _("Groupe électrogène")
        BARRIER = "barrieres", _("Barrières / signalisation")
        SUPPLIES = "ravitaillement", _("Eau, ravitaillement")
        BEDDING = "couchage", _("Lits, couvertures")
        OTHER = "autre", _("Autre")

    class Status(models.TextChoices):
        AVAILABLE = "disponible", _("Disponible")
        ENGAGED = "engage", _("Engagé")
        LENT = "prete", _("Prêté")
        UNAVAILABLE = "indisponible", _("Indisponible")

    commune = models.CharField(_("commune propriétaire"), max_length=5)
    name = models.CharField(_("désignation"), max_length=200)
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    quantity = models.PositiveIntegerField(_("quantité"), default=1)
    unit = models.CharField(_("unité"), max_length=30, blank=True)
    location = models.CharField(_("lieu de stockage"), max_length=200, blank=True)
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.AVAILABLE)
    held_by = models.CharField(_("détenu par (commune)"), max_length=5, blank=True)
    notes = models.CharField(_("remarques"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("mis à jour"))

    class Meta:
        ordering = ["commune", "kind", "name"]
        verbose_name = _("moyen")

    def __str__(self) -> str:
        return self.name


class ResourceLoan(models.Model):
    """A resource of one commune lent to another (mutualisation intercommunale)."""

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="loans")
    from_commune = models.CharField(max_length=5)
    to_commune = models.CharField(max_length=5)
    crisis = models.ForeignKey(
        "crisis.Crisis", null=True, blank=True, on_delete=models.PROTECT, related_name="loans"
    )
    lent_at = models.DateTimeField()
    lent_by = models.CharField(max_length=150)
    returned_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-lent_at"]

    def __str__(self) -> str:
        return f"{self.resource_id}: {self.from_commune} → {self.to_commune}"


class Shelter(models.Model):
    """A place to shelter people (gymnase, salle des fêtes, salle rafraîchie…)."""

    class Status(models.TextChoices):
        CLOSED = "ferme", _("Fermé")
        OPEN = "ouvert", _("Ouvert")
        FULL = "complet", _("Complet")

    commune = models.CharField(_("commune"), max_length=5)
    name = models.CharField(_("nom"), max_length=200)
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    kind = models.CharField(_("usage"), max_length=100, blank=True)
    capacity = models.PositiveIntegerField(_("capacité"))
    occupancy = models.PositiveIntegerField(_("occupation"), default=0)
    accessible = models.BooleanField(_("accessible PMR"), default=False)
    accessibility_notes = models.CharField(_("accessibilité"), max_length=300, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.CLOSED)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("mis à jour"))

    class Meta:
        ordering = ["commune", "name"]
        verbose_name = _("lieu d'hébergement")

    def __str__(self) -> str:
        return self.name

    @property
    def free(self) -> int:
        return max(self.capacity - self.occupancy, 0)

    @property
    def occupancy_percent(self) -> int:
        return round(100 * self.occupancy / self.capacity) if self.capacity else 0
