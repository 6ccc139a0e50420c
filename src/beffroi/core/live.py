"""Live events: one publish call, a broker per process, a replayable stream for SSE clients.

Apps publish through :func:`beffroi.core.events.publish_event`, which checks the event against the
catalogue and calls :func:`publish` here (the low-level broker call). Each event gets an id of the form
``"<milliseconds>-<sequence>"`` (Redis stream ids have the same form), strictly increasing, and is kept
in a bounded replay buffer so a client that reconnects with ``Last-Event-ID`` receives every event it
missed. If the buffer no longer holds the events after that id, the client gets a ``resync`` event
(the dashboard then reloads its state) instead of silently missing something.

Two brokers share one fan-out:

- embedded mode (no ``settings.REDIS_URL``): the in-process :class:`MemoryBroker` assigns ids and
  keeps the buffer in memory (Huey runs its consumer threads in the web process in this mode).
- server mode: :class:`RedisBroker` appends each event to a capped Redis stream and publishes it on a
  pub/sub channel in one atomic Lua script (so the stream order and the channel order are the same).
  One listener thread per process receives the channel and fans events out to that process's
  subscribers; a resuming client replays from the stream. Any web process can serve any dashboard.

Events are published after the current transaction commits (never for a rolled-back write), at once
outside a transaction. Tests that need the events run the commit callbacks (pytest-django's
``django_capture_on_commit_callbacks(execute=True)``) or use ``transaction=True``.

Subscribers are either async (``subscribe``: an async iterator, for the ASGI SSE view) or blocking
(``subscribe_sync``: for WSGI servers such as the test live server). Both yield ``None`` as a
heartbeat when nothing happened for ``heartbeat`` seconds, so the view can send a keep-alive comment.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from beffroi.core.stream_gc import STREAMS

log = logging.getLogger(__name__)

TOPICS = ("monitoring", "crisis", "alerts", "registry")
DEFAULT_BUFFER = 2000
SUBSCRIBER_QUEUE = 2000
RESYNC = "resync"


@dataclass(frozen=True)
class Event:
    id: str
    topic: str
    event: str
    data: dict
    ts: float = 0.0  # epoch seconds when published (after the commit): lets clients measure delivery

    def key(self) -> tuple[int, int]:
        return parse_id(self.id)

    def to_sse(self) -> bytes:
        """The event as an SSE frame (``id:``, ``event:``, ``data:``); encoded once for all clients."""
        return self._frame

    @cached_property
    def _frame(self) -> bytes:
        body = {"topic": self.topic, **self.data} if "topic" not in self.data else dict(self.data)
        if self.ts:
            body["_ts"] = round(self.ts, 6)
        payload = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
        return f"id: {self.id}\nevent: {self.event}\ndata: {payload}\n\n".encode()


def parse_id(value: str | None) -> tuple[int, int]:
    """``"1700000000000-3"`` → ``(1700000000000, 3)``; anything unparsable → ``(0, 0)`` (replay all)."""
    if not value:
        return (0, 0)
    try:
        ms, _, seq = str(value).strip().partition("-")
        return (int(ms), int(seq or 0))
    except ValueError:
        return (0, 0)


def format_id(key: tuple[int, int]) -> str:
    return f"{key[0]}-{key[1]}"


def _encode(data: dict) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


# --- Subscribers ---------------------------------------------------------------------------------


class _Subscriber:
    """One connected client. ``deliver`` is called from any thread with a batch of events."""

    def __init__(self, topics: set[str] | None):
        self.topics = topics
        self.overflowed = False

    def wants(self, event: Event) -> bool:
        return self.topics is None or event.topic in self.topics or event.event == RESYNC


class _AsyncSubscriber(_Subscriber):
    def __init__(self, topics, loop: asyncio.AbstractEventLoop):
        super().__init__(topics)
        self.loop = loop
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=SUBSCRIBER_QUEUE)
        self.active_at = loop.time()
        self.timer: asyncio.TimerHandle | None = None

    def start_heartbeat(self, every: float) -> None:
        """Put ``None`` in the queue after ``every`` seconds without an event: one timer handle per
        client and heartbeat period, instead of a ``wait_for`` task per event (matters at 1000 clients)."""

        def beat():
            if self.loop.time() - self.active_at >= every * 0.9 and self.queue.empty():
                self.queue.put_nowait(None)
            self.timer = self.loop.call_later(every, beat)

        self.timer = self.loop.call_later(every, beat)

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()

    def put_many(self, events: list[Event]) -> None:  # runs on self.loop
        for event in events:
            if not self.wants(event):
                continue
            try:
                self.queue.put_nowait(event)
                self.active_at = self.loop.time()
            except asyncio.QueueFull:
                self.overflowed = True
                return


class _SyncSubscriber(_Subscriber):
    def __init__(self, topics):
        super().__init__(topics)
        self.queue: queue.Queue = queue.Queue(maxsize=SUBSCRIBER_QUEUE)

    def put_many(self, events: list[Event]) -> None:
        for event in events:
            if not self.wants(event):
                continue
            try:
                self.queue.put_nowait(event)
            except queue.Full:
                self.overflowed = True
                return


class _FanOut:
    """Delivers events to this process's subscribers: one wake-up per event loop, not per client."""

    def __init__(self):
        self.lock = threading.Lock()
        self.async_subs: dict[asyncio.AbstractEventLoop, set[_AsyncSubscriber]] = {}
        self.sync_subs: set[_SyncSubscriber] = set()

    def add(self, sub: _Subscriber) -> None:
        with self.lock:
            if isinstance(sub, _AsyncSubscriber):
                subs = self.async_subs.setdefault(sub.loop, set())
                if sub not in subs:
                    subs.add(sub)
                    STREAMS.stream_opened()
            elif isinstance(sub, _SyncSubscriber):
                self.sync_subs.add(sub)

    def remove(self, sub: _Subscriber) -> None:
        with self.lock:
            if isinstance(sub, _AsyncSubscriber):
                subs = self.async_subs.get(sub.loop)
                if subs is not None and sub in subs:
                    subs.discard(sub)
                    if not subs:
                        del self.async_subs[sub.loop]
                    STREAMS.stream_closed(sum(len(s) for s in self.async_subs.values()))
            else:
                self.sync_subs.discard(sub)

    def count(self) -> int:
        with self.lock:
            return sum(len(s) for s in self.async_subs.values()) + len(self.sync_subs)

    def dispatch(self, events: list[Event]) -> None:
        with self.lock:
            per_loop = [(loop, list(subs)) for loop, subs in self.async_subs.items()]
            sync_subs = list(self.sync_subs)
        for loop, subs in per_loop:
            try:
                loop.call_soon_threadsafe(_deliver_all, subs, events)
            except RuntimeError:  # loop closed: its subscribers are gone
                with self.lock:
                    self.async_subs.pop(loop, None)
        for sub in sync_subs:
            sub.put_many(events)


