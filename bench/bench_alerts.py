"""Alerts benchmarks.

(a) Targeting + outbox enqueue: subscribers in a commune-sized rectangle selected through the
    crossing app's ``points_in_area`` and written as outbox rows, against a raw
    ``INSERT ... SELECT`` of the same rows in the same SQLite database. Default 100,000 subscribers
    (``BENCH_ALERTS_SUBSCRIBERS=1000000`` for the issue's size; about 10x longer).
(b) Requests/s of ``/public/`` and ``/public/cap/index.atom`` served by Beffroi's ASGI file handler
    (``beffroi.asgi`` under uvicorn) against nginx when installed, else a bare ASGI app returning the
    same bytes under the same uvicorn. The load generator is a small asyncio keep-alive HTTP/1.1
    client in 2 processes (no wrk/ab on this machine); both sides are measured with it.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import free_port as _free_port
from bench.common import write_result

SUBSCRIBERS = int(os.environ.get("BENCH_ALERTS_SUBSCRIBERS", "100000"))
DURATION = float(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
ROOT = Path(__file__).resolve().parent.parent


# --- (a) targeting + enqueue ---------------------------------------------------------------------


def _outbox_child(data_dir: str, n: int) -> None:
    os.environ["BEFFROI_DATA_DIR"] = data_dir
    os.environ.pop("BEFFROI_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beffroi.settings")
    import django

    django.setup()
    import random

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from beffroi.alerts import actions, outbox, targeting
    from beffroi.alerts.models import AlertVersion, Delivery, Subscriber

    call_command("migrate", verbosity=0)
    from beffroi.core.actors import SystemActor
    from beffroi.territory.actions import do_add_communes

    # the alert's area is clipped to the commune's outline
    do_add_communes(["92063"], actor=SystemActor("cli"))
    rng = random.Random(7)
    now = timezone.now()
    # Subscribers spread over a 20 x 20 km box around Rueil; the alert area is a ~4 x 4 km rectangle.
    batch = []
    for i in range(n):
        lon, lat = 2.05 + rng.random() * 0.27, 48.78 + rng.random() * 0.18
        batch.append(
            Subscriber(
                channel="email" if i % 3 else "sms",
                address=f"s{i}@example.org",
                token=f"t{i}",
                lon=lon,
                lat=lat,
                commune="92063",
                confirmed_at=now,
                consent_at=now,
            )
        )
        if len(batch) == 20000:
            Subscriber.objects.bulk_create(batch)
            batch = []
    Subscriber.objects.bulk_create(batch)
    x0, y0, x1, y1 = 2.16, 48.85, 2.215, 48.886
    area = {
        "polygon": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}
    }
    alert = actions.do_draft_alert(
        hazard="inondation", communes=["92063"], area=area, actor=SystemActor("demo")
    )
    version = alert.latest()
    version.state = AlertVersion.State.PUBLISHED
    version.save()

    import beffroi.crossing.selectors  # noqa: F401  (warm imports: a running server has them loaded)

    start = time.perf_counter()
    with transaction.atomic():
        queued = outbox.enqueue(version, targeting.recipients(version))
    beffroi_s = time.perf_counter() - start

    other = AlertVersion.objects.create(
        alert=alert,
        number=2,
        msg_type="Update",
        texts=version.texts,
        area=version.area,
        onset=version.onset,
        expires=version.expires,
    )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO alerts_delivery (version_id, channel, subscriber_id, recipient, language,"
            " idempotency_key,"
            " state, attempts, next_attempt_at, claimed_by, last_error, provider_id)"
            " SELECT %s, channel, id, address, language, %s || id, 'pending', 0, %s, '', '', ''"
            " FROM alerts_subscriber WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL"
            " AND lon BETWEEN %s AND %s AND lat BETWEEN %s AND %s",
            [other.pk, f"raw-{other.pk}-", now, x0, x1, y0, y1],
        )
        raw_rows = cursor.rowcount
    raw_s = time.perf_counter() - start
    assert Delivery.objects.filter(version=version).count() == queued
    print(json.dumps({"queued": queued, "raw_rows": raw_rows, "beffroi_s": beffroi_s, "raw_s": raw_s}))


def bench_outbox() -> None:
    data_dir = tempfile.mkdtemp(prefix="beffroi-bench-alerts-")
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.bench_alerts", "_outbox", data_dir, str(SUBSCRIBERS)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    write_result(
        "alerts_target_enqueue",
        r["queued"] / r["beffroi_s"],
        "rows/s",
        "raw INSERT ... SELECT (same rows, same SQLite)",
        r["raw_rows"] / r["raw_s"],
        subscribers=SUBSCRIBERS,
        targeted=r["queued"],
        raw_rows=r["raw_rows"],
        seconds=round(r["beffroi_s"], 3),
        raw_seconds=round(r["raw_s"], 3),
    )


# --- (b) requests per second of the public files ---------------------------------------------------


def _load_process(args) -> int:
    from bench.bench_public import _py_load  # the same keep-alive client as the public bench

    return asyncio.run(_py_load(*args))


def rps(port: int, path: str) -> float:
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        start = time.perf_counter()
        counts = pool.map(_load_process, [(port, path, DURATION, CONNECTIONS // 2)] * 2)
        return sum(counts) / (time.perf_counter() - start)


def _wait(port: int, proc, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


class _Bare:
    """A bare ASGI app returning fixed bytes (the baseline when nginx is missing)."""

    def __init__(self):
        root = Path(os.environ["BENCH_PUBLIC_ROOT"])
        self.files = {
            "/public/": (root / "index.html").read_bytes(),
            "/public/cap/index.atom": (root / "cap" / "index.atom").read_bytes(),
        }

    async def __call__(self, scope, receive, send):
        body = self.files[scope["path"]]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/html"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


def bare_app():
    return _Bare()


def _prepare_site(data_dir: str) -> None:
    code = (
        "import os,django;os.environ.setdefault('DJANGO_SETTINGS_MODULE','beffroi.settings');django.setup();"
        "from django.core.management import call_command;call_command('migrate',verbosity=0);"
        "from beffroi.territory.actions import do_add_communes;"
        "from beffroi.core.actors import SystemActor;"
        "do_add_communes(['92063','92033','94052'],actor=SystemActor('cli'));"
        "from beffroi.accounts.actions import do_create_user;"
        "u=do_create_user('bench',role='maire',communes=['92063'],password='bench-Pass-1234',"
        "actor=SystemActor('cli'),validate=False);"
        "from beffroi.alerts import actions;"
        "a=actions.do_draft_alert(hazard='inondation',communes=['92063'],actor=SystemActor('demo'));"
        "v=a.latest();v.state='approved';v.approved_digest=v.digest();v.save();actions.do_publish(v,actor=u);"
        "from beffroi.public.site import build_site;print(build_site())"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "BEFFROI_DATA_DIR": data_dir, "BEFFROI_DATABASE_URL": ""},
    )


def bench_public() -> None:
    data_dir = tempfile.mkdtemp(prefix="beffroi-bench-public-")
    env = {
        **os.environ,
        "BEFFROI_DATA_DIR": data_dir,
        "BEFFROI_DATABASE_URL": "",
        "BENCH_PUBLIC_ROOT": str(Path(data_dir) / "public"),
    }
    uvicorn = [
        sys.executable,
        "-m",
        "uvicorn",
        "--no-access-log",
        "--log-level",
        "warning",
        "--host",
        "127.0.0.1",
    ]
    try:
        _prepare_site(data_dir)
        size = (Path(data_dir) / "public" / "index.html").stat().st_size
        results = {}
        for label, target in (
            ("beffroi", "beffroi.asgi:application"),
            ("bare", "bench.bench_alerts:bare_app"),
        ):
            port = _free_port()
            args = [*uvicorn, "--port", str(port), target] + (["--factory"] if label == "bare" else [])
            proc = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                _wait(port, proc)
                results[label] = {p: rps(port, p) for p in ("/public/", "/public/cap/index.atom")}
            finally:
                proc.terminate()
                proc.wait(10)
        # Always the bare app (the label said "nginx" when nginx was merely installed): the
        # comparison with nginx under wrk is bench_public's.
        baseline = "bare ASGI app, same bytes, same uvicorn, Python client (nginx + wrk: bench_public)"
        write_result(
            "alerts_public_index_rps",
            results["beffroi"]["/public/"],
            "req/s",
            baseline,
            results["bare"]["/public/"],
            bytes=size,
            connections=CONNECTIONS,
        )
        write_result(
            "alerts_public_cap_index_rps",
            results["beffroi"]["/public/cap/index.atom"],
            "req/s",
            baseline,
            results["bare"]["/public/cap/index.atom"],
            connections=CONNECTIONS,
        )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    bench_outbox()
    bench_public()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_outbox":
        _outbox_child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
