"""`beffroi serve --embedded`, as a town runs it on one machine: pages, the public site with its
cache headers, the task consumer in the serving process, and a clean stop on Ctrl+C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEFFROI_")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(BEFFROI_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="beffroi.settings")
    subprocess.run([str(BIN / "beffroi"), "manage", "migrate", "-v0"], env=env, check=True, timeout=300)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(BIN / "beffroi"), "serve", "--embedded", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    yield base, process, log
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_the_embedded_server_serves_pages_and_the_public_site_with_its_cache_headers(served):
    base, process, log = served
    with httpx.Client(base_url=base) as client:
        login = client.get("/accounts/login/")
        assert login.status_code == 200
        # A form post through the RSGI adapter to Django: body, cookies and CSRF check.
        token = login.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        refused = client.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token, "username": "nobody", "password": "wrong"},
            headers={"Referer": base + "/accounts/login/"},
        )
        assert refused.status_code == 200 and 'name="username"' in refused.text
        assert client.get("/live/").status_code in (302, 403)  # a live stream needs a login
    page = httpx.get(base + "/public/")
    assert page.status_code == 200 and page.headers["cache-control"].startswith("public, max-age=30")
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["last-modified"]
    again = httpx.get(base + "/public/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    # The task consumer runs in the serving process (rsgi_embedded.py, started with the worker).
    _wait_for_consumer(log)
    assert "Huey consumer started" in log.read_text()


def _wait_for_consumer(log: Path) -> None:
    deadline = time.monotonic() + 60
    while "Huey consumer started" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.3)


def test_ctrl_c_stops_the_server_and_its_consumer(served):
    base, process, log = served
    _wait_for_consumer(log)  # started: its shutdown is part of the stop
    os.killpg(process.pid, signal.SIGINT)
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("still running 60 s after Ctrl+C:\n" + log.read_text()[-3000:])
    assert code == 0, log.read_text()[-2000:]
    assert "Traceback" not in log.read_text()
