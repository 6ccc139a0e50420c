"""The collector is kept off open streams' objects: frozen every FREEZE_EVERY streams opened, given
back after a turnover (as many closed as are open), so closed streams' cycles are still collected."""

from __future__ import annotations

import asyncio
import gc

from beffroi.core import live
from beffroi.core.stream_gc import StreamCollector


class Recorder:
    def __init__(self):
        self.calls: list[str] = []

    def freeze(self):
        self.calls.append("freeze")

    def unfreeze(self):
        self.calls.append("unfreeze")


def test_frozen_every_batch_of_opened_streams_and_given_back_after_a_turnover():
    collector = Recorder()
    streams = StreamCollector(every=3, collector=collector)
    for _ in range(7):
        streams.stream_opened()
    assert collector.calls == ["freeze", "freeze"]  # at 3 and 6 opened
    for still_open in (6, 5, 4):  # fewer closed than still open: nothing given back yet
        streams.stream_closed(still_open)
    assert collector.calls == ["freeze", "freeze"]
    streams.stream_closed(3)  # 4 closed, 3 still open: a turnover
    assert collector.calls == ["freeze", "freeze", "unfreeze"]


def test_a_few_streams_leave_the_collector_alone():
    collector = Recorder()
    streams = StreamCollector(every=200, collector=collector)
    for _ in range(50):
        streams.stream_opened()
        streams.stream_closed(0)
    assert collector.calls == []


def test_the_fan_out_counts_each_stream_once_and_says_how_many_are_still_open(monkeypatch):
    closed_with: list[int] = []
    streams = StreamCollector(every=2, collector=Recorder())
    monkeypatch.setattr(streams, "stream_closed", closed_with.append)
    monkeypatch.setattr(live, "STREAMS", streams)
    fanout = live._FanOut()
    loop = asyncio.new_event_loop()
    try:
        subs = [live._AsyncSubscriber(None, loop) for _ in range(3)]
        for sub in subs:
            fanout.add(sub)
        fanout.add(subs[0])  # registered again during a replay: still one stream
        assert streams.gc.calls == ["freeze"]  # at 2 opened; the third and the repeat do not count
        fanout.remove(subs[0])
        fanout.remove(subs[0])  # removed twice: closed once
        assert closed_with == [2]
    finally:
        loop.close()


def test_the_real_collector_is_given_back_what_it_froze():
    streams = StreamCollector(every=1)
    before = gc.get_freeze_count()
    try:
        streams.stream_opened()
        assert gc.get_freeze_count() > before
        streams.stream_closed(0)
        assert gc.get_freeze_count() == 0
    finally:
        if before:
            gc.freeze()  # the test process had frozen objects (asgi.py): leave it as it was
