"""Indicators, their time series, threshold levels, current state and the proposals they raise."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Hazard(models.TextChoices):
    FLOOD = "inondation", _("Inondation")
    HEAT = "canicule", _("Canicule")
    AIR = "pollution", _("Pollution de l'air")
    STORM = "tempete", _("Tempête")
    HEALTH = "sanitaire", _("Sanitaire")
    OTHER = "autre", _("Autre")


class Indicator(models.Model):
    """A watched quantity: one time series from one source, for one commune."""

    class Direction(models.TextChoices):
        ABOVE = "above", _("Plus haut = plus grave")
        BELOW = "below", _("Plus bas = plus grave")

    key = models.SlugField(max_length=80, unique=True)
    label = models.CharField(_("libellé"), max_length=200)
    unit = models.CharField(_("unité"), max_length=20)
    source = models.CharField(
        _("source"), max_length=200, help_text=_("Producteur de la donnée, affiché à côté de la valeur.")
    )
    series = models.CharField(
        _("série"),
        max_length=120,
        unique=True,
        help_text=_("Clé de série des observations, ex. hubeau:F664000104:H"),
    )
    commune = models.CharField(_("commune (INSEE)"), max_length=5, db_index=True)
    hazard = models.CharField(_("aléa"), max_length=20, choices=Hazard.choices, default=Hazard.OTHER)
    public = models.BooleanField(_("public"), default=False, help_text=_("Publié sur le site citoyen."))
    direction = models.CharField(max_length=5, choices=Direction.choices, default=Direction.ABOVE)
    stale_after = models.DurationField(_("retard toléré"), default=timedelta(hours=2))
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    description = models.TextField(blank=True)
    source_url = models.URLField(blank=True)
    zones_dataset = models.CharField(
        _("zones par hauteur"),
        max_length=120,
        blank=True,
        help_text=_("Jeu de zones par niveau (app croisements) lié à cette station, ex. flood-zones-marne."),
    )
    forecast_series = models.CharField(
        _("série de prévision"),
        max_length=120,
        blank=True,
        db_index=True,
        help_text=_(
            "Série dont les prévisions valent pour cet indicateur, ex. vigicrues:F664000104:H "
            "pour une station suivie par Hub'Eau."
        ),
    )
    demo = models.BooleanField(_("données de démonstration"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["commune", "label"]
        permissions = [("manage_indicator", "Can manage indicators and thresholds")]

    def __str__(self) -> str:
        return f"{self.label} ({self.commune})"

    @property
    def sign(self) -> int:
        return 1 if self.direction == self.Direction.ABOVE else -1


class Observation(models.Model):
    class Kind(models.TextChoices):
        OBSERVATION = "observation", _("Observation")
        FORECAST = "forecast", _("Prévision")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="observations")
    at = models.DateTimeField()
    value = models.FloatField()
    kind = models.CharField(max_length=11, choices=Kind.choices, default=Kind.OBSERVATION)
    source = models.CharField(max_length=120, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    # A forecast's band (where the source publishes one) and when it was issued.
    low = models.FloatField(null=True, blank=True)
    high = models.FloatField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "kind", "at"], name="monitoring_obs_unique")
        ]
        indexes = [models.Index(fields=["indicator", "kind", "-at"], name="monitoring_obs_latest")]

    def __str__(self) -> str:
        return f"{self.indicator.key} {self.at:%Y-%m-%d %H:%M} {self.value}"


class Threshold(models.Model):
    """Entering ``level`` needs value >= ``value`` during ``min_duration``; leaving it needs the value
    to fall below ``value - hysteresis`` (for ``direction=below`` indicators, the mirror image)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="thresholds")
    level = models.PositiveSmallIntegerField(
        _("rang"), help_text=_("1 = premier niveau au-dessus de la normale")
    )
    name = models.SlugField(max_length=30)
    label = models.CharField(max_length=60)
    colour = models.CharField(max_length=7, default="#f2c200")
    value = models.FloatField(_("seuil"))
    hysteresis = models.FloatField(default=0)
    min_duration = models.DurationField(default=timedelta(0))

    class Meta:
        ordering = ["indicator", "level"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "level"], name="monitoring_threshold_level")
        ]

    def __str__(self) -> str:
        return f"{self.indicator.key} ≥ {self.value} → {self.label}"

    def as_dict(self) -> dict:
        """JSON-ready, as the dashboard, the public pages and the level editor use it."""
        return {
            "level": self.level,
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "colour": self.colour,
            "hysteresis": self.hysteresis,
            "min_minutes": int(self.min_duration.total_seconds() // 60),
        }


class IndicatorState(models.Model):
    """Where an indicator stands now. Level 0 is normal; ``candidate_*`` holds a change waiting for
    its minimum duration."""

    indicator = models.OneToOneField(Indicator, on_delete=models.CASCADE, related_name="state")
    level = models.PositiveSmallIntegerField(default=0)
    since = models.DateTimeField(null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)
    candidate_level = models.PositiveSmallIntegerField(null=True, blank=True)
    candidate_since = models.DateTimeField(null=True, blank=True)
    stale = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.indicator_id}: level {self.level}"

    def is_stale(self, now=None) -> bool:
        if self.last_at is None:
            return True
        now = now or timezone.now()
        return now - self.last_at > self.indicator.stale_after


class LevelChange(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="level_changes")
    at = models.DateTimeField()
    from_level = models.PositiveSmallIntegerField()
    to_level = models.PositiveSmallIntegerField()
    value = models.FloatField()

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.from_level} → {self.to_level} at {self.at:%Y-%m-%d %H:%M}"


class Proposal(models.Model):
    """An action the plan suggests when a level is crossed; a human accepts or dismisses it."""

    class Action(models.TextChoices):
        OPEN_CRISIS = "open_crisis", _("Ouvrir une crise")
        ESCALATE_CRISIS = "escalate_crisis", _("Relever le niveau de la crise")
        REFLEX_SHEET = "reflex_sheet", _("Déclencher une fiche réflexe")
        LOG_ENTRY = "log_entry", _("Inscrire à la main courante")
        CITIZEN_MESSAGE = "citizen_message", _("Préparer un message aux habitants")

    class Status(models.TextChoices):
        PENDING = "pending", _("À décider")
        ACCEPTED = "accepted", _("Acceptée")
        DISMISSED = "dismissed", _("Écartée")
        SUPERSEDED = "superseded", _("Dépassée")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="proposals")
    commune = models.CharField(max_length=5, db_index=True)
    hazard = models.CharField(max_length=20, choices=Hazard.choices)
    level = models.PositiveSmallIntegerField()
    level_label = models.CharField(max_length=60)
    action = models.CharField(max_length=20, choices=Action.choices)
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("decide_proposal", "Can accept or dismiss proposals")]

    def __str__(self) -> str:
        return self.title
