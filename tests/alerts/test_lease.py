"""A worker's lease is renewed while its batch is out, and a SIGKILLed worker's batch is claimed again
within one lease (2 s here), not after a long fixed timeout. A worker subprocess sends to a local
SMTP server that holds its answers; SQLite, or PostgreSQL when the suite runs on it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

from .servers import SMTPServer, _SMTPHandler
from .test_fault import BEFFROI, ROOT, SEED, _drop_postgres_database, _postgres_database

N = 40
LEASE = 2

STATE = r"""
import os, json, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beffroi.settings")
django.setup()
from django.utils import timezone
from beffroi.alerts.models import Delivery
sending = Delivery.objects.filter(state="sending")
print(json.dumps({
    "now": timezone.now().timestamp(),
    "sending": sending.count(),
    "delivered": Delivery.objects.filter(state="delivered").count(),
    "latest_lease": max((d.lease_until.timestamp() for d in sending), default=None),
    "claimed_at": {d.pk: d.lease_until.timestamp() for d in sending},
}))
"""


class _Holding(_SMTPHandler):
    """Accepts each message but holds the answer while ``server.hold`` is set (the send is in flight)."""

    def reply(self, line: str) -> None:
        if line.startswith("250 queued") and self.server.hold.is_set():
            with self.server.counter.lock:
                self.server.held += 1
            while self.server.hold.is_set():
                time.sleep(0.05)
        with contextlib.suppress(OSError):  # the worker may be dead by now
            super().reply(line)


class HoldingSMTPServer(SMTPServer):
    def __init__(self):
        super().__init__()
        self.RequestHandlerClass = _Holding
        self.hold = threading.Event()
        self.held = 0


def _state(env) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", STATE], env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_killed_workers_batch_is_claimed_again_within_one_lease(tmp_path):
    smtp = HoldingSMTPServer()
    smtp.hold.set()
    env = {
        **os.environ,
        "BEFFROI_DATA_DIR": str(tmp_path),
        "BEFFROI_EMAIL_URL": smtp.url,
        "BEFFROI_SMS_URL": "brevo://unused@/?sender=MAIRIE",
        "BEFFROI_TEST_SMS_BASE": "http://127.0.0.1:9",
        "DJANGO_SETTINGS_MODULE": "tests.alerts.fault_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        "BEFFROI_OUTBOX_LEASE_SECONDS": str(LEASE),
        "BEFFROI_EMAIL_CONNECTIONS": "2",
        "BEFFROI_DATABASE_URL": "",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    pg_name = _postgres_database(env, tmp_path.name)
    worker_cmd = [BEFFROI, "alerts", "dispatch", "--loop", "--interval", "0.2", "--worker", "first"]
    try:
        subprocess.run([BEFFROI, "manage", "migrate", "-v0"], env=env, check=True, capture_output=True)
        # N recipients, every other one by e-mail: N / 2 e-mails (the SMS go to a closed port and wait).
        subprocess.run([sys.executable, "-c", SEED, str(N)], env=env, check=True, capture_output=True)
        first = subprocess.Popen(worker_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            limit = time.time() + 60
            while smtp.held < 2 and time.time() < limit:
                time.sleep(0.05)
            assert smtp.held == 2, "both connections hold an e-mail in flight"
            before = _state(env)
            # Three leases later the batch is still this worker's: the heartbeat renewed it.
            time.sleep(3 * LEASE)
            during = _state(env)
            assert during["sending"] >= N // 2 and during["delivered"] == 0
            assert during["latest_lease"] > before["now"] + LEASE, "the lease was renewed"
            assert during["latest_lease"] > during["now"], "and it still holds"
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        killed = _state(env)
        # Nothing the dead worker held outlives one lease after its last renewal.
        assert killed["latest_lease"] <= killed["now"] + LEASE
        smtp.hold.clear()
        time.sleep(max(0.0, killed["latest_lease"] - killed["now"]) + 0.2)
        out = subprocess.run(
            [BEFFROI, "alerts", "dispatch", "--worker", "second"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        totals = json.loads(out.strip().splitlines()[-1])
        after = _state(env)
    finally:
        smtp.hold.clear()
        smtp.stop()
        if pg_name:
            _drop_postgres_database(pg_name)
    # The second worker took the dead one's whole batch as soon as its lease ran out.
    assert totals["delivered"] == N // 2
    assert smtp.counter.unique == N // 2
    # The two held e-mails were accepted by the server before the kill: they are the only repeats.
    assert smtp.counter.duplicates == 2
    assert after["delivered"] == N // 2
