"""Exercise mode: scenarios validated with located errors, replayed deterministically at any speed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.crisis import scenario
from beffroi.crisis.chain import verify
from beffroi.crisis.exercise import apply_due, do_start_exercise, run_blocking
from beffroi.crisis.models import LogEntry

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "crisis"


class FakeClock:
    """Wall clock advanced only by ``sleep``: a run at speed 1 over hours takes no real time."""

    def __init__(self, start: datetime):
        self.now = start
        self.slept = 0.0

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += timedelta(seconds=seconds)


@pytest.mark.parametrize("name", ["crue-marne-nogent.yaml", "canicule-rueil-garches.yaml"])
def test_shipped_scenarios_are_valid(name):
    data = scenario.load(ROOT / "scenarios" / name)
    assert len(data["injects"]) >= 10
    offsets = [i["offset_seconds"] for i in data["injects"]]
    assert offsets == sorted(offsets)


def test_a_bad_scenario_names_line_and_field():
    with pytest.raises(UserError) as exc:
        scenario.load(FIXTURES / "bad-scenario.yaml")
    problems = {(p.line, p.field) for p in exc.value.problems}
    assert (8, "injects[1].at") in problems
    assert (9, "injects[1].kind") in problems
    assert (14, "injects[2].value") in problems


def test_yaml_syntax_error_is_located():
    with pytest.raises(UserError) as exc:
        scenario.validate("name: x\ninjects: [\n  - at", filename="s.yaml")
    assert exc.value.problems[0].line is not None


def _replay(speed: float, start: datetime) -> list[tuple]:
    data = scenario.load(ROOT / "scenarios" / "crue-marne-nogent.yaml")
    clock = FakeClock(start)
    run = do_start_exercise(data, speed=speed, actor=SystemActor("cli"), now=clock())
    run_blocking(run, clock=clock, sleep=clock.sleep)
    run.refresh_from_db()
    assert run.finished_at is not None and run.applied == len(data["injects"])
    assert verify(run.crisis).ok
    entries = LogEntry.objects.filter(crisis=run.crisis).order_by("seq")
    assert all(e.exercise for e in entries)
    # Real seconds slept shrink with the speed; the scenario is 6 h long.
    assert clock.slept == pytest.approx(6 * 3600 / speed, rel=0.01)
    return [
        (e.seq, e.scenario_at - run.scenario_start, e.category, e.source, e.text, e.location_label)
        for e in entries[1:]
    ]


def test_replay_is_identical_at_any_speed(territory):
    start = datetime(2026, 1, 20, 5, 0, tzinfo=UTC)
    slow = _replay(1, start)
    fast = _replay(60, start + timedelta(days=1))
    fastest = _replay(3600, start + timedelta(days=2))
    assert slow == fast == fastest
    assert len(slow) >= 15


def test_due_injects_are_applied_once_and_in_order(territory):
    data = scenario.load(ROOT / "scenarios" / "crue-marne-nogent.yaml")
    t0 = datetime(2026, 1, 20, 5, 0, tzinfo=UTC)
    run = do_start_exercise(data, speed=60, actor=SystemActor("cli"), now=t0)
    assert len(apply_due(run, now=t0)) == 1  # the 00:00 inject
    assert apply_due(run, now=t0) == []  # idempotent
    played = apply_due(run, now=t0 + timedelta(seconds=60))  # one scenario hour
    assert [i.offset for i in played] == [timedelta(minutes=m) for m in (5, 20, 40, 60)]
    run.refresh_from_db()
    assert run.applied == 5 and run.crisis.level == 2
    apply_due(run, now=t0 + timedelta(seconds=90))
    run.crisis.refresh_from_db()
    assert run.crisis.level == 3  # the level inject at 01:30


def test_cli_runs_a_scenario(territory, tmp_path, capsys):
    from beffroi.cli import main

    path = tmp_path / "short.yaml"
    path.write_text(
        'name: Court\nhazard: canicule\ncommunes: ["92063"]\ninjects:\n'
        '  - at: "00:00"\n    kind: call\n    text: "Un appel"\n'
        '  - at: "00:01"\n    kind: media\n    text: "Un journaliste"\n'
    )
    assert main(["exercise", "run", str(path), "--speed", "600"]) == 0
    out = capsys.readouterr().out
    assert "chain head" in out
    assert LogEntry.objects.filter(text="[inject] Un journaliste", exercise=True).exists()
    assert main(["exercise", "run", str(FIXTURES / "bad-scenario.yaml")]) == 2


def test_a_compressed_clock_never_stamps_an_entry_in_the_future(territory, client_for):
    """At speed 60 the scenario runs an hour a minute: 2 real minutes reach scenario 02:00, hours
    ahead of the wall clock. Entries keep the real time and carry the scenario time beside it."""
    from beffroi.core.timeutil import utcnow

    data = scenario.load(ROOT / "scenarios" / "crue-marne-nogent.yaml")
    started = utcnow()
    run = do_start_exercise(data, speed=60, actor=SystemActor("cli"), now=started)
    played = apply_due(run, now=started + timedelta(minutes=2))
    assert len(played) >= 5
    after = utcnow()
    injected = list(LogEntry.objects.filter(crisis=run.crisis, text__startswith="[inject]").order_by("seq"))
    assert injected and all(e.occurred_at <= after and e.recorded_at <= after for e in injected)
    assert all(e.scenario_at is not None for e in injected)
    assert max(e.scenario_at for e in injected) > after + timedelta(minutes=90)  # the scenario is ahead
    last = injected[-1]
    assert last.scenario_at - run.scenario_start == played[-1].offset
    assert verify(run.crisis).ok  # scenario_at is in the hashed content
    client = client_for("cellule_crise", ["94052"])
    html = client.get(f"/crise/{run.crisis.pk}/").content.decode()
    assert "Heure d&#x27;exercice" in html or "Heure d'exercice" in html
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/crise/{run.crisis.pk}/main-courante/export.csv").content.decode())
        )
    )
    assert rows[-2]["scenario_at_utc"] == last.scenario_at.isoformat()  # the last row is the head line
