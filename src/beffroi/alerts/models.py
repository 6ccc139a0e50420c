"""Alerts: an incident (``Alert``) is a chain of CAP messages (``AlertVersion``: Alert, Update, Cancel).

Deliveries go through a transactional outbox (``Delivery``): one row per (version, channel,
recipient), written in the same transaction as the publication, with a unique idempotency key.
Subscribers of the public site are ``Subscriber`` rows (consent and its date kept).
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Alert(models.Model):
    """One incident: every CAP message about it shares this row (and its CAP ``incidents`` value)."""

    class Status(models.TextChoices):
        ACTUAL = "Actual", _("Réelle")
        EXERCISE = "Exercise", _("Exercice")
        TEST = "Test", _("Test")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    commune = models.CharField(_("commune"), max_length=5)
    hazard = models.CharField(_("aléa"), max_length=40)
    status = models.CharField(_("statut CAP"), max_length=10, choices=Status.choices, default=Status.ACTUAL)
    crisis_id = models.PositiveIntegerField(_("crise"), null=True, blank=True)
    source = models.CharField(_("origine"), max_length=40, blank=True)
    cancelled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("alerte")
        permissions = [
            ("approve_alert", "Approve a real alert (second person)"),
            ("publish_alert", "Publish an approved alert"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.hazard}"

    def communes(self) -> list[str]:
        """INSEE codes of the incident: its main commune and those of its first message's area."""
        first = self.versions.order_by("number").first()
        codes = list((first.area or {}).get("communes") or []) if first else []
        return sorted({self.commune, *codes})

    @property
    def is_exercise(self) -> bool:
        return self.status != self.Status.ACTUAL

    @property
    def incident_id(self) -> str:
        return f"beffroi-{self.uid}"

    def latest(self) -> AlertVersion | None:
        return self.versions.order_by("-number").first()

    def published_versions(self):
        return self.versions.filter(state=AlertVersion.State.PUBLISHED).order_by("number")


