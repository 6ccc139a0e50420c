"""Delivery benchmark: time from approval to the last message accepted, and messages/s.

10,000 recipients by default (``BENCH_DELIVERY_RECIPIENTS=100000`` for the issue's large run), half
(``BENCH_DELIVERY_EMAIL_SHARE``, 0.5) by e-mail to a local SMTP sink (aiosmtpd) and the others by
SMS to a local Brevo-shaped HTTP gateway on 127.0.0.1 that answers each request after 20 ms.
Both sinks run in a process of their own and count unique and repeated messages (Message-ID for
e-mail, number + text for SMS).

Beffroi: ``BENCH_DELIVERY_WORKERS`` (2) ``beffroi alerts dispatch --loop`` workers on the embedded
SQLite database (``BENCH_DELIVERY_DATABASE_URL`` for PostgreSQL); the clock starts right before
``do_publish`` of an approved alert (targeting, outbox enqueue, claims, rendering, sending, records)
and stops at the last message the sinks accepted.

Baseline, same run, same sinks: the same messages (rendered beforehand by the channels themselves)
sent by a minimal raw client with the same concurrency and no outbox: as many client processes as
workers, each with its share of the messages, e-mail connections ``smtplib`` connections and one
``aiohttp`` session (the SMS lane's client) with the worker's SMS concurrency in flight.

``BENCH_DELIVERY_PROFILE=<folder>`` runs the workers under pyinstrument (``pip install pyinstrument``
first) and writes one text report a worker there. ``BENCH_DELIVERY_KILL=1`` adds a third run of
Beffroi with one worker SIGKILLed every 5 s (and restarted): it reports the extra delay, the messages
lost (must be 0) and the repeats.
"""

from __future__ import annotations

import asyncio
import functools
import json
import multiprocessing
import os
import pickle
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from email.parser import BytesHeaderParser
from pathlib import Path

from bench.common import write_result

N = int(os.environ.get("BENCH_DELIVERY_RECIPIENTS", "10000"))
EMAIL_SHARE = float(os.environ.get("BENCH_DELIVERY_EMAIL_SHARE", "0.5"))  # the others get an SMS
WORKERS = int(os.environ.get("BENCH_DELIVERY_WORKERS", "2"))
KILL = os.environ.get("BENCH_DELIVERY_KILL", "") not in ("", "0")
PROFILE = os.environ.get("BENCH_DELIVERY_PROFILE", "")  # a folder: the workers run under pyinstrument
GATEWAY_DELAY = 0.020
ROOT = Path(__file__).resolve().parent.parent
BEFFROI = str(Path(sys.executable).with_name("beffroi"))

SEED = r"""
import os, sys, django
django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
call_command("migrate", verbosity=0)
from beffroi.alerts import actions
from beffroi.alerts.models import Subscriber
from beffroi.core.actors import SystemActor
from beffroi.territory.actions import do_add_communes
do_add_communes(["92063"], actor=SystemActor("cli"))
n, share = int(sys.argv[1]), float(sys.argv[2])
now = timezone.now()
batch = []
for i in range(n):
    lon, lat = 2.18 + (i % 100) * 0.0001, 48.86 + (i // 100) * 0.00001
    email = int((i + 1) * share) > int(i * share)  # spread evenly: every other one at 0.5
    address = f"r{i}@example.org" if email else f"+336{i:08d}"
    batch.append(Subscriber(channel="email" if email else "sms", address=address, token=f"t{i}",
                            lon=lon, lat=lat, commune="92063", confirmed_at=now, consent_at=now))
    if len(batch) == 5000:
        Subscriber.objects.bulk_create(batch); batch = []
Subscriber.objects.bulk_create(batch)
get_user_model().objects.create_superuser("bench-ops", password=None)
"""

PUBLISH = r"""
import os, sys, time, django
django.setup()
from django.contrib.auth import get_user_model
from beffroi.alerts import actions
from beffroi.core.actors import SystemActor
ring = [[2.17, 48.85], [2.20, 48.85], [2.20, 48.88], [2.17, 48.88], [2.17, 48.85]]
area = {"polygon": {"type": "Polygon", "coordinates": [ring]}}
alert = actions.do_draft_alert(hazard="inondation", communes=["92063"], area=area, actor=SystemActor("demo"))
v = alert.latest()
v.state = "approved"; v.approved_digest = v.digest(); v.save()
ops = get_user_model().objects.get(username="bench-ops")
import beffroi.alerts.targeting, beffroi.crossing.selectors  # noqa: warm imports, as in a running server
start = time.time()
v = actions.do_publish(v, actor=ops)
print(alert.pk, v.queued, start, time.time())
"""

