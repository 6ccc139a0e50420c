"""Registry benchmarks.

(a) Prioritised list for 20,000 registered people in a crisis area (``BENCH_REGISTRY_PEOPLE``): the
    registry's own path (read the rows, decrypt each AES-GCM payload, points-in-area, age, sort) against
    the same scoring on the same people stored unencrypted in a plain table of the same SQLite database.
(b) Route optimisation of 200 visits across 5 teams (``BENCH_REGISTRY_VISITS``, ``BENCH_REGISTRY_TEAMS``) with
    VROOM on a haversine matrix, against a round-robin split + nearest-neighbour ordering (the distance
    of both is reported too).
"""

from __future__ import annotations

import base64
import os
import random
import sys
import tempfile
import time
from datetime import date

from bench.common import write_result

PEOPLE = int(os.environ.get("BENCH_REGISTRY_PEOPLE", "20000"))
VISITS = int(os.environ.get("BENCH_REGISTRY_VISITS", "200"))
TEAMS = int(os.environ.get("BENCH_REGISTRY_TEAMS", "5"))
AREA = {
    "type": "Polygon",
    "coordinates": [[[2.15, 48.85], [2.20, 48.85], [2.20, 48.89], [2.15, 48.89], [2.15, 48.85]]],
}


def _setup(data_dir: str) -> None:
    os.environ["BEFFROI_DATA_DIR"] = data_dir
    os.environ.pop("BEFFROI_DATABASE_URL", None)
    os.environ["BEFFROI_REGISTRY_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beffroi.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _populate(rng: random.Random) -> list[dict]:
    from django.db import connection, transaction

    from beffroi.registry import crypto
    from beffroi.registry.actions import seal
    from beffroi.registry.models import Person
    from beffroi.registry.schema import PersonData

    ring = crypto.keyring()
    rows, people = [], []
    for i in range(PEOPLE):
        born = date(rng.randint(1920, 1960), rng.randint(1, 12), rng.randint(1, 28))
        data = PersonData(
            last_name=f"Bench{i}",
            first_names="Fictif",
            birth_date=born.isoformat(),
            category="age_65",
            address=f"{i} rue du Banc d'Essai",
            phone="01 99 00 00 00",
            lon=2.12 + rng.random() * 0.12,
            lat=48.83 + rng.random() * 0.08,
        )
        person = Person(
            commune_code="92063",
            source="self",
            consent="consent",
            request_date=date(2025, 1, 1),
            ack_due=date(2025, 1, 9),
        )
        seal(person, data, {}, ring)
        people.append(person)
        rows.append(data)
    with transaction.atomic():
        Person.objects.bulk_create(people, batch_size=2000)
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_plain (id INTEGER PRIMARY KEY, birth_date TEXT, lon REAL, lat REAL)"
            )
            cursor.executemany(
                "INSERT INTO bench_plain VALUES (%s, %s, %s, %s)",
                [(i + 1, d.birth_date, d.lon, d.lat) for i, d in enumerate(rows)],
            )
    return rows


def _plain_prioritised(today: date):
    """The same scoring as access.score_targets, on clear rows."""
    from django.db import connection

    from beffroi.registry.access import points_in_area
    from beffroi.registry.schema import age_from

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, birth_date, lon, lat FROM bench_plain")
        rows = cursor.fetchall()
    inside = points_in_area(AREA, [(r[0], r[2], r[3]) for r in rows])
    scored = []
    for pk, born, _lon, _lat in rows:
        age = age_from(date.fromisoformat(born), today)
        score = 1000 + (300 if pk in inside else 0) + max(0, min(age, 105) - 60) * 3
        scored.append((-score, pk))
    scored.sort()
    return scored


def bench_prioritised() -> None:
    from beffroi.registry.access import score_targets
    from beffroi.registry.models import Person

    today = date(2026, 7, 1)
    best_enc = best_plain = float("inf")
    for _ in range(5):  # best of five: the machine's other work shows in single runs
        start = time.perf_counter()
        targets = score_targets(Person.objects.filter(commune_code="92063"), AREA, set(), today=today)
        best_enc = min(best_enc, time.perf_counter() - start)
        start = time.perf_counter()
        plain = _plain_prioritised(today)
        best_plain = min(best_plain, time.perf_counter() - start)
    in_zone = sum(1 for t in targets if t.in_zone)
    assert len(targets) == len(plain) == PEOPLE
    write_result(
        "registry_prioritised_list",
        best_enc,
        "s",
        "same query on unencrypted rows",
        best_plain,
        higher_is_better=False,
        people=PEOPLE,
        in_zone=in_zone,
    )


def _nearest_neighbour(depot, jobs, teams):
    from beffroi.registry.routes import haversine_matrix

    coords = [depot] + [(lon, lat) for _i, lon, lat in jobs]
    m = haversine_matrix(coords)
    total = 0.0
    for t in range(teams):
        todo = [i + 1 for i in range(t, len(jobs), teams)]
        here = 0
        while todo:
            nxt = min(todo, key=lambda j: m[here, j])
            total += m[here, nxt]
            todo.remove(nxt)
            here = nxt
        total += m[here, 0]
    return total


def bench_routes(rng: random.Random) -> None:
    from beffroi.registry.routes import solve

    depot = (2.18, 48.87)
    jobs = [(i, 2.14 + rng.random() * 0.08, 48.85 + rng.random() * 0.05) for i in range(VISITS)]
    start = time.perf_counter()
    planned, unassigned = solve(depot, jobs, TEAMS)
    vroom_s = time.perf_counter() - start
    start = time.perf_counter()
    nn_m = _nearest_neighbour(depot, jobs, TEAMS)
    nn_s = time.perf_counter() - start
    vroom_m = sum(r.distance_m for r in planned)
    assert not unassigned and sum(len(r.job_ids) for r in planned) == VISITS
    write_result(
        "registry_routes",
        vroom_s,
        "s",
        "round-robin + nearest neighbour (time)",
        nn_s,
        higher_is_better=False,
        visits=VISITS,
        teams=TEAMS,
        vroom_km=round(vroom_m / 1000, 1),
        nearest_neighbour_km=round(nn_m / 1000, 1),
        per_team=[len(r.job_ids) for r in planned],
    )


def main() -> None:
    rng = random.Random(40)
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as data_dir:
        _setup(data_dir)
        start = time.perf_counter()
        _populate(rng)
        print(
            f"(populated {PEOPLE} encrypted records in {time.perf_counter() - start:.1f} s)", file=sys.stderr
        )
        bench_prioritised()
        bench_routes(rng)


if __name__ == "__main__":
    main()
