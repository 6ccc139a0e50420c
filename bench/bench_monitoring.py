"""SSE fan-out of the live dashboard at crisis scale: latency from an observation's commit to its
receipt by every connected client, embedded mode (``beffroi serve --embedded``: granian, in-process
broker) and server mode (Redis pub/sub, two uvicorn web processes), each against a minimal raw-ASGI
SSE broadcaster under the same ASGI server, measured in the same run (the baseline does only the
broadcast: no auth, no database, no catalogue).

``BENCH_SSE_CLIENTS`` clients (default 1,000; ``BENCH_SSE_CLIENTS=5000`` or
``python -m bench.bench_monitoring --clients 5000`` for the large run) each hold one stream. For each of
``BENCH_SSE_EVENTS`` events (default 100, after ``BENCH_SSE_WARMUP`` uncounted ones), sent one after the
other, two figures:

- commit → all: from the moment the server stamps the event (``_ts``, right after the commit, when
  it publishes it) to its receipt by the *last* client — the issue's figure, aim p99 ≤ 250 ms and
  ≤ 1.5× the raw broadcaster;
- POST → all: from the bench's POST of the observation (Beffroi validates, stores, evaluates the
  thresholds and commits) to the last client.

Clients are raw asyncio sockets in this process (frames matched with a regular expression, no JSON
parsing: at 5,000 clients the client must not be what is measured); all on loopback, on this
2-core machine shared with the servers, so the figures are noisy: read the ratios of one run.
``BENCH_SSE_MODES=embedded`` (or ``server``) runs one mode only. Ports come from ``BENCH_PORTS``
(``8630-8659``) when set (bench/common.py); Redis from ``BENCH_REDIS_URL`` (default db 12, flushed
before and after).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import free_port, stop_group, write_result

CLIENTS = int(os.environ.get("BENCH_SSE_CLIENTS", "1000"))
EVENTS = int(os.environ.get("BENCH_SSE_EVENTS", "100"))
WARMUP = int(os.environ.get("BENCH_SSE_WARMUP", "5"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
MODES = os.environ.get("BENCH_SSE_MODES", "embedded,server").split(",")
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VALUE = re.compile(rb'"value":\s*(\d+(?:\.\d+)?)')
STAMP = re.compile(rb'"_ts":\s*(\d+(?:\.\d+)?)')

SETUP = r"""
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from beffroi.territory.actions import do_add_communes
from beffroi.accounts.actions import do_create_user, do_create_token
from beffroi.monitoring.actions import do_save_indicator
from beffroi.core.actors import SystemActor
cli = SystemActor("cli")
do_add_communes(["94052"], actor=cli)
user = do_create_user("bench", role="cellule_crise", communes=["94052"], password="x" * 16, actor=cli,
                      validate=False)
do_save_indicator(key="marne", label="Marne", unit="m", source="bench", series="bench:marne:H",
                  commune="94052",
                  actor=cli, thresholds=[{"level": 1, "name": "veille", "label": "Veille", "value": 1e9}])
s = SessionStore()
s[SESSION_KEY] = str(user.pk); s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
s[HASH_SESSION_KEY] = user.get_session_auth_hash(); s.create()
print(json.dumps({"session": s.session_key, "token": do_create_token(user, "t", actor=cli)}))
"""

BASELINE_APP = r"""
import asyncio

queues = set()


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["path"] == "/publish":
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        import json, time
        payload = json.loads(body)
        payload["_ts"] = time.time()
        frame = b"event: observation\ndata: " + json.dumps(payload).encode() + b"\n\n"
        for q in list(queues):
            q.put_nowait(frame)
        start = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        await send(start)
        await send({"type": "http.response.body", "body": b"ok"})
        return
    queue = asyncio.Queue()
    queues.add(queue)
    try:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]})
        await send({"type": "http.response.body", "body": b": connected\n\n", "more_body": True})
        while True:
            frame = await queue.get()
            await send({"type": "http.response.body", "body": frame, "more_body": True})
    finally:
        queues.discard(queue)