# The messages of a version exactly as the channels render them, for the raw baseline.
RENDER = r"""
import os, sys, pickle, django
django.setup()
from beffroi.alerts.channels import email, sms
from beffroi.alerts.models import Delivery
out = {"email": [], "sms": []}
p = sms.provider()
rows = Delivery.objects.filter(version__alert_id=int(sys.argv[1]))
for row in rows.select_related("version__alert", "subscriber"):
    if row.channel == "email":
        mail = email.prepare(row)
        out["email"].append((mail.sender, mail.recipients, mail.data))
    else:
        phone, text, _key = sms.prepare(row)
        out["sms"].append(sms._brevo_request(p, phone, text))
pickle.dump(out, open(sys.argv[2], "wb"))
"""


# --- the sinks (their own process) -------------------------------------------------------------


class _Tally:
    def __init__(self):
        self.seen: dict[str, set] = {"email": set(), "sms": set()}
        self.raw = {"email": 0, "sms": 0}
        self.last = 0.0
        self.first_of: dict[str, float] = {}
        self.last_of: dict[str, float] = {}

    def add(self, kind: str, key) -> None:
        self.raw[kind] += 1
        self.seen[kind].add(key)
        self.last = self.last_of[kind] = time.time()
        self.first_of.setdefault(kind, self.last)

    def stats(self) -> dict:
        unique = {k: len(v) for k, v in self.seen.items()}
        return {
            "unique": unique,
            "raw": dict(self.raw),
            "last": self.last,
            "first_of": dict(self.first_of),
            "last_of": dict(self.last_of),
        }


class _MailHandler:
    def __init__(self, tally: _Tally):
        self.tally = tally

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        headers = BytesHeaderParser().parsebytes(envelope.original_content or envelope.content or b"")
        self.tally.add("email", headers.get("Message-ID") or envelope.rcpt_tos[0])
        return "250 OK queued"


async def _gateway_connection(reader, writer, tally: _Tally) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = json.loads(await reader.readexactly(length))
            await asyncio.sleep(GATEWAY_DELAY)
            tally.add("sms", (body["recipient"], body["content"]))
            answer = json.dumps({"messageId": tally.raw["sms"]}).encode()
            writer.write(
                b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(answer)).encode()
                + b"\r\n\r\n"
                + answer
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _sinks(conn) -> None:
    from aiosmtpd.smtp import SMTP

    async def main():
        tally = _Tally()
        loop = asyncio.get_running_loop()
        handler = _MailHandler(tally)
        smtp = await loop.create_server(lambda: SMTP(handler, hostname="127.0.0.1"), "127.0.0.1", 0)
        http = await asyncio.start_server(functools.partial(_gateway_connection, tally=tally), "127.0.0.1", 0)
        conn.send((smtp.sockets[0].getsockname()[1], http.sockets[0].getsockname()[1]))
        while True:
            if await loop.run_in_executor(None, conn.poll, 0.2):
                command = conn.recv()
                if command == "stop":
                    return
                if command == "reset":
                    tally = _Tally()
                    handler.tally = tally
                    # The old gateway stays open (its late connections count into the old tally).
                    http = await asyncio.start_server(
                        functools.partial(_gateway_connection, tally=tally), "127.0.0.1", 0
                    )
                    conn.send(http.sockets[0].getsockname()[1])
                else:
                    conn.send(tally.stats())

    asyncio.run(main())


class Sinks:
    def __init__(self):
        self.conn, child = multiprocessing.get_context("spawn").Pipe()
        self.process = multiprocessing.get_context("spawn").Process(target=_sinks, args=(child,), daemon=True)
        self.process.start()
        self.smtp_port, self.http_port = self.conn.recv()

    def stats(self) -> dict:
        self.conn.send("stats")
        return self.conn.recv()

    def reset(self) -> None:
        """Forget every count (the gateway moves to a new port, so old connections cannot count)."""
        self.conn.send("reset")
        self.http_port = self.conn.recv()

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(10)

    def wait_for(self, total: int, timeout: float = 900) -> dict:
        deadline = time.time() + timeout
        while True:
            stats = self.stats()
            if sum(stats["unique"].values()) >= total or time.time() > deadline:
                return stats
            time.sleep(0.1)


# --- the raw baseline ----------------------------------------------------------------------------


