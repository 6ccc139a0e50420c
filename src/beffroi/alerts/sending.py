"""The outbox's sending engine: one asyncio loop per worker process, one lane per channel.

The outbox (database side) claims rows, asks each channel to ``prepare(delivery)`` its payload in
the worker's main thread (rendering may read the database), then hands the payloads to this
engine, which sends them on its own thread: each channel's transport (``channels/<name>``,
``transport()``) runs at most ``concurrency`` requests at once and starts at most ``rate`` per
second (in server mode for all workers together: the slots are booked in Redis, ``SharedSlots``).
A transport that takes many receivers per request (OVHcloud's SMS jobs) offers
``batch_key(payload)``; payloads with the same key go out in one call of ``send_batch`` (the SMTP
threads use it too, to be handed a few messages at a time). Each
outcome (a provider id, or the exception) is reported as soon as it is known, so the outbox records
it while the rest of the batch is in flight.

Kept by hand rather than with a task library: it is a hundred lines, and what matters here (a
rate per channel, cancelling rows whose lease was lost, reporting each outcome at once) is what
generic pools do not offer.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)
LOST = object()  # reported for a row not sent because the worker lost its lease


class RateLimiter:
    """At most ``rate`` starts per second, evenly spaced (0 = no limit).

    Starts are spaced by 1/rate, so any window of W seconds holds at most W * rate + 1 of them.
    ``clock`` and ``sleep`` are injectable so that the spacing can be checked on a fake clock.
    With ``shared`` (a ``SharedSlots``), the slots are booked in one place for every worker of the
    channel, so the rate holds for all of them together; if the shared store fails, this worker
    falls back to spacing its own starts (and says so in the log).
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep=asyncio.sleep,
        shared: SharedSlots | None = None,
    ):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self.shared = shared
        self.next = 0.0

    async def acquire(self) -> float:
        """Wait for this caller's start; returns it (on ``clock``), or 0.0 on an unlimited lane."""
        if not self.interval:
            return 0.0
        now = self.clock()
        at = max(now, self.next)
        if self.shared is not None:
            try:
                at = self.shared.book(now, self.interval)
            except Exception as exc:  # noqa: BLE001 - Redis unreachable: go on alone, said in the log
                log.warning("alerts: shared rate limit unavailable (%s); this worker spaces its own", exc)
        # Booked before sleeping: concurrent callers queue up one interval apart.
        self.next = at + self.interval
        if at > now:
            await self.sleep(at - now)
        return at


_BOOK_LUA = """
local booked = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(tonumber(ARGV[1]), booked)
redis.call('SET', KEYS[1], tostring(at + tonumber(ARGV[2])), 'PX', ARGV[3])
return tostring(at)
"""


class SharedSlots:
    """A channel's next free start, in Redis, for every worker (server mode).

    ``book(now, interval)`` returns the start this caller gets (``now`` or later) and moves the next
    free start one interval after it, in one Lua script (atomic across processes and hosts). The
    clock is the wall clock (``time.time``), which the workers' hosts share through NTP. A call
    costs one round trip to Redis (~0.1 ms on a local network): it is made only on rate-limited
    lanes, whose providers allow tens to hundreds of requests per second.
    """

    def __init__(self, url: str, channel: str, *, client: Any = None):
        import redis

        self.redis = client if client is not None else redis.Redis.from_url(url, socket_timeout=2)
        self.key = f"beffroi:outbox:rate:{channel}"
        self.script = self.redis.register_script(_BOOK_LUA)

    def book(self, now: float, interval: float) -> float:
        # The key expires a minute after the last booked slot: an idle channel leaves nothing behind.
        keep_ms = int((interval + 60) * 1000)
        return float(self.script(keys=[self.key], args=[repr(now), repr(interval), keep_ms]))


def limiter_for(channel: str, rate: float) -> RateLimiter:
    """A lane's limiter: shared by every worker through Redis in server mode, per process otherwise."""
    from django.conf import settings

    if rate > 0 and settings.REDIS_URL:
        return RateLimiter(rate, clock=time.time, shared=SharedSlots(settings.REDIS_URL, channel))
    return RateLimiter(rate)


