"""Concurrent dispatch: rate limits per channel (shared by the workers in server mode), webhooks in
flight at once within their bound, OVHcloud jobs with many receivers, four workers sharing
the outbox on PostgreSQL without claiming a row twice. Local servers on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from beffroi.alerts import outbox, tasks
from beffroi.alerts.models import Delivery, StaffMessage, Subscriber
from beffroi.alerts.outbox import dispatch_all, enqueue_staff
from beffroi.alerts.selectors import reach_report
from beffroi.alerts.sending import RateLimiter
from tests.conftest import run_async

from .conftest import RUEIL, draft, publish_real
from .servers import BrevoServer, OVHServer, SMTPServer


def most_in_any_window(stamps: list[float], window: float) -> int:
    """The largest number of ``stamps`` inside any interval of ``window`` seconds."""
    stamps = sorted(stamps)
    best, first = 0, 0
    for last, stamp in enumerate(stamps):
        while stamp - stamps[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


def test_rate_limiter_spaces_starts_on_a_fake_clock():
    clock = {"now": 100.0}
    starts: list[float] = []

    async def fake_sleep(seconds):
        clock["now"] += seconds

    async def main():
        limiter = RateLimiter(50, clock=lambda: clock["now"], sleep=fake_sleep)

        async def one():
            await limiter.acquire()
            starts.append(clock["now"])

        # 1,000 callers at once, as a batch hands the lane a thousand payloads.
        await asyncio.gather(*(one() for _ in range(1000)))

    run_async(main())  # in a thread: Playwright's session loop may be running in this one
    assert len(starts) == 1000
    assert most_in_any_window(starts, 1.0) <= 51
    assert most_in_any_window(starts, 0.1) <= 6
    # and the limiter does not starve either: 1,000 starts span ~20 fake seconds at 50/s
    assert 19.0 <= max(starts) - min(starts) <= 20.0


def test_unlimited_lane_does_not_wait():
    async def never(_seconds):
        raise AssertionError("an unlimited lane slept")

    async def main():
        limiter = RateLimiter(0, sleep=never)
        for _ in range(100):
            await limiter.acquire()

    run_async(main())  # in a thread: Playwright's session loop may be running in this one


def _sms_subscribers(n: int, prefix: str = "+336100") -> None:
    now = timezone.now()
    Subscriber.objects.bulk_create(
        Subscriber(channel="sms", address=f"{prefix}{i:05d}", commune=RUEIL, token=f"r{i}", confirmed_at=now)
        for i in range(n)
    )


@pytest.fixture
def brevo(settings):
    server = BrevoServer()
    settings.SMS_URL, settings.SMS_BREVO_BASE_URL = server.url, server.base
    yield server
    server.stop()


@pytest.fixture
def held_dispatch(monkeypatch):
    """Publication queues the rows without dispatching them (the test dispatches)."""
    monkeypatch.setattr(tasks, "dispatch_outbox", lambda: None)


def test_sms_rate_limit_holds_over_every_window(
    composer, mayor, territory, brevo, settings, held_dispatch, monkeypatch
):
    """The lane's limiter grants the starts: they are counted as granted (its own clock's times), not
    as the gateway saw them, so the test does not depend on this machine's timing."""
    from beffroi.alerts import sending

    granted: list[float] = []

    class Recording(sending.RateLimiter):
        async def acquire(self):
            at = await super().acquire()
            granted.append(at)  # the start this request was given
            return at

    built = sending.limiter_for

    def recording(channel, rate):
        limiter = built(channel, rate)  # shared through Redis when the test run has one
        return Recording(rate, clock=limiter.clock, shared=limiter.shared)

    monkeypatch.setattr(sending, "limiter_for", recording)
    sending.engine().reset()
    settings.OUTBOX_CHANNELS = {**settings.OUTBOX_CHANNELS, "sms": {"concurrency": 16, "rate": 20.0}}
    _sms_subscribers(50)
    publish_real(draft(composer), composer, mayor)
    try:
        totals = dispatch_all()
    finally:
        sending.engine().reset()  # the next tests' lanes get the usual limiter
    assert totals["delivered"] == 50 and brevo.counter.unique == 50
    assert len(granted) == 50  # one start granted a request
    # 16 requests may be in flight, but no more than 20 start in any second (+1 at the window's edge).
    assert most_in_any_window(granted, 1.0) <= 21
    assert most_in_any_window(granted, 0.5) <= 11