def _deliver_all(subs: list[_AsyncSubscriber], events: list[Event]) -> None:
    for sub in subs:
        sub.put_many(events)


# --- Brokers ---------------------------------------------------------------------------------------


class MemoryBroker:
    """The embedded broker: ids and the replay buffer live in this process."""

    def __init__(self, buffer_size: int = DEFAULT_BUFFER):
        self.buffer: deque[Event] = deque(maxlen=buffer_size)
        self.fanout = _FanOut()
        self.lock = threading.Lock()
        self.last_key = (0, 0)
        self.trimmed_key = (0, 0)  # highest id dropped from the buffer

    def _next_key(self) -> tuple[int, int]:
        ms = int(time.time() * 1000)
        key = (ms, 0) if ms > self.last_key[0] else (self.last_key[0], self.last_key[1] + 1)
        self.last_key = key
        return key

    def publish(self, topic: str, event: str, data: dict) -> str:
        data = json.loads(_encode(data))  # the same JSON-safe copy every subscriber sees
        with self.lock:
            item = Event(format_id(self._next_key()), topic, event, data, time.time())
            if len(self.buffer) == self.buffer.maxlen:
                self.trimmed_key = self.buffer[0].key()
            self.buffer.append(item)
            # Dispatch under the lock so every subscriber receives events in id order.
            self.fanout.dispatch([item])
        return item.id

    def register(self, sub: _Subscriber, last_event_id: str | None) -> list[Event]:
        """Add ``sub`` and return the events it missed after ``last_event_id`` (atomically)."""
        with self.lock:
            self.fanout.add(sub)
            if last_event_id is None:
                return []
            after = parse_id(last_event_id)
            missed = [e for e in self.buffer if e.key() > after and sub.wants(e)]
            if after < self.trimmed_key:
                missed.insert(0, _resync_event(self.trimmed_key))
            return missed

    async def aregister(self, sub: _Subscriber, last_event_id: str | None) -> list[Event]:
        return self.register(sub, last_event_id)

    def unregister(self, sub: _Subscriber) -> None:
        self.fanout.remove(sub)

    def recent(self, after: str | None = None) -> list[Event]:
        with self.lock:
            key = parse_id(after)
            return [e for e in self.buffer if e.key() > key]

    def last_id(self) -> str:
        with self.lock:
            return format_id(self.last_key)

    def close(self) -> None:
        pass