"""


def _wait_port(proc: subprocess.Popen, port: int, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{what} did not start on port {port}")


def _start_uvicorn(app: str, env: dict, cwd: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    cmd = [str(BIN / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    cmd += ["--backlog", "8192", "--timeout-keep-alive", "30"]
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    _wait_port(proc, port, f"uvicorn {app}")
    return proc, port


def _start_granian(app: str, env: dict, cwd: Path) -> tuple[subprocess.Popen, int]:
    """The raw broadcaster under granian with the embedded server's own settings (commands.py)."""
    from beffroi.commands import EMBEDDED_MAX_REQUESTS

    port = free_port()
    cmd = [str(BIN / "granian"), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", "1", "--runtime-threads", "2", "--backlog", "4096"]
    cmd += ["--backpressure", str(EMBEDDED_MAX_REQUESTS), "--log-level", "warning", "--no-ws", app]
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    _wait_port(proc, port, f"granian {app}")
    return proc, port


class Client:
    """One SSE connection; records when each event (by its ``value``) arrived."""

    def __init__(self):
        self.received: dict[int, float] = {}
        self.delivery: dict[int, float] = {}  # seconds from publication (stamped by the server) to receipt
        self.ready = asyncio.Event()
        self.waiters: dict[int, asyncio.Event] = {}

    async def run(self, port: int, path: str, cookie: str = "") -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        headers = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        if cookie:
            headers += f"Cookie: {cookie}\r\n"
        writer.write((headers + "\r\n").encode())
        await writer.drain()
        buffer = b""
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                buffer += chunk
                if not self.ready.is_set() and b"connected" in buffer:
                    self.ready.set()
                while b"\n\n" in buffer:
                    frame, buffer = buffer.split(b"\n\n", 1)
                    if b"event: observation" not in frame:
                        continue
                    value = VALUE.search(frame)
                    if value is None:
                        continue
                    now = time.time()
                    seq = int(float(value.group(1)))
                    stamp = STAMP.search(frame)
                    self.received[seq] = time.perf_counter()
                    self.delivery[seq] = now - (float(stamp.group(1)) if stamp else now)
                    waiter = self.waiters.get(seq)
                    if waiter:
                        waiter.set()
        finally:
            writer.close()


async def _fanout(ports: list[int], path: str, cookie: str, publish) -> tuple[list[float], list[float]]:
    clients = [Client() for _ in range(CLIENTS)]
    tasks = []
    for i, client in enumerate(clients):
        tasks.append(asyncio.create_task(client.run(ports[i % len(ports)], path, cookie)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)
    try:
        await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), 120 + CLIENTS / 50)
        await asyncio.sleep(0.5)
        latencies, deliveries = [], []
        for seq in range(1, WARMUP + EVENTS + 1):
            events = [asyncio.Event() for _ in clients]
            for client, event in zip(clients, events, strict=True):
                client.waiters[seq] = event
            start = time.perf_counter()
            await publish(seq)
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), 60)
            if seq > WARMUP:
                latencies.append(max(c.received[seq] for c in clients) - start)
                deliveries.append(max(c.delivery[seq] for c in clients))
            for client in clients:
                client.waiters.pop(seq, None)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return latencies, deliveries


def _stop(proc: subprocess.Popen) -> None:
    # SSE handlers wait on their queue forever: a graceful shutdown would wait for them.
    stop_group(proc, grace=3)


def _http_post(port: int, path: str, body: bytes, headers: dict) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json", **headers})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"POST {path}: {response.status} {data[:300]!r}")


