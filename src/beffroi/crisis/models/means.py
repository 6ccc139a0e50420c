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

    commune = models.CharField(_("commune propriétaire (vide : mutualisation)"), max_length=5, blank=True)
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


# The intercommunal pool: the territory's shared stock, owned by no commune (``Resource.commune``
# and ``ResourceRequest.to_commune`` empty).
POOL = ""


class Commitment(models.Model):
    """A quantity of a resource engaged in a crisis: where, until when; released when it is back."""

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="commitments")
    crisis = models.ForeignKey("crisis.Crisis", on_delete=models.PROTECT, related_name="commitments")
    quantity = models.PositiveIntegerField(_("quantité"))
    place = models.CharField(_("où"), max_length=200)
    until = models.DateTimeField(_("jusqu'à"), null=True, blank=True)
    committed_at = models.DateTimeField()
    committed_by = models.CharField(max_length=150)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-committed_at"]
        verbose_name = _("engagement de moyens")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.resource_id} → {self.crisis_id}"


class ResourceRequest(models.Model):
    """A request for means from one commune to another or to the intercommunal pool, its answer
    (accepted, partly, refused) and the return of what was lent."""

    class Status(models.TextChoices):
        PENDING = "en_attente", _("En attente")
        ACCEPTED = "acceptee", _("Acceptée")
        PARTIAL = "partielle", _("Acceptée en partie")
        REFUSED = "refusee", _("Refusée")
        RETURNED = "rendue", _("Rendue")

    from_commune = models.CharField(_("commune demandeuse"), max_length=5)
    to_commune = models.CharField(_("commune sollicitée (vide : mutualisation)"), max_length=5, blank=True)
    crisis = models.ForeignKey(
        "crisis.Crisis", null=True, blank=True, on_delete=models.PROTECT, related_name="resource_requests"
    )
    kind = models.CharField(_("type"), max_length=30, choices=Resource.Kind.choices)
    label = models.CharField(_("besoin"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantité demandée"))
    unit = models.CharField(_("unité"), max_length=30, blank=True)
    place = models.CharField(_("où"), max_length=200, blank=True)
    until = models.DateTimeField(_("jusqu'à"), null=True, blank=True)
    note = models.CharField(_("précisions"), max_length=300, blank=True)
    status = models.CharField(_("état"), max_length=12, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField()
    requested_by = models.CharField(max_length=150)
    resource = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    granted = models.PositiveIntegerField(_("quantité accordée"), default=0)
    answer_note = models.CharField(_("réponse"), max_length=300, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=150, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("demande de moyens")

    def __str__(self) -> str:
        return f"{self.from_commune} → {self.to_commune or 'pool'}: {self.quantity} {self.label}"

    @property
    def lent(self) -> bool:
        """What was granted is out of its owner's stock until returned."""
        return self.status in (self.Status.ACCEPTED, self.Status.PARTIAL) and self.returned_at is None


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
    contact_phone = models.CharField(_("téléphone du lieu"), max_length=40, blank=True)
    # A centre d'accueil keeps a register and its occupancy is the people present in it; a salle
    # rafraîchie that people walk in and out of only keeps a head count, typed by hand.
    keeps_register = models.BooleanField(_("tient un registre des personnes accueillies"), default=True)
    opened_at = models.DateTimeField(_("ouvert le"), null=True, blank=True)
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

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED

    @property
    def over_capacity(self) -> bool:
        return self.occupancy > self.capacity


class Need(models.TextChoices):
    """Needs a shelter must plan for; only these, never a diagnosis (RGPD art. 9 minimisation)."""

    MEDICAL = "medical", _("Soins / traitement")
    MOBILITY = "mobilite", _("Mobilité réduite")
    PETS = "animaux", _("Animaux")
    LANGUAGE = "langue", _("Langue")


class ShelterEntry(models.Model):
    """One household received in a shelter: the register of the centre d'accueil et de regroupement.

    Personal data: read through ``crisis.selectors.access_shelter_register`` (permission
    ``crisis.view_shelterentry``, audited), deleted ``SHELTER_REGISTER_RETENTION_DAYS`` after the
    crisis closes (``crisis.tasks.purge_shelter_register``).
    """

    shelter = models.ForeignKey(Shelter, on_delete=models.CASCADE, related_name="entries")
    # The crisis open in the shelter's commune at arrival: its closing starts the retention period.
    crisis = models.ForeignKey(
        "crisis.Crisis", null=True, blank=True, on_delete=models.SET_NULL, related_name="shelter_entries"
    )
    name = models.CharField(_("nom du foyer"), max_length=200)
    household_size = models.PositiveSmallIntegerField(_("personnes"), default=1)
    needs = models.JSONField(_("besoins"), default=list, blank=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    note = models.CharField(_("remarque"), max_length=300, blank=True)
    arrived_at = models.DateTimeField(_("arrivée"))
    departed_at = models.DateTimeField(_("départ"), null=True, blank=True)
    recorded_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-arrived_at"]
        verbose_name = _("personne accueillie")
        indexes = [models.Index(fields=["shelter", "departed_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.household_size})"

    @property
    def present(self) -> bool:
        return self.departed_at is None

    def need_labels(self) -> list[str]:
        return [str(Need(n).label) for n in self.needs if n in Need.values]
