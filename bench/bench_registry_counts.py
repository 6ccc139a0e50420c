"""Registry count in an area for 20,000 registered people (``BENCH_REGISTRY_PEOPLE``).

Beffroi's path: ``registry.access.release_count`` (disclosure control: one grouped query over the
stored counting cells, point-in-polygon on the cell centres, the differencing check against the
user's earlier queries, and the access-log row), against the former path on the same rows: decrypt
every record and test its point in the area. Target: under 50 ms.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time

from beffroi.core.actors import SystemActor
from bench.bench_registry import AREA, PEOPLE, _populate, _setup
from bench.common import write_result

CLI = SystemActor("cli")  # the operator running the bench at the shell


def _decrypt_and_count() -> int:
    """The count as it was before the cells: decrypt the whole registry on every count."""
    from beffroi.registry import crypto
    from beffroi.registry.access import decrypt_person, points_in_area
    from beffroi.registry.models import Person

    ring = crypto.keyring()
    points = []
    for p in Person.objects.all():
        data = decrypt_person(p, ring)
        if data.lon is not None and data.lat is not None:
            points.append((p.pk, data.lon, data.lat))
    return len(points_in_area(AREA, points))


def main() -> None:
    os.environ["BEFFROI_REGISTRY_COUNT_RATE_PER_HOUR"] = "100000"
    with tempfile.TemporaryDirectory(prefix="bench-registry-counts-") as data_dir:
        _setup(data_dir)
        from beffroi.accounts.actions import do_create_user
        from beffroi.registry.access import release_count

        start = time.perf_counter()
        _populate(random.Random(40))
        print(
            f"(populated {PEOPLE} encrypted records in {time.perf_counter() - start:.1f} s)", file=sys.stderr
        )
        user = do_create_user(
            "bench-cellule",
            role="administrateur",
            communes=[],
            password="x" * 16,
            actor=CLI,
            validate=False,
        )
        best = best_old = float("inf")
        released = old = None
        for _ in range(5):
            start = time.perf_counter()
            released = release_count(user, AREA, reason="bench")
            best = min(best, time.perf_counter() - start)
        for _ in range(2):
            start = time.perf_counter()
            old = _decrypt_and_count()
            best_old = min(best_old, time.perf_counter() - start)
        assert released is not None and released.exact, released
        write_result(
            "registry_count_in_area",
            best * 1000,
            "ms",
            "decrypt every record and count its point",
            best_old * 1000,
            higher_is_better=False,
            people=PEOPLE,
            released=released.value,
            exact_points=old,
        )


if __name__ == "__main__":
    main()
