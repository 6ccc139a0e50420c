"""Tasks of the cell and reflex sheets (fiches réflexes) that create them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from beffroi.core.timeutil import utcnow
from beffroi.crisis.models.crisis import LEVELS, Crisis, Hazard, Staffing


class ReflexSheet(models.Model):
    """A fiche réflexe: what to do, per hazard and level, editable by the commune."""

    commune = models.CharField(_("commune (vide : tout le territoire)"), max_length=5, blank=True)
    hazard = models.CharField(_("aléa"), max_length=30, choices=Hazard.choices)
    level = models.PositiveSmallIntegerField(_("niveau"), choices=list(LEVELS.items()))
    title = models.CharField(_("intitulé"), max_length=200)
    objective = models.TextField(_("objectif"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("mise à jour"))
    updated_by = models.CharField(_("mise à jour par"), max_length=150, blank=True)

    class Meta:
        ordering = ["hazard", "level", "title"]
        verbose_name = _("fiche réflexe")

    def __str__(self) -> str:
        return self.title


class ReflexItem(models.Model):
    sheet = models.ForeignKey(ReflexSheet, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("action"), max_length=300)
    cell = models.CharField(_("cellule responsable"), max_length=100, blank=True)
    within_minutes = models.PositiveIntegerField(_("délai (minutes)"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priorité"), default=2)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class ReflexRun(models.Model):
    crisis = models.ForeignKey(Crisis, on_delete=models.PROTECT, related_name="reflex_runs")
    sheet = models.ForeignKey(ReflexSheet, null=True, on_delete=models.SET_NULL, related_name="runs")
    sheet_title = models.CharField(max_length=200)
    sheet_version = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField()
    started_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return self.sheet_title


class Task(models.Model):
    class Priority(models.IntegerChoices):
        HIGH = 1, _("Haute")
        NORMAL = 2, _("Normale")
        LOW = 3, _("Basse")

    class Status(models.TextChoices):
        TODO = "todo", _("À faire")
        DOING = "doing", _("En cours")
        DONE = "done", _("Faite")
        CANCELLED = "cancelled", _("Annulée")

    crisis = models.ForeignKey(Crisis, on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(_("tâche"), max_length=300)
    details = models.TextField(_("détails"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("attribuée à"),
    )
    # A task reaches people: an account (``assignee``), or the PCC cell whose members staffing it
    # in this crisis are told; ``assignee_label`` is the free-text owner (another service) or the
    # name shown.
    cell = models.CharField(
        _("cellule du PCC"), max_length=30, choices=Staffing.Cell.choices, blank=True, default=""
    )
    assignee_label = models.CharField(_("service / personne"), max_length=150, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priorité"), choices=Priority.choices, default=Priority.NORMAL
    )
    deadline = models.DateTimeField(_("échéance"), null=True, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.TODO)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)
    done_at = models.DateTimeField(null=True, blank=True)
    source_entry = models.ForeignKey(
        "crisis.LogEntry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("entrée d'origine"),
    )
    reflex_run = models.ForeignKey(
        ReflexRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )

    class Meta:
        ordering = ["status", "priority", "deadline", "id"]
        verbose_name = _("tâche")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.TODO, self.Status.DOING)

    def is_overdue(self, now=None) -> bool:
        """Overdue: its due time has passed and it is neither done nor cancelled (read time, no job)."""
        return self.is_open and self.deadline is not None and self.deadline < (now or utcnow())

    @property
    def overdue(self) -> bool:
        return self.is_overdue()

    @property
    def owner_label(self) -> str:
        """Who it is for, as shown: « Name (cell) », the account, the cell, or the free text."""
        person = ""
        if self.assignee_id is not None and self.assignee is not None:
            person = self.assignee.get_full_name().strip() or self.assignee.get_username()
        cell = self.get_cell_display() if self.cell else ""
        if person and cell:
            return f"{person} ({cell})"
        return person or cell or self.assignee_label

    def delay(self):
        """How late the task was (or is) against its deadline; None without a deadline."""
        if self.deadline is None:
            return None

        end = self.done_at or utcnow()
        return end - self.deadline
