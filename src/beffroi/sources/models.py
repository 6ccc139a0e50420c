"""The dataset catalogue: datasets (Parquet files with provenance), live sources and their runs."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Freshness(models.TextChoices):
    FRESH = "fresh", _("à jour")
    LATE = "late", _("en retard")
    STALE = "stale", _("périmé")
    FAILING = "failing", _("en échec")


def freshness_for(last_success, period: timedelta | None, failing: bool, now=None) -> str:
    """fresh within 2 periods, late within 6, stale beyond (or never run); failing wins."""
    if failing:
        return Freshness.FAILING
    if period is None:
        return Freshness.FRESH if last_success else Freshness.STALE
    if last_success is None:
        return Freshness.STALE
    age = (now or timezone.now()) - last_success
    if age <= 2 * period:
        return Freshness.FRESH
    if age <= 6 * period:
        return Freshness.LATE
    return Freshness.STALE


class Source(models.Model):
    """A configured connector (Hub'Eau station, Vigicrues territory, ODS dataset, ...)."""

    name = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200, blank=True)
    config = models.JSONField(default=dict, blank=True)
    period_seconds = models.PositiveIntegerField(default=3600)
    enabled = models.BooleanField(default=True)
    licence = models.CharField(max_length=120, blank=True)
    origin = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        permissions = [("manage_sources", "Can add, configure and run public sources")]

    def __str__(self) -> str:
        return self.name

    @property
    def period(self) -> timedelta:
        return timedelta(seconds=self.period_seconds)

    @property
    def freshness(self) -> str:
        return freshness_for(self.last_success_at, self.period, self.consecutive_failures > 0)


class Dataset(models.Model):
    """A table stored as Parquet under settings.DATASETS_DIR, with its provenance."""

    name = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    origin = models.CharField(max_length=500, blank=True, help_text="URL or file name it came from")
    licence = models.CharField(max_length=120, blank=True)
    synthetic = models.BooleanField(default=False)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="datasets"
    )
    parquet_file = models.CharField(max_length=300, help_text="path relative to DATASETS_DIR")
    geometry_column = models.CharField(max_length=80, blank=True)
    row_count = models.PositiveBigIntegerField(default=0)
    columns = models.JSONField(default=list, blank=True, help_text="[{name, type}]")
    raw_sha256 = models.CharField(max_length=64, blank=True)
    expected_period_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Which communes the rows concern, and how rows are cut for a user of some of them
    # (sources/scoping.py); territory-wide datasets are shown whole (an administrator's decision).
    communes = models.JSONField(default=list, blank=True)
    commune_column = models.CharField(max_length=80, blank=True)
    territory_wide = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("import_dataset", "Can import files into the dataset catalogue"),
            ("mark_territory_wide", "Can show a dataset whole to every commune"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def freshness(self) -> str:
        if self.source is not None:
            return self.source.freshness
        period = timedelta(seconds=self.expected_period_seconds) if self.expected_period_seconds else None
        return freshness_for(self.updated_at, period, False)


class Run(models.Model):
    """One execution of a source: what it fetched, what it stored, what went wrong."""

    class Status(models.TextChoices):
        RUNNING = "running", _("en cours")
        OK = "ok", _("réussi")
        FAILED = "failed", _("échoué")
        DRY_RUN = "dry_run", _("essai à blanc")

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    rows = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    report = models.JSONField(default=dict, blank=True)
    payloads = models.JSONField(default=list, blank=True, help_text="sha256 of raw payloads fetched")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["source", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.source.name} {self.started_at:%Y-%m-%d %H:%M} {self.status}"
