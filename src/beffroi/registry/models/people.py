"""A registered person: the R121-4 fields only, all in one encrypted payload; workflow columns in clear.

Clear columns hold nothing that identifies a person: an opaque id, the commune, the request's source and
date, the consent status and the acknowledgement dates. Everything R121-4 lists (and the coordinates
derived from the address) is in ``payload``, AES-GCM encrypted with the key ``key_id``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

ACK_DELAY_DAYS = 8  # R121-6: the mayor acknowledges within 8 days


def new_public_id() -> str:
    return secrets.token_hex(8)


class Source(models.TextChoices):
    SELF = "self", _("La personne elle-même")
    THIRD_PARTY = "third_party", _("Un tiers (demande écrite)")
    LEGAL_REP = "legal_rep", _("Son représentant légal")
    DEPARTEMENT = "departement", _("Transmission du département (APA, PCH)")
    CARSAT = "carsat", _("Transmission de la CARSAT")


class Category(models.TextChoices):
    AGE_65 = "age_65", _("Personne âgée de 65 ans et plus")
    AGE_60_UNFIT = "age_60_unfit", _("Personne de plus de 60 ans reconnue inapte au travail")
    DISABLED = "disabled", _("Personne adulte handicapée")


class Consent(models.TextChoices):
    # A request by the person (or their legal representative) is their consent.
    CONSENT = "consent", _("Demande de la personne (consentement)")
    # Third-party request or département/CARSAT feed: registered unless the person objects; tacit
    # agreement is recorded only once the acknowledgement has been received.
    AWAITING = "awaiting", _("En attente : accusé de réception non reçu")
    TACIT = "tacit", _("Acquiescement tacite (accusé reçu, pas d'opposition)")


class Person(models.Model):
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    commune_code = models.CharField(_("commune (code INSEE)"), max_length=5, db_index=True)
    key_id = models.CharField(max_length=8)
    payload = models.TextField()  # encrypted JSON of the R121-4 fields (+ coordinates)
    extension = models.TextField(blank=True)  # encrypted JSON of the PCS extension, when switched on
    dedup_key = models.CharField(max_length=32, db_index=True)  # keyed hash of name + birth date
    # The counting cell of the located address ("<size>:<col>:<row>" of the Lambert-93 grid, at least
    # 200 m; registry/disclosure.py): lets counts run without decrypting, and never finer than a cell.
    cell = models.CharField(max_length=32, blank=True, db_index=True)
    source = models.CharField(_("origine de la demande"), max_length=16, choices=Source.choices)
    consent = models.CharField(_("consentement"), max_length=16, choices=Consent.choices)
    request_date = models.DateField(_("date de la demande"))
    ack_due = models.DateField(_("accusé de réception dû le"))
    ack_letter_at = models.DateTimeField(_("lettre d'accusé générée le"), null=True, blank=True)
    ack_sent_at = models.DateTimeField(_("accusé envoyé le"), null=True, blank=True)
    ack_received_at = models.DateTimeField(_("accusé reçu le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # indexed: the last change is the cheap fingerprint under which counts are cached (access.py)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("personne inscrite")
        verbose_name_plural = _("personnes inscrites")
        permissions = [
            ("view_counts", "Voir les effectifs du registre (sans noms)"),
            ("export_prefect", "Exporter le registre pour le préfet"),
            ("view_accesslog", "Consulter le journal des accès au registre (DPO)"),
        ]

    def __str__(self) -> str:
        return f"inscription {self.public_id}"  # never a name

    def save(self, *args, **kwargs):
        if not self.ack_due and self.request_date:
            self.ack_due = self.request_date + timedelta(days=ACK_DELAY_DAYS)
        super().save(*args, **kwargs)


class Proof(models.Model):
    """The written proof of a third-party request (R121-6), encrypted like the record."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="proofs")
    key_id = models.CharField(max_length=8)
    content = models.TextField()  # encrypted JSON {filename, content_type, data (base64)}
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("justificatif de demande par un tiers")

    def __str__(self) -> str:
        return f"justificatif {self.pk}"


class Move(models.Model):
    """A move (R121-5): within the commune an address update, to another commune a removal. No address kept."""  # noqa: E501

    class Kind(models.TextChoices):
        WITHIN = "within", _("Dans la commune (adresse mise à jour)")
        OUT = "out", _("Hors de la commune (radiation)")

    person_ref = models.CharField(max_length=16, db_index=True)  # opaque id, survives the removal
    commune_code = models.CharField(max_length=5)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("déménagement")

    def __str__(self) -> str:
        return f"déménagement {self.person_ref} ({self.kind})"
