"""Server mode: two web processes (uvicorn) share Redis; an observation pushed to one reaches an SSE
client of the other, and a client resuming on the second process with Last-Event-ID misses nothing."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.redis

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
do_add_communes(["94052"], actor=SystemActor("cli"))
user = do_create_user("veilleur", role="cellule_crise", communes=["94052"], password="x" * 16,
                      actor=SystemActor("cli"), validate=False)
do_save_indicator(key="marne", label="Marne", unit="m", source="test", series="hubeau:F664000104:H",
                  commune="94052", actor=SystemActor("cli"),
                  thresholds=[{"level": 1, "name": "veille", "label": "Veille", "value": 2.0}])
s = SessionStore()
s[SESSION_KEY] = str(user.pk); s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
s[HASH_SESSION_KEY] = user.get_session_auth_hash(); s.create()
print(json.dumps({"session": s.session_key, "token": do_create_token(user, "t", actor=SystemActor("cli"))}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, proc, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode()[-2000:])
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError(url)


@pytest.fixture
def two_servers(tmp_path):
    import redis

    url = os.environ["BEFFROI_REDIS_URL"].rsplit("/", 1)[0] + "/13"  # a database of its own
    redis.Redis.from_url(url).flushdb()
    env = {
        **os.environ,
        "BEFFROI_DATA_DIR": str(tmp_path),
        "BEFFROI_REDIS_URL": url,
        "DJANGO_SETTINGS_MODULE": "beffroi.settings",
        "BEFFROI_LOG_LEVEL": "WARNING",
        # The processes share Redis; their database is an SQLite file of their own, so the test needs
        # no PostgreSQL database besides the suite's (CI only creates test_beffroi).
        "BEFFROI_DATABASE_URL": "",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    out = subprocess.run([sys.executable, "-c", SETUP], env=env, capture_output=True, check=True, timeout=120)
    creds = json.loads(out.stdout.decode().strip().splitlines()[-1])
    procs, urls = [], []
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    for _ in range(2):
        port = _free_port()
        proc = subprocess.Popen(
            [
                uvicorn,
                "beffroi.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        procs.append(proc)
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for proc, base in zip(procs, urls, strict=True):
            _wait(base + "/healthz", proc)
        yield urls, creds
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
        redis.Redis.from_url(url).flushdb()


def _read_events(response, n, timeout=10.0):
    events, buffer = [], ""
    deadline = time.monotonic() + timeout
    for chunk in response.iter_text():
        buffer += chunk
        while "\n\n" in buffer:
            frame, buffer = buffer.split("\n\n", 1)
            fields = dict(
                line.split(": ", 1)
                for line in frame.splitlines()
                if ": " in line and not line.startswith(":")
            )
            if "event" in fields:
                events.append(fields)
        if len(events) >= n or time.monotonic() > deadline:
            break
    return events


def _push(base, token, value, minutes_ago):
    at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 60 * minutes_ago))
    response = httpx.post(
        f"{base}/api/observations",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
        json={"points": [{"series": "hubeau:F664000104:H", "at": at, "value": value, "unit": "m"}]},
    )
    assert response.status_code == 200, response.text


def test_event_published_through_one_process_reaches_a_client_of_the_other(two_servers):
    (a, b), creds = two_servers
    cookies = {"sessionid": creds["session"]}
    with (
        httpx.Client(cookies=cookies, timeout=httpx.Timeout(10, read=10)) as client,
        client.stream("GET", f"{a}/live/", params={"topics": "monitoring", "heartbeat": "0.5"}) as response,
    ):
        assert response.status_code == 200
        time.sleep(0.5)
        _push(b, creds["token"], 1.5, 3)  # through process B
        got = _read_events(response, 1)
    assert got and got[0]["event"] == "observation" and '"value":1.5' in got[0]["data"]
    first_id = got[0]["id"]
    # The client is disconnected; two more values arrive (through A this time), then it resumes on B.
    _push(a, creds["token"], 2.5, 2)
    _push(a, creds["token"], 2.6, 1)
    with (
        httpx.Client(cookies=cookies, timeout=httpx.Timeout(10, read=10)) as client,
        client.stream(
            "GET",
            f"{b}/live/",
            params={"topics": "monitoring", "heartbeat": "0.5"},
            headers={"Last-Event-ID": first_id},
        ) as response,
    ):
        got = _read_events(response, 4)
    kinds = [(e["event"], json.loads(e["data"]).get("value")) for e in got]
    assert ("observation", 2.5) in kinds and ("observation", 2.6) in kinds
    assert any(kind == "level" for kind, _ in kinds)  # 2.5 crossed the veille threshold
    ids = [tuple(map(int, e["id"].split("-"))) for e in got]
    assert ids == sorted(ids) and ids[0] > tuple(map(int, first_id.split("-")))