def test_sms_without_rate_limit_goes_out_concurrently(
    composer, mayor, territory, brevo, settings, held_dispatch
):
    """The counterpart of the test above: unlimited, the same 50 SMS do not wait for one another."""
    settings.OUTBOX_CHANNELS = {**settings.OUTBOX_CHANNELS, "sms": {"concurrency": 16, "rate": 0.0}}
    _sms_subscribers(50)
    publish_real(draft(composer), composer, mayor)
    assert dispatch_all()["delivered"] == 50
    assert most_in_any_window(brevo.counter.stamps, 1.0) > 21


def _claim_and_prepare(n: int) -> int:
    """Queries to claim ``n`` SMS rows and prepare each one's message."""
    from beffroi.alerts.channels import sms

    with CaptureQueriesContext(connection) as queries:
        rows = outbox.claim("reader", n)
        for row in rows:
            sms.prepare(row)
    assert len(rows) == n and all(r.subscriber.token for r in rows)
    return len(queries)


def test_a_claim_reads_a_batch_in_the_same_queries_whatever_its_size(
    composer, mayor, territory, brevo, held_dispatch, monkeypatch
):
    """Subscriber, version and alert come with the claim, read once a batch: preparing a message
    reads nothing more (a query a row would be a second and more at 100,000 recipients)."""
    monkeypatch.setattr(outbox, "release_dead_workers", lambda *a, **k: 0)  # a look every few seconds
    _sms_subscribers(30)
    publish_real(draft(composer), composer, mayor)
    small = _claim_and_prepare(5)
    assert _claim_and_prepare(25) == small


def test_ovh_takes_one_job_for_every_number_that_gets_the_same_text(territory, settings):
    server = OVHServer()
    settings.SMS_URL, settings.SMS_OVH_BASE_URL = server.url, server.base + "/1.0"
    from beffroi.alerts.channels import sms

    sms._ovh_clock.clear()
    server.invalid_receivers = set()
    try:
        message = StaffMessage.objects.create(subject="Crue", text="Seuil de vigilance orange atteint")
        numbers = [f"+3361200000{i}" for i in range(7)]
        assert enqueue_staff(message, [("sms", n) for n in numbers]) == 7
        assert dispatch_all()["delivered"] == 7
    finally:
        server.stop()
    assert len(server.requests) == 1 and sorted(server.requests[0]["receivers"]) == numbers
    assert server.counter.unique == 7
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}


def test_citizens_sms_on_ovh_go_one_job_each_since_each_carries_its_own_link(
    composer, mayor, territory, settings, held_dispatch
):
    server = OVHServer()
    settings.SMS_URL, settings.SMS_OVH_BASE_URL = server.url, server.base + "/1.0"
    from beffroi.alerts.channels import sms

    sms._ovh_clock.clear()
    try:
        _sms_subscribers(5)
        publish_real(draft(composer), composer, mayor)
        assert dispatch_all()["delivered"] == 5
    finally:
        server.stop()
    assert [len(r["receivers"]) for r in server.requests] == [1] * 5