class AlertVersion(models.Model):
    """One CAP message of an incident. Immutable once published: a correction is a new Update."""

    class MsgType(models.TextChoices):
        ALERT = "Alert", _("Alerte")
        UPDATE = "Update", _("Mise à jour")
        CANCEL = "Cancel", _("Fin d'alerte")

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("En attente d'approbation")
        APPROVED = "approved", _("Approuvée")
        PUBLISHED = "published", _("Publiée")
        REJECTED = "rejected", _("Refusée")

    # CAP values are stored and written in the XML as CAP says; the interface shows the labels.
    SEVERITY_CHOICES = [
        ("Extreme", _("Extrême (danger exceptionnel pour la vie ou les biens)")),
        ("Severe", _("Sévère (danger important)")),
        ("Moderate", _("Modérée (danger possible)")),
        ("Minor", _("Mineure (danger faible ou nul)")),
        ("Unknown", _("Inconnue")),
    ]
    URGENCY_CHOICES = [
        ("Immediate", _("Immédiate (agir tout de suite)")),
        ("Expected", _("Attendue (agir dans l'heure)")),
        ("Future", _("À venir (agir bientôt)")),
        ("Past", _("Passée (plus d'action nécessaire)")),
        ("Unknown", _("Inconnue")),
    ]
    CERTAINTY_CHOICES = [
        ("Observed", _("Observée (en cours)")),
        ("Likely", _("Probable (plus d'une chance sur deux)")),
        ("Possible", _("Possible (moins d'une chance sur deux)")),
        ("Unlikely", _("Peu probable")),
        ("Unknown", _("Inconnue")),
    ]
    SEVERITIES = [value for value, _label in SEVERITY_CHOICES]
    URGENCIES = [value for value, _label in URGENCY_CHOICES]
    CERTAINTIES = [value for value, _label in CERTAINTY_CHOICES]

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    msg_type = models.CharField(max_length=10, choices=MsgType.choices, default=MsgType.ALERT)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    identifier = models.CharField(max_length=120, unique=True, null=True, blank=True)
    severity = models.CharField(max_length=10, choices=SEVERITY_CHOICES, default="Moderate")
    urgency = models.CharField(max_length=10, choices=URGENCY_CHOICES, default="Expected")
    certainty = models.CharField(max_length=10, choices=CERTAINTY_CHOICES, default="Likely")
    # {"fr": {"headline", "description", "instruction"}, "en": {...}, "falc": {...}}
    texts = models.JSONField(default=dict)
    area = models.JSONField(default=dict)
    onset = models.DateTimeField()
    expires = models.DateTimeField()
    web = models.URLField(blank=True)
    contact = models.CharField(max_length=200, blank=True)
    # Exercise/Test alerts go only to these addresses (e-mail or phone), never to citizens.
    test_recipients = models.JSONField(default=list, blank=True)
    # Staff roles (maire, cellule_crise…) of the commune who get the message by e-mail as well.
    groups = models.JSONField(default=list, blank=True)
    composed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    composed_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_digest = models.CharField(max_length=64, blank=True)
    sent = models.DateTimeField(null=True, blank=True)
    xml = models.TextField(blank=True)
    signed = models.BooleanField(default=False)
    # Who an Update or Cancel was queued for, counted at publication (the two parts of its reach):
    # {"in_area": subscribed now in the area, "earlier": got an earlier message, "both": …}.
    reach_parts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["alert", "number"]
        constraints = [models.UniqueConstraint(fields=["alert", "number"], name="alerts_version_number")]

    def __str__(self) -> str:
        return self.identifier or f"{self.alert_id}#{self.number}"

    def text(self, lang: str = "fr") -> dict[str, str]:
        return self.texts.get(lang) or {}

    @property
    def languages(self) -> list[str]:
        from beffroi.alerts.hazards import LANGUAGES

        # Fixed order (fr, en, FALC): PostgreSQL's jsonb does not keep the keys' order.
        order = LANGUAGES + sorted(set(self.texts) - set(LANGUAGES))
        return [lang for lang in order if (self.texts.get(lang) or {}).get("headline")]

    def digest(self) -> str:
        """What the composer and the approver saw: a hash of everything that goes out."""
        import json

        payload = json.dumps(
            {
                k: getattr(self, k)
                for k in (
                    "msg_type",
                    "severity",
                    "urgency",
                    "certainty",
                    "texts",
                    "area",
                    "web",
                    "contact",
                    "test_recipients",
                    "groups",
                )
            }
            | {"onset": self.onset.isoformat(), "expires": self.expires.isoformat()},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


class Subscriber(models.Model):
    """A citizen (or partner webhook) who asked to receive alerts; double opt-in."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        WEBPUSH = "webpush", _("Notification web")
        WEBHOOK = "webhook", _("Webhook partenaire")

    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=500)  # e-mail, E.164 phone, webhook URL, push endpoint
    push_keys = models.JSONField(default=dict, blank=True)  # webpush: {"p256dh", "auth"}; webhook: {"secret"}
    language = models.CharField(max_length=5, default="fr")
    topics = models.JSONField(default=list, blank=True)  # hazards; empty = all
    commune = models.CharField(max_length=5, blank=True)
    # [[lon, lat, label], ...] of the subscriber's addresses, matched locally (no third-party geocoder)
    points = models.JSONField(default=list, blank=True)
    lon = models.FloatField(null=True, blank=True)  # first point, indexed for targeting
    lat = models.FloatField(null=True, blank=True)
    extra_points = models.BooleanField(default=False)  # more than one address: test every point
    token = models.CharField(max_length=64, unique=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A requested change (language, topics, commune, points, push keys) kept apart until the owner
    # confirms it through the channel; the settings above stay in force until then.
    pending = models.JSONField(default=dict, blank=True)
    pending_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["confirmed_at", "unsubscribed_at", "commune"]),
            models.Index(fields=["lon", "lat"]),
            models.Index(fields=["extra_points"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="alerts_subscriber_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.pk}"

    @property
    def active(self) -> bool:
        return bool(self.confirmed_at) and not self.unsubscribed_at


class StaffMessage(models.Model):
    """A message to on-call staff (threshold page, staff notification), sent through the outbox."""

    subject = models.CharField(max_length=200)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.subject


class Delivery(models.Model):
    """Outbox row: one message (an alert version, or a staff message) to one recipient on one channel."""

    class State(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENDING = "sending", _("En cours")
        DELIVERED = "delivered", _("Remis")
        FAILED = "failed", _("Échec")

    version = models.ForeignKey(
        AlertVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    staff_message = models.ForeignKey(
        StaffMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=10)
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.CharField(max_length=500)
    language = models.CharField(max_length=5, default="fr")
    idempotency_key = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=40, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "next_attempt_at"]), models.Index(fields=["claimed_by"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(version__isnull=False, staff_message__isnull=True)
                | models.Q(version__isnull=True, staff_message__isnull=False),
                name="alerts_delivery_one_message",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.idempotency_key[:12]}"

    @staticmethod
    def key_for(version_id: int, channel: str, recipient: str) -> str:
        return hashlib.sha256(f"{version_id}|{channel}|{recipient}".encode()).hexdigest()

    @staticmethod
    def staff_key_for(message_id: int, channel: str, recipient: str) -> str:
        return hashlib.sha256(f"staff|{message_id}|{channel}|{recipient}".encode()).hexdigest()


class HazardTemplate(models.Model):
    """A commune's own wording for a hazard (overrides the built-in template)."""

    commune = models.CharField(max_length=5)
    hazard = models.CharField(max_length=40)
    texts = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commune", "hazard"], name="alerts_template_unique")]

    def __str__(self) -> str:
        return f"{self.commune} {self.hazard}"
