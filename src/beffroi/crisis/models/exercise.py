"""An exercise run: a scenario replayed on a compressed clock against a crisis marked EXERCICE."""

from __future__ import annotations

from django.db import models


class ExerciseRun(models.Model):
    crisis = models.OneToOneField("crisis.Crisis", on_delete=models.PROTECT, related_name="exercise_run")
    scenario_name = models.CharField(max_length=200)
    scenario_sha256 = models.CharField(max_length=64)
    scenario = models.JSONField()  # the validated scenario, so a run replays what was started
    speed = models.FloatField(default=1.0)
    scenario_start = models.DateTimeField()  # scenario time of offset 0
    started_at = models.DateTimeField()  # real (wall-clock) start
    applied = models.PositiveIntegerField(default=0)  # injects applied so far, in order
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.scenario_name} ×{self.speed:g}"