def _raw_email(messages, port: int, connections: int) -> None:
    chunks = [messages[i::connections] for i in range(connections)]

    def run(chunk):
        with smtplib.SMTP("127.0.0.1", port) as client:
            for sender, to, data in chunk:
                client.sendmail(sender, to, data)

    threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


async def _raw_sms(requests, port: int, concurrency: int) -> None:
    """The same HTTP client as the outbox's SMS lane (aiohttp), bare: a semaphore and a session."""
    import aiohttp

    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:

        async def one(request):
            url, body, headers = request
            url = f"http://127.0.0.1:{port}" + url[url.index("/v3/") :]
            async with (
                gate,
                session.post(
                    url, data=body, headers={"Content-Type": "application/json", **headers}
                ) as response,
            ):
                response.raise_for_status()
                await response.read()

        await asyncio.gather(*(one(r) for r in requests))


def _raw_process(messages: dict, ports: tuple[int, int], lanes: tuple[int, int], ready, go) -> None:
    import aiohttp  # noqa: F401 - imported before the start signal, like a running client

    ready.set()
    go.wait()
    mail = threading.Thread(target=_raw_email, args=(messages["email"], ports[0], lanes[0]))
    mail.start()
    asyncio.run(_raw_sms(messages["sms"], ports[1], lanes[1]))
    mail.join()


def baseline(sinks: Sinks, messages: dict, email_connections: int, sms_concurrency: int) -> float:
    """As many client processes as Beffroi has workers, each with a worker's share and concurrency."""
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    procs, readies = [], []
    for i in range(WORKERS):
        share = {kind: rows[i::WORKERS] for kind, rows in messages.items()}
        ready = ctx.Event()
        proc = ctx.Process(
            target=_raw_process,
            args=(share, (sinks.smtp_port, sinks.http_port), (email_connections, sms_concurrency), ready, go),
        )
        proc.start()
        procs.append(proc)
        readies.append(ready)
    for ready in readies:
        ready.wait(60)
    start = time.time()
    go.set()
    for proc in procs:
        proc.join()
    stats = sinks.wait_for(N, timeout=60)
    return stats["last"] - start


# --- Beffroi -------------------------------------------------------------------------------------


