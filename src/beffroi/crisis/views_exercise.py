"""Exercise pages: start a shipped scenario from the UI; the crisis page ticks its clock."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from beffroi.core.errors import UserError
from beffroi.core.permissions import has_perm, require
from beffroi.crisis import exercise, scenario, selectors
from beffroi.crisis.models import ExerciseRun


def scenarios_dir() -> Path:
    return Path(settings.BASE_DIR) / "scenarios"


def _scenarios() -> list[dict]:
    found = []
    for path in sorted(scenarios_dir().glob("*.yaml")):
        try:
            data = scenario.load(path)
            found.append(
                {
                    "file": path.name,
                    "name": data["name"],
                    "hazard": data["hazard"],
                    "communes": data["communes"],
                    "injects": len(data["injects"]),
                    "error": "",
                }
            )
        except UserError as exc:
            found.append({"file": path.name, "name": path.stem, "error": str(exc)})
    return found


def exercises(request: HttpRequest) -> HttpResponse:
    require(request.user, "crisis.view_crisis")
    all_runs = ExerciseRun.objects.select_related("crisis").order_by("-started_at")
    runs = [r for r in all_runs if selectors.can_see(request.user, r.crisis)][:30]
    return render(
        request,
        "crisis/exercises.html",
        {
            "scenarios": _scenarios(),
            "runs": runs,
            "can_run": has_perm(request.user, "crisis.run_exercise"),
        },
    )


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    require(request.user, "crisis.run_exercise")
    name = Path(request.POST.get("scenario", "")).name
    path = scenarios_dir() / name
    try:
        speed = float(request.POST.get("speed") or 1)
        data = scenario.load(path)
        run = exercise.do_start_exercise(data, speed=speed, actor=request.user)
    except (UserError, ValueError) as exc:
        messages.error(request, str(exc))
        return redirect("crisis:exercises")
    exercise.apply_due(run)
    return redirect("crisis:detail", pk=run.crisis.pk)


@require_POST
def tick(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    require(request.user, "crisis.add_logentry")
    run = ExerciseRun.objects.filter(crisis=crisis).first()
    if run is None:
        return HttpResponse(status=204)
    played = len(exercise.apply_due(run))
    run.refresh_from_db()
    crisis.refresh_from_db()
    can = {"write": crisis.is_open}
    response = render(
        request, "crisis/_exercise_panel.html", {"exercise_run": run, "crisis": crisis, "can": can}
    )
    response["X-Injects-Applied"] = str(played)
    if played:
        response["HX-Trigger"] = "journal-changed"
    return response