_PUBLISH_LUA = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2])
redis.call('PUBLISH', KEYS[2], id .. ' ' .. ARGV[2])
return id
"""


class RedisBroker:
    """Server mode: a capped Redis stream for replay, a pub/sub channel for live delivery."""

    def __init__(self, url: str, buffer_size: int = DEFAULT_BUFFER, prefix: str = "beffroi:live"):
        import redis

        self.url = url
        self.buffer_size = buffer_size
        self.stream_key = f"{prefix}:stream"
        self.channel = f"{prefix}:events"
        # Any: the redis client is typed for both its sync and async flavours, which mypy cannot tell apart.
        self.redis: Any = redis.Redis.from_url(url)
        self.script = self.redis.register_script(_PUBLISH_LUA)
        self.fanout = _FanOut()
        self.lock = threading.Lock()
        self.listener: threading.Thread | None = None
        self.listening = threading.Event()
        self.stopping = False
        self.pubsub: Any = None

    def publish(self, topic: str, event: str, data: dict) -> str:
        body = _encode({"t": topic, "e": event, "d": data, "s": time.time()})
        event_id = self.script(keys=[self.stream_key, self.channel], args=[self.buffer_size, body])
        return event_id.decode() if isinstance(event_id, bytes) else str(event_id)

    @staticmethod
    def _decode(event_id: str, body: bytes | str) -> Event:
        payload = json.loads(body)
        return Event(event_id, payload["t"], payload["e"], payload["d"], payload.get("s", 0.0))

    def _ensure_listener(self) -> None:
        with self.lock:
            if self.listener is not None and self.listener.is_alive():
                return
            self.listening.clear()
            self.listener = threading.Thread(target=self._listen, name="beffroi-live-redis", daemon=True)
            self.listener.start()
        if not self.listening.wait(5):
            raise RuntimeError(f"could not subscribe to Redis at {self.url}")

    def _listen(self) -> None:
        import redis

        while not self.stopping:
            try:
                self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                self.pubsub.subscribe(self.channel)
                self.listening.set()
                while not self.stopping:
                    message = self.pubsub.get_message(timeout=1.0)
                    if message is None or message.get("type") != "message":
                        continue
                    raw = message["data"]
                    raw = raw.decode() if isinstance(raw, bytes) else raw
                    event_id, _, body = raw.partition(" ")
                    self.fanout.dispatch([self._decode(event_id, body)])
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                if self.stopping:
                    return
                log.warning("live: Redis listener lost its connection (%s); reconnecting", exc)
                # Clients reconnect with Last-Event-ID and replay from the stream: nothing is lost.
                self.fanout.dispatch([_resync_event((int(time.time() * 1000), 0))])
                time.sleep(0.5)
            finally:
                try:
                    if self.pubsub is not None:
                        self.pubsub.close()
                except Exception:  # noqa: BLE001, S110 - closing a broken connection
                    pass

    def _replay(self, sub: _Subscriber, last_event_id: str) -> list[Event]:
        after = parse_id(last_event_id)
        missed: list[Event] = []
        try:
            info = self.redis.xinfo_stream(self.stream_key)
            deleted = parse_id(_text(info.get("max-deleted-entry-id") or info.get(b"max-deleted-entry-id")))
        except Exception:  # noqa: BLE001 - no stream yet
            deleted = (0, 0)
        if after < deleted:
            missed.append(_resync_event(deleted))
        start = "(" + format_id(after)
        while True:
            rows = self.redis.xrange(self.stream_key, min=start, max="+", count=500)
            for row_id, fields in rows:
                row_id = _text(row_id)
                body = fields.get(b"e") or fields.get("e")
                event = self._decode(row_id, body)
                if sub.wants(event):
                    missed.append(event)
            if len(rows) < 500:
                break
            start = "(" + _text(rows[-1][0])
        return missed

    def register(self, sub: _Subscriber, last_event_id: str | None) -> list[Event]:
        self._ensure_listener()
        self.fanout.add(sub)  # first, so nothing published during the replay is lost
        return self._replay(sub, last_event_id) if last_event_id is not None else []

    async def aregister(self, sub: _Subscriber, last_event_id: str | None) -> list[Event]:
        with self.lock:
            ready = self.listener is not None and self.listener.is_alive() and self.listening.is_set()
        if ready and last_event_id is None:
            self.fanout.add(sub)
            return []
        return await asyncio.to_thread(self.register, sub, last_event_id)

    def unregister(self, sub: _Subscriber) -> None:
        self.fanout.remove(sub)

    def recent(self, after: str | None = None) -> list[Event]:
        return self._replay(_Subscriber(None), after or "0-0")

    def last_id(self) -> str:
        rows = self.redis.xrevrange(self.stream_key, count=1)
        return _text(rows[0][0]) if rows else "0-0"

    def close(self) -> None:
        self.stopping = True
        if self.listener is not None:
            self.listener.join(3)
        self.redis.close()


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


def _resync_event(key: tuple[int, int]) -> Event:
    return Event(format_id(key), "live", RESYNC, {"reason": "events were dropped from the replay buffer"})


# --- Module-level API --------------------------------------------------------------------------------

_broker = None
_broker_lock = threading.Lock()


def get_broker():
    """The process's broker, created on first use from the settings."""
    global _broker
    if _broker is None:
        with _broker_lock:
            if _broker is None:
                size = int(getattr(settings, "LIVE_REPLAY_SIZE", DEFAULT_BUFFER))
                _broker = RedisBroker(settings.REDIS_URL, size) if settings.REDIS_URL else MemoryBroker(size)
    return _broker


