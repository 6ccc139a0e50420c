"""Exercise pages: start a shipped scenario from the UI; the crisis page ticks its clock."""

from __future__ import annotations

import math
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beffroi.core.errors import Problem, UserError
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


def _scenario_path(value: str) -> Path:
    """One of the shipped scenarios, named by its file (never a path elsewhere)."""
    name = Path(value).name
    path = scenarios_dir() / name
    if not name or not name.endswith(".yaml") or not path.is_file():
        raise UserError(
            _("Scénario : choisissez un des scénarios de la liste (reçu « %(name)s »).")
            % {"name": name[:60]},
            [Problem(_("scénario inconnu"), field="scenario")],
        )
    return path


def _speed(value: str) -> float:
    try:
        speed = float(value or 1)
    except ValueError:
        speed = 0.0
    if not math.isfinite(speed) or not 0 < speed <= 3600:
        raise UserError(
            _("Vitesse : un nombre entre 0 et 3600 (reçu « %(value)s »).") % {"value": value[:20]},
            [Problem(_("nombre attendu"), field="speed")],
        )
    return speed


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    require(request.user, "crisis.run_exercise")
    try:
        path = _scenario_path(request.POST.get("scenario", ""))
        speed = _speed(request.POST.get("speed", ""))
        data = scenario.load(path)
        run = exercise.do_start_exercise(data, speed=speed, actor=request.user)
    except UserError as exc:
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