def _smtp(settings, server: SMTPServer) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.server_address[1]
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def test_email_connections_carry_many_messages(composer, mayor, territory, settings, held_dispatch):
    server = SMTPServer()
    connections_opened: list = []
    handle = server.RequestHandlerClass.handle

    def counted(self):
        connections_opened.append(1)
        return handle(self)

    server.RequestHandlerClass = type("Counted", (server.RequestHandlerClass,), {"handle": counted})
    _smtp(settings, server)
    settings.OUTBOX_CHANNELS = {**settings.OUTBOX_CHANNELS, "email": {"concurrency": 3, "rate": 0.0}}
    now = timezone.now()
    Subscriber.objects.bulk_create(
        Subscriber(
            channel="email", address=f"c{i}@example.org", commune=RUEIL, token=f"c{i}", confirmed_at=now
        )
        for i in range(60)
    )
    try:
        publish_real(draft(composer), composer, mayor)
        assert dispatch_all()["delivered"] == 60
    finally:
        server.stop()
    assert server.counter.unique == 60 and server.counter.duplicates == 0
    assert len(connections_opened) <= 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_workers_on_postgresql_never_claim_a_row_twice(make_user, settings, monkeypatch):
    assert connection.vendor == "postgresql"
    server = SMTPServer()
    _smtp(settings, server)
    settings.OUTBOX_BATCH = 20  # many claims each, so that the workers meet on the same rows
    composer = make_user("communication", [RUEIL])
    mayor = make_user("maire", [RUEIL], totp=True)
    n = 400
    now = timezone.now()
    Subscriber.objects.bulk_create(
        Subscriber(
            channel="email", address=f"w{i}@example.org", commune=RUEIL, token=f"w{i}", confirmed_at=now
        )
        for i in range(n)
    )
    monkeypatch.setattr(tasks, "dispatch_outbox", lambda: None)
    version = publish_real(draft(composer), composer, mayor)

    claimed: list[tuple[str, list[int]]] = []
    lock = threading.Lock()
    claim = outbox.claim

    def recorded(worker, limit=None):
        rows = claim(worker, limit)
        with lock:
            claimed.append((worker, [row.pk for row in rows]))
        return rows

    monkeypatch.setattr(outbox, "claim", recorded)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            start.wait()
            dispatch_all(f"worker-{i}")
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            connections.close_all()  # each thread had its own PostgreSQL connection

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    server.stop()
    assert not errors, errors[:3]
    every_claim = [pk for _worker, pks in claimed for pk in pks]
    assert len(every_claim) == len(set(every_claim)) == n, "a row was claimed twice, or never"
    assert len({worker for worker, pks in claimed if pks}) >= 2, "the workers did share the outbox"
    assert server.counter.unique == n and server.counter.duplicates == 0
    report = reach_report(version.alert_id)
    assert report["delivered"] == n and report["pending"] == 0


class _FakeRedis:
    """The booking script of ``SharedSlots`` played in Python (what Redis runs atomically), with a
    count of bookings: the shared limiter's logic checked without a Redis server."""

    def __init__(self, fail: bool = False):
        self.values: dict[str, float] = {}
        self.calls = 0
        self.fail = fail

    def register_script(self, _lua):
        def run(keys, args):
            self.calls += 1
            if self.fail:
                raise ConnectionError("test: Redis unreachable")
            at = max(float(args[0]), self.values.get(keys[0], 0.0))
            self.values[keys[0]] = at + float(args[1])
            return str(at).encode()

        return run


def _two_workers_share(make_slots, rate: float, per_worker: int) -> tuple[list[float], list[float]]:
    """Two workers' limiters (one lane each) on one shared store and one fake clock."""
    clock = {"now": 1_000_000.0}
    starts: dict[str, list[float]] = {"a": [], "b": []}

    async def fake_sleep(seconds):
        clock["now"] = max(clock["now"], clock["now"] + seconds)

    async def main():
        limiters = {
            name: RateLimiter(rate, clock=lambda: clock["now"], sleep=fake_sleep, shared=make_slots())
            for name in starts
        }

        async def one(name):
            await limiters[name].acquire()
            starts[name].append(clock["now"])

        await asyncio.gather(*(one(name) for _ in range(per_worker) for name in starts))

    run_async(main())  # in a thread: Playwright's session loop may be running in this one
    return starts["a"], starts["b"]


