"""The main courante: an append-only, hash-chained log of everything that reaches the PCC.

Nothing is ever updated or deleted through the ORM (``save`` refuses existing rows, ``delete``
refuses always, the queryset refuses ``update``/``delete``); on PostgreSQL a trigger refuses it in
the database too. Corrections are new entries pointing to the corrected one. Each entry stores the
hash of the previous entry and its own: SHA-256 over a canonical JSON form (see ``canonical``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from beffroi.crisis.models.crisis import Crisis

GENESIS = "0" * 64


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an entry of the main courante."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("the main courante is append-only: write a correction instead")

    def delete(self):
        raise AppendOnlyError("the main courante is append-only: entries are never deleted")

    def _raw_delete(self, using):
        raise AppendOnlyError("the main courante is append-only: entries are never deleted")


class Source(models.TextChoices):
    PHONE = "telephone", _("Téléphone")
    RADIO = "radio", _("Radio")
    FIELD = "terrain", _("Terrain")
    PREFECTURE = "prefecture", _("Préfecture")
    SDIS = "sdis", _("Pompiers (SDIS)")
    POLICE = "police", _("Police / gendarmerie")
    EMAIL = "courriel", _("Courriel")
    PUBLIC = "habitant", _("Habitant")
    MEDIA = "media", _("Médias")
    CELL = "cellule", _("Cellule de crise")
    SYSTEM = "systeme", _("Système")
    OTHER = "autre", _("Autre")


class Category(models.TextChoices):
    INFO = "info", _("Information")
    DECISION = "decision", _("Décision")
    ACTION = "action", _("Action")
    REQUEST = "demande", _("Demande")


class LogEntry(models.Model):
    crisis = models.ForeignKey(Crisis, on_delete=models.PROTECT, related_name="entries")
    seq = models.PositiveIntegerField(_("n°"))
    recorded_at = models.DateTimeField(_("enregistrée le (serveur, UTC)"))
    occurred_at = models.DateTimeField(_("heure de l'événement"))
    deferred = models.BooleanField(_("saisie différée"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(_("auteur"), max_length=150)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    category = models.CharField(_("catégorie"), max_length=20, choices=Category.choices)
    text = models.TextField(_("texte"))
    location_label = models.CharField(_("lieu"), max_length=200, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lon = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("corrige l'entrée"),
    )
    task = models.ForeignKey(
        "crisis.Task", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    attachment = models.FileField(_("pièce jointe"), upload_to="crisis/attachments/%Y/%m/", blank=True)
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    exercise = models.BooleanField(_("exercice"), default=False)
    # Exercise entries: the scenario clock's time of the event. ``occurred_at`` stays a real time,
    # never in the future, even when the scenario clock runs faster than the wall clock.
    scenario_at = models.DateTimeField(_("heure d'exercice"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["crisis", "seq"]
        verbose_name = _("entrée de main courante")
        verbose_name_plural = _("main courante")
        constraints = [models.UniqueConstraint(fields=["crisis", "seq"], name="crisis_logentry_unique_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.text[:60]}"

    # --- append-only ----------------------------------------------------------------------
    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("the main courante is append-only: write a correction instead")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("the main courante is append-only: entries are never deleted")

    # --- hash chain -----------------------------------------------------------------------
    def canonical_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "v": 1,
            "crisis": self.crisis_id,
            "seq": self.seq,
            "recorded_at": _iso(self.recorded_at),
            "occurred_at": _iso(self.occurred_at),
            "deferred": bool(self.deferred),
            "author": self.author_label,
            "source": self.source,
            "category": self.category,
            "text": self.text,
            "location": self.location_label,
            "lat": None if self.lat is None else f"{self.lat:.6f}",
            "lon": None if self.lon is None else f"{self.lon:.6f}",
            "corrects": self.corrects_id,
            "task": self.task_id,
            "attachment_sha256": self.attachment_sha256,
            "exercise": bool(self.exercise),
            "prev_hash": self.prev_hash,
        }
        # Only when set, so entries written before the field existed keep their hashes.
        if self.scenario_at is not None:
            payload["scenario_at"] = _iso(self.scenario_at)
        return payload

    def compute_hash(self) -> str:
        return chain_hash(self.canonical_payload())

    @property
    def short_hash(self) -> str:
        return format_head(self.hash)


class ChainAnchor(models.Model):
    """A chain head written down outside the database (printed, e-mailed, timestamped).

    The row itself is only a record of where the head went: its proof value is in the copies kept
    elsewhere, which ``beffroi crisis verify-log N --head HASH@N`` checks the log against.
    """

    class Reason(models.TextChoices):
        HANDOVER = "releve", _("Relève")
        MANUAL = "demande", _("À la demande")

    crisis = models.ForeignKey(Crisis, on_delete=models.PROTECT, related_name="anchors")
    at = models.DateTimeField(_("le"))
    length = models.PositiveIntegerField(_("entrées"))
    head_hash = models.CharField(max_length=64)
    reason = models.CharField(_("motif"), max_length=20, choices=Reason.choices)
    by = models.CharField(_("par"), max_length=150)
    mailed_to = models.JSONField(_("envoyée à"), default=list, blank=True)
    tsa_url = models.CharField(max_length=500, blank=True)
    tsa_token = models.BinaryField(null=True, blank=True)
    tsa_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["crisis", "at"]
        verbose_name = _("ancrage de la tête de chaîne")

    def __str__(self) -> str:
        return self.value

    @property
    def value(self) -> str:
        return f"{self.head_hash}@{self.length}"


def _iso(value) -> str:
    from datetime import UTC

    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chain_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


def format_head(value: str) -> str:
    """The first 16 hex digits in groups of four, to be read out at a briefing."""
    return " ".join(value[i : i + 4] for i in range(0, 16, 4))