def _beffroi(server_mode: bool) -> tuple[list[float], list[float]]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-monitoring-"))
    env = {
        **os.environ,
        "BEFFROI_DATA_DIR": str(tmp),
        "DJANGO_SETTINGS_MODULE": "beffroi.settings",
        "BEFFROI_LOG_LEVEL": "WARNING",
        "BEFFROI_MAP_TILE_URL": "off",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
    }
    env.pop("BEFFROI_REDIS_URL", None)
    env.pop("BEFFROI_DATABASE_URL", None)
    if server_mode:
        import redis

        env["BEFFROI_REDIS_URL"] = REDIS_URL
        redis.Redis.from_url(REDIS_URL).flushdb()
    out = subprocess.run([sys.executable, "-c", SETUP], env=env, capture_output=True, check=True, timeout=300)
    creds = json.loads(out.stdout.decode().strip().splitlines()[-1])
    if server_mode:
        procs = [_start_uvicorn("beffroi.asgi:application", env, ROOT) for _ in range(2)]
    else:
        # The embedded server as a town runs it: granian, one worker, the task consumer inside.
        port = free_port()
        proc = subprocess.Popen(
            [str(BIN / "beffroi"), "serve", "--embedded", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_port(proc, port, "beffroi serve --embedded")
        procs = [(proc, port)]
    ports = [port for _, port in procs]
    base = time.time() - 3600

    async def publish(seq: int) -> None:
        at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(base + seq))
        body = json.dumps(
            {"points": [{"series": "bench:marne:H", "at": at, "value": seq, "unit": "m"}]}
        ).encode()
        await asyncio.to_thread(
            _http_post, ports[0], "/api/observations", body, {"Authorization": f"Bearer {creds['token']}"}
        )

    try:
        return asyncio.run(
            _fanout(ports, "/live/?topics=monitoring&heartbeat=30", f"sessionid={creds['session']}", publish)
        )
    finally:
        for proc, _ in procs:
            _stop(proc)
        if server_mode:
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()


def _baseline(server: str) -> tuple[list[float], list[float]]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-sse-baseline-"))
    (tmp / "sse_baseline.py").write_text(BASELINE_APP)
    env = {**os.environ, "PYTHONPATH": str(tmp)}
    start = _start_granian if server == "granian" else _start_uvicorn
    proc, port = start("sse_baseline:app", env, tmp)

    async def publish(seq: int) -> None:
        await asyncio.to_thread(_http_post, port, "/publish", json.dumps({"value": seq}).encode(), {})

    try:
        return asyncio.run(_fanout([port], "/sse", "", publish))
    finally:
        _stop(proc)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def _report(mode: str, result, baseline, server: str, **extra) -> list[dict]:
    (total, delivery), (base_total, base_delivery) = result, baseline
    name = f"raw ASGI SSE broadcaster ({server}, same run)"
    figures = []
    for q, label in ((0.5, "p50"), (0.99, "p99")):
        # The figure: from the commit (the server stamps each event when it publishes it, after
        # the commit) to its receipt by the last client. ratio = baseline / ours (1.5x slower = 0.67).
        figures.append(
            write_result(
                f"monitoring_sse_{label}_{mode}",
                _pct(delivery, q),
                "ms",
                name,
                _pct(base_delivery, q),
                higher_is_better=False,
                server=server,
                slowdown=round(_pct(delivery, q) / max(_pct(base_delivery, q), 1e-9), 2),
                **extra,
            )
        )
        # End to end, including the POST, validation, storage, thresholds and the commit itself.
        figures.append(
            write_result(
                f"monitoring_sse_{label}_{mode}_post_to_all",
                _pct(total, q),
                "ms",
                name + ", POST to all",
                _pct(base_total, q),
                higher_is_better=False,
                server=server,
                **extra,
            )
        )
    return figures


def main() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 3 * CLIENTS + 1024  # the clients' sockets, and in this bench's servers theirs
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, need)), hard))
    extra = {"clients": CLIENTS, "events": EVENTS}
    print(f"monitoring_sse: {CLIENTS} clients, {EVENTS} events (+{WARMUP} warm-up)", flush=True)
    if "embedded" in MODES:
        _report("embedded", _beffroi(server_mode=False), _baseline("granian"), "granian", **extra)
    if "server" not in MODES:
        return
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 - no Redis: the server-mode figure is skipped, said so
        print(f"monitoring_sse server mode skipped: Redis unreachable at {REDIS_URL} ({exc})")
        return
    _report("server", _beffroi(server_mode=True), _baseline("uvicorn"), "uvicorn", processes=2, **extra)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=CLIENTS, help="SSE clients (default 1000)")
    parser.add_argument("--events", type=int, default=EVENTS, help="events measured (default 100)")
    options = parser.parse_args()
    CLIENTS, EVENTS = options.clients, options.events
    main()