@dataclass
class Lane:
    config: Hashable
    transport: Any
    semaphore: asyncio.Semaphore  # requests in flight
    window: asyncio.Semaphore  # rows sent or in flight whose outcome the outbox has not written yet
    limiter: RateLimiter


class Engine:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.lanes: dict[str, Lane] = {}  # touched only on the loop's thread, like `unwritten`
        self.unwritten: dict[int, Lane] = {}  # row id -> the lane whose window it holds
        self.thread = threading.Thread(target=self.loop.run_forever, name="beffroi-outbox", daemon=True)
        self.thread.start()
        # The lanes' connections are closed before the interpreter goes (aiohttp sessions complain
        # when they are collected open).
        atexit.register(self._close_at_exit)

    def _close_at_exit(self) -> None:
        with contextlib.suppress(Exception):  # leaving anyway: nothing to report to
            self.reset()

    def run(
        self,
        items: list[tuple[str, int, Any]],
        report: Callable[[int, Any], None],
        cancelled: set[int],
    ) -> Future:
        """Send ``items`` (channel, row id, payload); ``report(row id, outcome)`` is called for each."""
        return asyncio.run_coroutine_threadsafe(self._run(items, report, cancelled), self.loop)

    async def _lane(self, channel: str) -> Lane:
        from beffroi.alerts.channels import get_channel, lane_settings

        module = get_channel(channel)
        config = (module.transport_config(), lane_settings(channel))
        lane = self.lanes.get(channel)
        if lane is not None and lane.config == config:
            return lane
        if lane is not None:  # the settings changed: the old connections go
            await lane.transport.aclose()
        concurrency, rate = config[1]
        transport = module.transport()
        # Twice the concurrency: sending goes on while the outbox writes the last outcomes, and a
        # SIGKILL still repeats at most this many rows of the lane.
        window = 2 * concurrency * getattr(transport, "batch_size", 1)
        lane = Lane(
            config,
            transport,
            asyncio.Semaphore(concurrency),
            asyncio.Semaphore(window),
            limiter_for(channel, rate),
        )
        self.lanes[channel] = lane
        return lane

    async def _run(self, items, report, cancelled) -> None:
        by_channel: dict[str, list[tuple[int, Any]]] = {}
        for channel, row_id, payload in items:
            by_channel.setdefault(channel, []).append((row_id, payload))
        tasks = []
        for channel, rows in by_channel.items():
            lane = await self._lane(channel)
            key = getattr(lane.transport, "batch_key", None)
            if key is None:
                groups = [[row] for row in rows]
            else:
                buckets: dict[Hashable, list[tuple[int, Any]]] = {}
                for row in rows:
                    buckets.setdefault(key(row[1]), []).append(row)
                size = lane.transport.batch_size
                groups = [b[i : i + size] for b in buckets.values() for i in range(0, len(b), size)]
            tasks += [asyncio.create_task(self._send(lane, group, report, cancelled)) for group in groups]
        await asyncio.gather(*tasks)

    def reset(self) -> None:
        """Close every lane's transport: the next batch builds them afresh (from the settings and the
        channels' client factories as they are then)."""
        asyncio.run_coroutine_threadsafe(self._reset(), self.loop).result(30)

    async def _reset(self) -> None:
        lanes, self.lanes = list(self.lanes.values()), {}
        for lane in lanes:
            await lane.transport.aclose()

    def written(self, row_ids: list[int]) -> None:
        """The outbox wrote these rows' outcomes: their places in the window are free again."""
        self.loop.call_soon_threadsafe(self._free, row_ids)

    def _free(self, row_ids: list[int]) -> None:
        for row_id in row_ids:
            lane = self.unwritten.pop(row_id, None)
            if lane is not None:
                lane.window.release()

    async def _send(self, lane: Lane, group, report, cancelled) -> None:
        async with lane.semaphore:
            for row_id, _payload in group:
                if row_id in cancelled:
                    report(row_id, LOST)
            group = [row for row in group if row[0] not in cancelled]
            if not group:
                return
            for row_id, _payload in group:
                await lane.window.acquire()
                self.unwritten[row_id] = lane
            await lane.limiter.acquire()
            outcomes: list[Any]
            try:
                if hasattr(lane.transport, "batch_key"):
                    outcomes = list(await lane.transport.send_batch([p for _, p in group]))
                else:
                    outcomes = [await lane.transport.send(group[0][1])]
            except Exception as exc:  # the whole request failed: every row in it shares the outcome
                outcomes = [exc] * len(group)
            for (row_id, _payload), outcome in zip(group, outcomes, strict=True):
                report(row_id, outcome)