def test_rate_limit_is_shared_by_the_workers_of_a_channel():
    """Two workers with a 20/s SMS contract: together they start no more than 20 a second."""
    from beffroi.alerts.sending import SharedSlots

    fake = _FakeRedis()
    a, b = _two_workers_share(lambda: SharedSlots("", "sms", client=fake), 20.0, 200)
    everyone = a + b
    assert len(a) == len(b) == 200 and fake.calls == 400  # one booking a start
    assert most_in_any_window(everyone, 1.0) <= 21
    assert most_in_any_window(everyone, 0.25) <= 6
    # Each worker alone would have gone twice as fast: 400 starts take ~20 fake seconds, not ~10.
    assert 19.0 <= max(everyone) - min(everyone) <= 20.0


def test_worker_spaces_its_own_starts_when_the_shared_store_fails(caplog):
    from beffroi.alerts.sending import SharedSlots

    fake = _FakeRedis(fail=True)
    a, _b = _two_workers_share(lambda: SharedSlots("", "sms", client=fake), 20.0, 100)
    assert len(a) == 100 and most_in_any_window(a, 1.0) <= 21
    assert "shared rate limit unavailable" in caplog.text


@pytest.mark.redis
def test_shared_rate_limit_books_slots_in_redis_atomically():
    """The real Lua script on the test Redis: two workers, each with its own connection."""
    import os
    import uuid

    import redis

    from beffroi.alerts.sending import SharedSlots

    url = os.environ["BEFFROI_REDIS_URL"]
    channel = f"test-{uuid.uuid4().hex[:8]}"
    try:
        a, b = _two_workers_share(lambda: SharedSlots(url, channel), 50.0, 100)
        everyone = a + b
        assert len(everyone) == 200
        assert most_in_any_window(everyone, 1.0) <= 51
        assert 3.9 <= max(everyone) - min(everyone) <= 4.0
    finally:
        redis.Redis.from_url(url).delete(f"beffroi:outbox:rate:{channel}")


def test_lane_limiter_is_shared_in_server_mode_only(settings):
    from beffroi.alerts.sending import limiter_for

    settings.REDIS_URL = ""
    assert limiter_for("sms", 20.0).shared is None
    settings.REDIS_URL = "redis://127.0.0.1:6379/13"  # not contacted: the client connects on first use
    assert limiter_for("sms", 20.0).shared is not None
    assert limiter_for("sms", 0.0).shared is None  # no rate, nothing to share


def test_webhooks_go_out_concurrently_within_their_bound(composer, mayor, territory, settings, held_dispatch):
    """Twelve partners on a local server that holds each request until six are in flight: the lane
    (async client, BEFFROI_WEBHOOK_CONCURRENCY=6) has them all in flight at once and never more."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = {"in_flight": 0, "most": 0, "done": 0}
    lock = threading.Condition()

    class Partner(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                state["in_flight"] += 1
                state["most"] = max(state["most"], state["in_flight"])
                lock.notify_all()
                # Wait (bounded) until six are in flight or the rest have been answered.
                lock.wait_for(lambda: state["in_flight"] >= 6 or state["done"] >= 6, timeout=10)
                state["in_flight"] -= 1
                state["done"] += 1
                lock.notify_all()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Partner)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    settings.WEBHOOK_ALLOW_HOSTS = [f"127.0.0.1:{port}"]
    settings.OUTBOX_CHANNELS = {**settings.OUTBOX_CHANNELS, "webhook": {"concurrency": 6, "rate": 0.0}}
    now = timezone.now()
    Subscriber.objects.bulk_create(
        Subscriber(
            channel="webhook",
            address=f"http://127.0.0.1:{port}/hook/{i}",
            push_keys={"secret": "s"},
            commune=RUEIL,
            token=f"w{i}",
            confirmed_at=now,
        )
        for i in range(12)
    )
    try:
        publish_real(draft(composer), composer, mayor)
        assert dispatch_all()["delivered"] == 12
    finally:
        server.shutdown()
        server.server_close()
    assert state["most"] == 6
