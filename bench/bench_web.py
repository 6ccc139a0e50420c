"""Requests per second of /healthz and of the dashboard, against a static file served by the same server.

Beffroi runs `beffroi serve --embedded` (granian) in a subprocess; a pool of keep-alive HTTP clients on
loopback hammers each URL for a fixed time. The baseline is a static file served by the same
process through the ASGI file handler (no Django), so the ratio shows Django's cost per request.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.common import free_port as _free_port
from bench.common import stop_group, write_result

DURATION = float(os.environ.get("BENCH_SECONDS", "5"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
ROOT = Path(__file__).resolve().parent.parent


def _rps(url: str, cookies: dict[str, str] | None = None) -> float:
    count = 0
    lock = threading.Lock()
    stop = time.perf_counter() + DURATION

    def worker():
        nonlocal count
        done = 0
        with httpx.Client(cookies=cookies, timeout=10) as client:
            while time.perf_counter() < stop:
                response = client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: HTTP {response.status_code}")
                done += 1
        with lock:
            count += done

    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return count / (time.perf_counter() - start)


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="beffroi-bench-"))
    env = {**os.environ, "BEFFROI_DATA_DIR": str(data_dir)}
    env.pop("BEFFROI_DATABASE_URL", None)
    env.pop("BEFFROI_REDIS_URL", None)
    beffroi = [sys.executable, "-m", "beffroi.cli"]
    subprocess.run([*beffroi, "demo", "--no-serve"], env=env, check=True, capture_output=True)
    password = "bench password for the dashboard"
    env["BENCH_PW"] = password
    subprocess.run(
        [
            *beffroi,
            "users",
            "create",
            "bench",
            "--role",
            "cellule_crise",
            "--commune",
            "92063",
            "--commune",
            "92033",
            "--commune",
            "94052",
            "--password-env",
            "BENCH_PW",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    public = data_dir / "public"
    public.mkdir(exist_ok=True)
    port = _free_port()
    server = subprocess.Popen(
        [*beffroi, "serve", "--embedded", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        with httpx.Client(base_url=base) as client:
            login = client.get("/accounts/login/")
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
            client.post(
                "/accounts/login/",
                data={"username": "bench", "password": password, "csrfmiddlewaretoken": csrf},
            )
            cookies = dict(client.cookies)
        dashboard_size = len(httpx.get(f"{base}/", cookies=cookies).content)
        (public / "bench.html").write_bytes(b"x" * dashboard_size)
        static_rps = _rps(f"{base}/public/bench.html")
        health_rps = _rps(f"{base}/healthz")
        dashboard_rps = _rps(f"{base}/", cookies)
    finally:
        stop_group(server)
    write_result(
        "web_healthz_rps", health_rps, "req/s", "static file, same server", static_rps, clients=CLIENTS
    )
    write_result(
        "web_dashboard_rps",
        dashboard_rps,
        "req/s",
        "static file, same server",
        static_rps,
        bytes=dashboard_size,
        clients=CLIENTS,
    )