_engine: Engine | None = None
_lock = threading.Lock()


def engine() -> Engine:
    global _engine
    with _lock:
        if _engine is None:
            _engine = Engine()
        return _engine


class ThreadTransport:
    """A blocking send run on ``concurrency`` threads of its own (SMTP): each thread keeps its
    connection between messages and is handed ``batch_size`` messages at a time, sent one after
    the other, each with its own outcome.

    Each hand-over between the loop and a thread costs wake-ups of both and turns of the GIL; for
    a mass e-mail they were a fifth of the time (10,000 recipients on two workers: 5.9 s with one
    message a hand-over, 4.8 s with four). The engine's window grows with the batch (twice the
    connections times the batch): a SIGKILL repeats at most that many messages of a worker. The
    engine starts each hand-over at the lane's rate: a rate-limited lane takes one message at a time.
    """

    def __init__(
        self,
        send: Callable[[Any], str],
        concurrency: int,
        *,
        batch_size: int = 1,
        close: Callable[[], None] | None = None,
    ):
        from concurrent.futures import ThreadPoolExecutor

        self._send = send
        self._close = close
        self.batch_size = max(1, batch_size)
        self.pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="beffroi-send")

    def batch_key(self, payload) -> int:
        return 0  # any messages go together: each is sent on its own

    def _send_all(self, payloads) -> list:
        outcomes: list = []
        for payload in payloads:
            try:
                outcomes.append(self._send(payload))
            except Exception as exc:  # noqa: BLE001 - each message's own outcome
                outcomes.append(exc)
        return outcomes

    async def send_batch(self, payloads) -> list:
        return await asyncio.get_running_loop().run_in_executor(self.pool, self._send_all, payloads)

    async def aclose(self) -> None:
        self.pool.shutdown(wait=False)
        if self._close is not None:
            self._close()


class HostClients:
    """One ``httpx.AsyncClient`` per host name, for the channels that POST to a partner's or a push
    service's address after the SSRF guard checked it (webhooks, web push).

    The request goes to the checked address with the TLS name (``sni_hostname``) of the host, and
    httpx pools connections by the address it connects to: two names served from one address would
    share a connection whose certificate was checked for the first. A client per name keeps the
    keep-alive connections (thousands of pushes to one push service) without that mix. At most
    ``size`` names are kept; the least recently used one is closed.
    """

    def __init__(self, factory: Callable[[], Any], size: int = 64):
        from collections import OrderedDict

        self.factory = factory
        self.size = size
        self.clients: OrderedDict[Hashable, Any] = OrderedDict()
        self.closing: set[asyncio.Task] = set()

    def get(self, key: Hashable):
        client = self.clients.get(key)
        if client is None:
            client = self.clients[key] = self.factory()
            while len(self.clients) > self.size:
                _key, old = self.clients.popitem(last=False)
                task = asyncio.get_running_loop().create_task(old.aclose())
                self.closing.add(task)
                task.add_done_callback(self.closing.discard)
        else:
            self.clients.move_to_end(key)
        return client

    async def aclose(self) -> None:
        clients, self.clients = list(self.clients.values()), type(self.clients)()
        for client in clients:
            await client.aclose()