def _env(data_dir: str, sinks: Sinks) -> dict:
    env = {
        **os.environ,
        "BEFFROI_DATA_DIR": data_dir,
        "BEFFROI_DATABASE_URL": os.environ.get("BENCH_DELIVERY_DATABASE_URL", ""),
        "BEFFROI_EMAIL_URL": f"smtp://127.0.0.1:{sinks.smtp_port}",
        "BEFFROI_SMS_URL": "brevo://bench-key@/?sender=MAIRIE",
        "BENCH_SMS_BASE": f"http://127.0.0.1:{sinks.http_port}",
        "DJANGO_SETTINGS_MODULE": "bench.delivery_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    return env


def _worker(env: dict) -> subprocess.Popen:
    cmd = [BEFFROI, "alerts", "dispatch", "--loop", "--interval", "0.05"]
    if PROFILE:
        # pyinstrument (not a dependency: installed by whoever profiles) writes its report on SIGINT.
        out = Path(PROFILE) / f"worker-{time.time_ns()}.txt"
        cmd = [
            sys.executable,
            "-m",
            "pyinstrument",
            "-r",
            "text",
            "-o",
            str(out),
            "-m",
            "beffroi.cli",
            *cmd[1:],
        ]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_beffroi(env: dict, sinks: Sinks, *, kill_every: float = 0.0) -> dict:
    workers = [_worker(env) for _ in range(WORKERS)]
    time.sleep(3)  # the workers are up and polling, as in production
    out = subprocess.run(
        [sys.executable, "-c", PUBLISH], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    alert_id, queued, start, published = int(out[-4]), int(out[-3]), float(out[-2]), float(out[-1])
    kills = 0
    try:
        deadline = time.time() + 120 + N / 50  # far beyond any expected run: a stuck run ends
        next_kill = time.time() + kill_every
        while time.time() < deadline:
            stats = sinks.stats()
            if sum(stats["unique"].values()) >= queued:
                break
            if kill_every and time.time() >= next_kill:
                victim = kills % len(workers)
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait()
                workers[victim] = _worker(env)
                kills += 1
                next_kill = time.time() + kill_every
            time.sleep(0.05)
        stats = sinks.stats()
    finally:
        for w in workers:
            w.send_signal(signal.SIGINT if PROFILE else signal.SIGKILL)
            try:
                w.wait(60)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
    return {
        "alert": alert_id,
        "queued": queued,
        "seconds": stats["last"] - start,
        "publish_s": round(published - start, 2),
        # When each channel's first and last messages reached the sinks, from the start.
        "timeline_s": {
            kind: [round(stats["first_of"][kind] - start, 2), round(stats["last_of"][kind] - start, 2)]
            for kind in stats["first_of"]
        },
        "stats": stats,
        "kills": kills,
    }


def _lanes() -> tuple[int, int, int]:
    """Per-worker e-mail connections, e-mails a connection is handed at a time (one on a
    rate-limited lane, as ``channels/email._batch``) and SMS concurrency, as the workers read them."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beffroi.settings")
    from beffroi.core.env import env_float, env_int

    batch = 1 if env_float("BEFFROI_EMAIL_RATE", 0.0) else max(1, env_int("BEFFROI_EMAIL_BATCH", 4))
    return env_int("BEFFROI_EMAIL_CONNECTIONS", 4), batch, env_int("BEFFROI_SMS_CONCURRENCY", 16)


def main() -> None:
    email_connections, email_batch, sms_concurrency = _lanes()
    data_dir = tempfile.mkdtemp(prefix="beffroi-bench-delivery-")
    sinks = Sinks()
    try:
        env = _env(data_dir, sinks)
        subprocess.run(
            [sys.executable, "-c", SEED, str(N), str(EMAIL_SHARE)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        ours = run_beffroi(env, sinks)
        assert ours["queued"] == N, ours
        rendered = Path(data_dir) / "rendered.pickle"
        subprocess.run(
            [sys.executable, "-c", RENDER, str(ours["alert"]), str(rendered)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        with rendered.open("rb") as f:
            messages = pickle.load(f)  # noqa: S301 - written a moment ago by this bench
        sinks.reset()
        raw_s = baseline(sinks, messages, email_connections, sms_concurrency)
        raw_stats = sinks.stats()
        lost = N - sum(ours["stats"]["unique"].values())
        repeats = sum(ours["stats"]["raw"].values()) - sum(ours["stats"]["unique"].values())
        common = {
            "recipients": N,
            "email_share": EMAIL_SHARE,
            "workers": WORKERS,
            "email_connections_per_worker": email_connections,
            "email_batch": email_batch,
            "sms_concurrency_per_worker": sms_concurrency,
            "gateway_delay_ms": int(GATEWAY_DELAY * 1000),
            "lost": lost,
            "repeats": repeats,
            "raw_complete": sum(raw_stats["unique"].values()) == N,
            "publish_s": ours["publish_s"],
            "timeline_s": ours["timeline_s"],
        }
        baseline_label = "raw smtplib + aiohttp clients, same messages, processes and concurrency, no outbox"
        write_result(
            "alerts_delivery_seconds",
            ours["seconds"],
            "s",
            baseline_label,
            raw_s,
            higher_is_better=False,
            **common,
        )
        write_result(
            "alerts_delivery_rate", N / ours["seconds"], "msg/s", baseline_label, N / raw_s, **common
        )
        if KILL:
            # A fresh database and the same recipients, one worker SIGKILLed every 5 s.
            sinks.reset()
            kill_dir = tempfile.mkdtemp(prefix="beffroi-bench-delivery-kill-")
            try:
                kill_env = _env(kill_dir, sinks)
                subprocess.run(
                    [sys.executable, "-c", SEED, str(N), str(EMAIL_SHARE)],
                    cwd=ROOT,
                    env=kill_env,
                    check=True,
                    capture_output=True,
                )
                killed = run_beffroi(kill_env, sinks, kill_every=5.0)
            finally:
                shutil.rmtree(kill_dir, ignore_errors=True)
            unique = sum(killed["stats"]["unique"].values())
            # A lane sends on while twice its concurrency of its rows (e-mail: times the messages
            # a connection is handed at once) await their write: the most a kill can repeat.
            in_flight = 2 * (email_connections * email_batch + sms_concurrency)
            write_result(
                "alerts_delivery_seconds_with_kills",
                killed["seconds"],
                "s",
                "the same run without kills",
                ours["seconds"],
                higher_is_better=False,
                recipients=N,
                workers=WORKERS,
                kills=killed["kills"],
                lost=N - unique,
                repeats=sum(killed["stats"]["raw"].values()) - unique,
                repeat_bound=killed["kills"] * in_flight,
                extra_delay_s=round(killed["seconds"] - ours["seconds"], 2),
            )
    finally:
        sinks.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
