"""Outreach during a crisis: a campaign splits the registry among callers; failed calls become visits."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Hazard(models.TextChoices):
    HEATWAVE = "canicule", _("Canicule")
    COLD = "grand_froid", _("Grand froid")
    FLOOD = "inondation", _("Inondation")
    EPIDEMIC = "epidemie", _("Épidémie")
    POWER = "coupure", _("Coupure d'électricité ou d'eau")
    OTHER = "autre", _("Autre")


class Campaign(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("En cours")
        CLOSED = "closed", _("Terminée")

    commune_code = models.CharField(max_length=5, db_index=True)
    hazard = models.CharField(_("aléa"), max_length=16, choices=Hazard.choices)
    title = models.CharField(_("intitulé"), max_length=200)  # never a person's name
    crisis_id = models.CharField(max_length=40, blank=True)
    area = models.JSONField(null=True, blank=True)  # GeoJSON geometry of the hazard zone, if any
    # Where the area comes from: drawn on the map, or an alert of the commune (its number kept).
    alert_id = models.PositiveIntegerField(_("alerte"), null=True, blank=True)
    area_label = models.CharField(_("zone"), max_length=200, blank=True)  # never a person's name
    recall_delay_minutes = models.PositiveIntegerField(_("délai avant rappel (minutes)"), default=60)
    max_failed_calls = models.PositiveIntegerField(_("appels sans réponse avant visite"), default=3)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campagne d'appels")

    def __str__(self) -> str:
        return self.title


class Outcome(models.TextChoices):
    REACHED_OK = "ok", _("Joint, tout va bien")
    NEEDS_HELP = "help", _("Joint, a besoin d'aide")
    NO_ANSWER = "no_answer", _("Pas de réponse")
    WRONG_NUMBER = "wrong_number", _("Faux numéro")


class CallAssignment(models.Model):
    class Status(models.TextChoices):
        TO_CALL = "to_call", _("À appeler")
        REACHED = "reached", _("Joint")
        ESCALATED = "escalated", _("Visite demandée")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    caller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveIntegerField()
    priority = models.IntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TO_CALL)
    attempts = models.PositiveIntegerField(default=0)
    failed_attempts = models.PositiveIntegerField(default=0)
    last_outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    next_call_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="one_assignment_per_person")
        ]

    def __str__(self) -> str:
        return f"appel {self.pk} ({self.status})"


class CallAttempt(models.Model):
    assignment = models.ForeignKey(CallAssignment, on_delete=models.CASCADE, related_name="attempt_set")
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    # The caller's note, encrypted like the record (it may say how the person is): key id + token.
    note_key_id = models.CharField(max_length=8, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"tentative {self.pk} ({self.outcome})"


class Visit(models.Model):
    class Status(models.TextChoices):
        TO_VISIT = "to_visit", _("À visiter")
        DONE = "done", _("Visité")
        ABSENT = "absent", _("Absent")
        REFUSED = "refused", _("Visite refusée")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="visits")
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=16, choices=Outcome.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TO_VISIT)
    route = models.ForeignKey(
        "registry.VisitRoute", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    route_order = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)  # when the outcome (done, absent, refused) was set
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The team's note, encrypted like the record: key id + token.
    note_key_id = models.CharField(max_length=8, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "person"], name="one_visit_per_person")]

    def __str__(self) -> str:
        return f"visite {self.pk} ({self.status})"


class VisitRoute(models.Model):
    """One team's ordered round, computed by VROOM on straight-line distances."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="routes")
    plan = models.CharField(max_length=16, db_index=True)  # groups the routes computed together
    team = models.PositiveIntegerField()
    distance_m = models.PositiveIntegerField(default=0)
    duration_s = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "team"]

    def __str__(self) -> str:
        return f"tournée {self.plan} équipe {self.team}"