def set_broker(broker) -> None:
    """Replace the broker (tests, benchmarks); ``None`` means "build from settings on next use"."""
    global _broker
    with _broker_lock:
        old, _broker = _broker, broker
    if old is not None and old is not broker:
        old.close()


def reset() -> None:
    """Forget every event and subscriber (tests)."""
    set_broker(None)


def publish(topic: str, event: str, data: dict) -> None:
    """Publish ``event`` on ``topic`` with a JSON-serialisable ``data`` dict, after the commit.

    The low-level broker call: apps use :func:`beffroi.core.events.publish_event`."""
    if not connection.in_atomic_block:
        _publish_now(topic, event, data)
    else:
        transaction.on_commit(lambda: _publish_now(topic, event, data), robust=True)


def _publish_now(topic: str, event: str, data: dict) -> None:
    try:
        get_broker().publish(topic, event, data)
    except Exception:  # a live update must never break the write that caused it
        log.exception("live: could not publish %s/%s", topic, event)


def recent(after: str | None = None) -> list[Event]:
    return get_broker().recent(after)


def last_id() -> str:
    """The id of the newest event (``"0-0"`` if none): a page rendered now passes it to its
    EventSource so that nothing published between the render and the connection is missed."""
    return get_broker().last_id()


def _topics(topics: Iterable[str] | None) -> set[str] | None:
    return set(topics) if topics else None


async def subscribe(
    topics: Iterable[str] | None = None, last_event_id: str | None = None, heartbeat: float = 15.0
) -> AsyncIterator[Event | None]:
    """Yield the events of ``topics`` (all if None) as they come, after the ones missed since
    ``last_event_id``; ``None`` every ``heartbeat`` seconds of silence. Never ends on its own."""
    broker = get_broker()
    sub = _AsyncSubscriber(_topics(topics), asyncio.get_running_loop())
    last = parse_id(last_event_id)
    try:
        for event in await broker.aregister(sub, last_event_id):
            if event.event == RESYNC or event.key() > last:
                last = max(last, event.key()) if event.event != RESYNC else last
                yield event
        sub.start_heartbeat(heartbeat)
        while True:
            if sub.overflowed:  # a slow client: replay from the buffer instead of dropping events
                broker.unregister(sub)
                sub.close()
                sub = _AsyncSubscriber(_topics(topics), asyncio.get_running_loop())
                for event in await broker.aregister(sub, format_id(last)):
                    if event.event == RESYNC or event.key() > last:
                        last = max(last, event.key()) if event.event != RESYNC else last
                        yield event
                sub.start_heartbeat(heartbeat)
                continue
            event = await sub.queue.get()
            if event is None:
                yield None
                continue
            if event.event == RESYNC or event.key() > last:
                if event.event != RESYNC:
                    last = event.key()
                yield event
    finally:
        broker.unregister(sub)
        sub.close()


def subscribe_sync(
    topics: Iterable[str] | None = None, last_event_id: str | None = None, heartbeat: float = 15.0
) -> Iterator[Event | None]:
    """Blocking twin of :func:`subscribe`, for a thread per connection (WSGI servers)."""
    broker = get_broker()
    sub = _SyncSubscriber(_topics(topics))
    last = parse_id(last_event_id)
    try:
        for event in broker.register(sub, last_event_id):
            if event.event == RESYNC or event.key() > last:
                last = max(last, event.key()) if event.event != RESYNC else last
                yield event
        while True:
            if sub.overflowed:
                broker.unregister(sub)
                sub = _SyncSubscriber(_topics(topics))
                for event in broker.register(sub, format_id(last)):
                    if event.event == RESYNC or event.key() > last:
                        last = max(last, event.key()) if event.event != RESYNC else last
                        yield event
                continue
            try:
                event = sub.queue.get(timeout=heartbeat)
            except queue.Empty:
                yield None
                continue
            if event.event == RESYNC or event.key() > last:
                if event.event != RESYNC:
                    last = event.key()
                yield event
    finally:
        broker.unregister(sub)


def sse_comment(text: str = "keep-alive") -> bytes:
    return f": {text}\n\n".encode()
