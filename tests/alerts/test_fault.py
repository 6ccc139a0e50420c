"""Fault test: a fan-out to a local SMTP server and a Brevo stand-in, workers SIGKILLed at random moments.

Default 1,000 recipients and 5 kills (``BEFFROI_FAULT_RECIPIENTS`` / ``BEFFROI_FAULT_KILLS`` for the
10,000 × 10 run of the issue). Everything runs in a separate data directory so that worker
subprocesses share the database.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from .servers import BrevoServer, SMTPServer

N = int(os.environ.get("BEFFROI_FAULT_RECIPIENTS", "1000"))
KILLS = int(os.environ.get("BEFFROI_FAULT_KILLS", "5"))
# Each worker sends e-mails on 2 connections, handed 4 at a time, and 4 SMS at once; a channel
# sends on while at most twice that many of its rows await their record, the most a SIGKILL can
# repeat per channel.
EMAIL_CONNECTIONS, EMAIL_BATCH, SMS_CONCURRENCY = 2, 4, 4
IN_FLIGHT = 2 * (EMAIL_CONNECTIONS * EMAIL_BATCH + SMS_CONCURRENCY)
BEFFROI = str(Path(sys.executable).with_name("beffroi"))
ROOT = Path(__file__).resolve().parents[2]

SEED = r"""
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beffroi.settings")
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from beffroi.alerts import actions
from beffroi.alerts.models import Subscriber
from beffroi.core.actors import SystemActor
from beffroi.territory.actions import do_add_communes
do_add_communes(["92063"], actor=SystemActor("cli"))  # the alert's area is clipped to the commune's outline
n = int(sys.argv[1])
now = timezone.now()
subs = []
for i in range(n):
    lon, lat = 2.18 + (i % 100) * 0.0001, 48.86 + (i // 100) * 0.00001
    if i % 2:
        subs.append(Subscriber(channel="email", address=f"r{i}@example.org", token=f"t{i}", lon=lon, lat=lat,
                               commune="92063", confirmed_at=now, consent_at=now))
    else:
        subs.append(Subscriber(channel="sms", address=f"+336{i:08d}", token=f"t{i}", lon=lon, lat=lat,
                               commune="92063", confirmed_at=now, consent_at=now))
Subscriber.objects.bulk_create(subs, batch_size=1000)
ring = [[2.17, 48.85], [2.20, 48.85], [2.20, 48.88], [2.17, 48.88], [2.17, 48.85]]
area = {"polygon": {"type": "Polygon", "coordinates": [ring]}}
alert = actions.do_draft_alert(hazard="inondation", communes=["92063"], area=area, actor=SystemActor("demo"))
v = alert.latest()
v.state = "approved"; v.approved_digest = v.digest(); v.save()
# Publication reaches citizens: only a user with the right may do it, never a system actor.
ops = get_user_model().objects.create_superuser("fault-ops", password=None)
v = actions.do_publish(v, actor=ops)
print(alert.pk, v.queued)
"""

REPORT = r"""
import os, json, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beffroi.settings")
django.setup()
from beffroi.alerts.selectors import reach_report
print(json.dumps(reach_report(int(sys.argv[1]))))
"""


def _admin_url() -> str | None:
    from django.conf import settings

    if settings.DATABASE_VENDOR != "postgresql":
        return None
    db = settings.DATABASES["default"]
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"


def _postgres_database(env: dict, suffix: str) -> str | None:
    """On PostgreSQL runs, the workers share a fresh database of their own (dropped afterwards)."""
    base = _admin_url()
    if base is None:
        return None
    import psycopg

    name = "beffroi_fault_" + "".join(c for c in suffix.lower() if c.isalnum())[:30]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    env["BEFFROI_DATABASE_URL"] = f"{base}/{name}"
    return name


def _drop_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{_admin_url()}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_fanout_survives_sigkill_exactly_once(tmp_path):
    smtp, sms = SMTPServer(), BrevoServer()
    env = {
        **os.environ,
        "BEFFROI_DATA_DIR": str(tmp_path),
        "BEFFROI_EMAIL_URL": smtp.url,
        "BEFFROI_SMS_URL": sms.url,
        "BEFFROI_TEST_SMS_BASE": sms.base,
        "DJANGO_SETTINGS_MODULE": "tests.alerts.fault_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        "BEFFROI_OUTBOX_LEASE_SECONDS": "2",
        "BEFFROI_EMAIL_CONNECTIONS": str(EMAIL_CONNECTIONS),
        "BEFFROI_EMAIL_BATCH": str(EMAIL_BATCH),
        "BEFFROI_SMS_CONCURRENCY": str(SMS_CONCURRENCY),
        "BEFFROI_DATABASE_URL": "",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    pg_name = _postgres_database(env, tmp_path.name)
    try:
        subprocess.run([BEFFROI, "manage", "migrate", "-v0"], env=env, check=True, capture_output=True)
        out = subprocess.run(
            [sys.executable, "-c", SEED, str(N)], env=env, check=True, capture_output=True, text=True
        ).stdout.split()
        alert_id, queued = int(out[-2]), int(out[-1])
        assert queued == N

        rng = random.Random(20261128)
        worker_cmd = [BEFFROI, "alerts", "dispatch", "--loop", "--interval", "0.2"]
        workers = [
            subprocess.Popen(worker_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(2)
        ]
        kills = 0
        progress = []
        while kills < KILLS:
            # Kill at a random point of the fan-out: after a random number of further receipts.
            target = smtp.counter.unique + sms.counter.unique + rng.randint(5, max(6, N // (KILLS + 2)))
            limit = time.time() + 60
            while smtp.counter.unique + sms.counter.unique < target and time.time() < limit:
                time.sleep(0.005)
            i = rng.randrange(2)
            workers[i].send_signal(signal.SIGKILL)
            workers[i].wait()
            progress.append(smtp.counter.unique + sms.counter.unique)
            kills += 1
            workers[i] = subprocess.Popen(
                worker_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        deadline = time.time() + 240
        while time.time() < deadline and smtp.counter.unique + sms.counter.unique < N:
            time.sleep(0.5)
        time.sleep(3)  # let the last in-flight rows be recorded
        for w in workers:
            w.send_signal(signal.SIGKILL)
            w.wait()
        subprocess.run([BEFFROI, "alerts", "dispatch"], env=env, check=True, capture_output=True)
        report = json.loads(
            subprocess.run(
                [sys.executable, "-c", REPORT, str(alert_id)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
    finally:
        smtp.stop()
        sms.stop()
        if pg_name:
            _drop_postgres_database(pg_name)
    emails, texts = N // 2, N - N // 2
    print(
        f"\nfault test: {N} recipients, {kills} SIGKILLs; e-mail unique {smtp.counter.unique} "
        f"(raw repeats {smtp.counter.duplicates}), SMS unique {sms.counter.unique} "
        f"(repeated SMS {sms.counter.duplicates}; at most {IN_FLIGHT} in flight a worker); "
        f"reach {report['delivered']}; "
        f"delivered when each kill hit: {progress}"
    )
    assert sum(1 for p in progress if 0 < p < N) >= min(2, KILLS), "kills must hit during the fan-out"
    # 0 lost
    assert smtp.counter.unique == emails and sms.counter.unique == texts
    # The SMS providers take no idempotency key: a worker killed between the provider's answer and
    # the record repeats the SMS it had in flight. The mailbox sees each Message-ID once, and the SMTP
    # layer repeats at most the messages in flight of each killed worker.
    assert all(len(m["to"]) == 1 for m in smtp.counter.messages.values())
    assert smtp.counter.duplicates + sms.counter.duplicates <= kills * IN_FLIGHT
    # reach report matches the servers
    assert report["targeted"] == N and report["pending"] == 0 and report["failed"] == 0
    assert report["delivered"] == smtp.counter.unique + sms.counter.unique
    assert report["versions"][0]["by_channel"]["email"]["delivered"] == smtp.counter.unique
    assert report["versions"][0]["by_channel"]["sms"]["delivered"] == sms.counter.unique
