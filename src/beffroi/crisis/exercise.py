"""Exercise mode: a scenario replayed on a compressed clock against a crisis marked EXERCICE.

The scenario clock runs ``speed`` times faster than the wall clock. An inject is due when the
scenario time elapsed since the start reaches its offset; it is then applied once, in order.
Everything it produces carries the scenario time (``scenario_at = scenario start + offset``), so
the same scenario gives the same main courante at any speed, next to the real time the entry was
written (``occurred_at``/``recorded_at``), never in the future even on a compressed clock.
Observations go to the monitoring app under an ``exercice:`` series, never to real series;
nothing reaches citizens.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor, SystemActor
from beffroi.core.audit import record
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import require
from beffroi.core.timeutil import utcnow
from beffroi.crisis import actions
from beffroi.crisis.models import Crisis, ExerciseRun
from beffroi.crisis.scenario import Inject, as_inject
from beffroi.monitoring.actions import do_ingest_points
from beffroi.territory.selectors import territory_codes

EXERCISE_SERIES_PREFIX = "exercice:"


def do_start_exercise(
    scenario: dict[str, Any], *, speed: float, actor: Actor, now: datetime | None = None
) -> ExerciseRun:
    """Open the EXERCICE crisis of a validated scenario and start its clock."""
    for code in scenario["communes"]:
        require(actor, "crisis.run_exercise", commune=code, system=("cli",))
    if not speed or speed <= 0 or speed > 3600:
        raise UserError(
            _("La vitesse est un facteur positif, au plus 3600."),
            [Problem(_("vitesse invalide"), field="speed")],
        )
    now = now or utcnow()
    start = datetime.fromisoformat(scenario["start"]) if scenario.get("start") else now
    with transaction.atomic():
        crisis = actions.do_open_crisis(
            hazard=scenario["hazard"],
            communes=scenario["communes"],
            level=scenario["level"],
            exercise=True,
            title=f"Exercice : {scenario['name']}",
            actor=actor,
        )
        run = ExerciseRun.objects.create(
            crisis=crisis,
            scenario_name=scenario["name"],
            scenario_sha256=scenario.get("sha256", ""),
            scenario=scenario,
            speed=speed,
            scenario_start=start,
            started_at=now,
        )
        record(
            actor,
            "crisis.exercise.start",
            run,
            commune=scenario["communes"][0],
            detail={"scenario": scenario["name"], "speed": speed, "sha256": scenario.get("sha256", "")},
        )
    return run


def scenario_elapsed(run: ExerciseRun, now: datetime) -> timedelta:
    return (now - run.started_at) * run.speed


def due_at(run: ExerciseRun, offset_seconds: int) -> datetime:
    """Wall-clock time at which an inject of this scenario offset becomes due."""
    return run.started_at + timedelta(seconds=offset_seconds / run.speed)


def next_due_at(run: ExerciseRun) -> datetime | None:
    """Wall-clock time at which the next inject becomes due (None when all are played)."""
    injects = run.scenario["injects"]
    if run.applied >= len(injects):
        return None
    return due_at(run, injects[run.applied]["offset_seconds"])


def apply_due(run: ExerciseRun, *, now: datetime | None = None) -> list[Inject]:
    """Apply, in order, every inject due at ``now``; idempotent (each inject is applied once)."""
    now = now or utcnow()
    applied: list[Inject] = []
    while True:
        with transaction.atomic():
            run = ExerciseRun.objects.select_for_update().select_related("crisis").get(pk=run.pk)
            injects = run.scenario["injects"]
            if run.applied >= len(injects) or not run.crisis.is_open:
                if run.finished_at is None and run.applied >= len(injects):
                    run.finished_at = now
                    run.save(update_fields=["finished_at"])
                return applied
            inject = as_inject(injects[run.applied])
            if due_at(run, injects[run.applied]["offset_seconds"]) > now:
                return applied
            _apply(run, inject)
            run.applied += 1
            run.save(update_fields=["applied"])
            applied.append(inject)


def injector(run: ExerciseRun) -> SystemActor:
    """The system actor playing a run's injects, named after the run (``exercise 12``)."""
    return SystemActor(f"exercise {run.pk}")


def _apply(run: ExerciseRun, inject: Inject) -> None:
    crisis: Crisis = run.crisis
    at = run.scenario_start + inject.offset
    if inject.kind == "level":
        actions.do_escalate(
            crisis,
            level=inject.level,
            reason=f"[inject] {inject.text}",
            actor=injector(run),
            scenario_at=at,
            source=inject.source,
        )
        return
    text = inject.text
    if inject.kind == "observation":
        _ingest(run, inject, at)
        text = f"Observation {inject.series} : {inject.value:g} {inject.unit}" + (f". {text}" if text else "")
    actions.do_append_entry(
        crisis,
        text=f"[inject] {text}",
        category=inject.category,
        source=inject.source,
        actor=injector(run),
        scenario_at=at,
        location_label=inject.location,
    )


def _ingest(run: ExerciseRun, inject: Inject, at: datetime) -> None:
    do_ingest_points(
        [
            {
                "series": EXERCISE_SERIES_PREFIX + inject.series,
                "at": at,
                "value": float(inject.value or 0.0),
                "unit": inject.unit,
                "kind": "observation",
            }
        ],
        source=f"exercice:{run.scenario_name}",
        actor=injector(run),
    )


def run_blocking(
    run: ExerciseRun,
    *,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    on_inject: Callable[[Inject], None] | None = None,
) -> ExerciseRun:
    """Play a run to its end, sleeping until each inject is due (clock and sleep are injectable)."""
    while True:
        for inject in apply_due(run, now=clock()):
            if on_inject:
                on_inject(inject)
        run.refresh_from_db()
        due = next_due_at(run)
        if due is None or not run.crisis.is_open:
            return run
        wait = (due - clock()).total_seconds()
        if wait > 0:
            sleep(min(wait, 30.0))


def run_from_cli(path: str, *, speed: float, check_only: bool) -> int:
    from rich.progress import Progress

    from beffroi.crisis.scenario import load
    from beffroi.crisis.selectors import chain_head

    scenario = load(path)
    missing = [c for c in scenario["communes"] if c not in territory_codes()]
    if missing:
        raise UserError(
            _("%(path)s : commune(s) %(missing)s hors du territoire (beffroi territory add).")
            % {"path": path, "missing": ", ".join(missing)},
            [Problem(_("hors du territoire"), file=path, field="communes")],
        )
    last = scenario["injects"][-1]["offset_seconds"]
    print(
        f"Scenario {scenario['name']!r}: {len(scenario['injects'])} injects over "
        f"{timedelta(seconds=last)} of scenario time; at speed ×{speed:g} about "
        f"{timedelta(seconds=round(last / speed))} of real time."
    )
    if check_only:
        print("Scenario valid.")
        return 0
    run = do_start_exercise(scenario, speed=speed, actor=SystemActor("cli"))
    print(f"EXERCICE crisis {run.crisis.pk} opened.")
    with Progress() as progress:
        bar = progress.add_task("Injects", total=len(scenario["injects"]))

        def show(inject: Inject) -> None:
            progress.console.print(f"+{inject.offset} {inject.kind}: {inject.text[:80]}")
            progress.advance(bar)

        run_blocking(run, on_inject=show)
    head = chain_head(run.crisis)
    print(f"Done: {head['length']} entries, chain head {head['short']} ({head['hash']}).")
    return 0
