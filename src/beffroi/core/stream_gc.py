"""Python's garbage collector kept off the objects of open live streams.

Each open stream (SSE, ``core/live.py``) holds a few hundred objects for as long as it is open:
Django's request with its session and user, the response's generator, the subscriber and its queue.
A full collection walks every tracked object, and nothing else runs meanwhile: with 5,000 dashboards
and wall screens open, one took more than a second, during which no event went out
(``bench/bench_monitoring.py`` at 5,000 clients: p99 1.9 s, against 0.5 s with the collector off).

So once ``FREEZE_EVERY`` streams have opened since the last time, everything alive is moved out of
the collector's reach (``gc.freeze``: constant time; what ``asgi.py`` froze at start-up stays
frozen with it); and once as many streams have closed since as are still open (at least
``FREEZE_EVERY``), it is all given back (``gc.unfreeze``), so that what the closed streams left in
reference cycles is collected by the next full collection. One full walk per turnover of the
streams, instead of many during a crisis; until ``FREEZE_EVERY`` streams have opened the collector
works as usual. The fan-out (``core/live.py``) says when a stream opens or closes, and how many are
still open.
"""

from __future__ import annotations

import gc
import threading
from typing import Any

FREEZE_EVERY = 200


class StreamCollector:
    def __init__(self, every: int = FREEZE_EVERY, collector: Any = gc):
        self.lock = threading.Lock()
        self.every = every
        self.gc = collector
        self.opened = 0  # since the last freeze
        self.closed = 0  # since the last unfreeze

    def stream_opened(self) -> None:
        with self.lock:
            self.opened += 1
            if self.opened >= self.every:
                self.opened = 0
                self.gc.freeze()

    def stream_closed(self, still_open: int) -> None:
        with self.lock:
            self.closed += 1
            if self.closed >= max(self.every, still_open):
                self.closed = 0
                self.gc.unfreeze()


STREAMS = StreamCollector()
