"""The /live/ Server-Sent Events endpoint: the catalogued events a user may see, resumable.

An event reaches a connected user only if the user holds the event's permission (from the
catalogue, ``beffroi.core.events``) and belongs to at least one of the event's communes
(administrators: all); ``resync`` (sent by the broker when events were lost) reaches everyone
connected. An event without communes reaches nobody.

An async view under ASGI (uvicorn: thousands of idle connections cost a coroutine each); under a
WSGI server (Django's test live server) the same view streams from a blocking iterator on the
request's thread. Each frame is ``id:``/``event:``/``data:``; a client that reconnects sends
``Last-Event-ID`` (browsers do it by themselves) or ``?last_event_id=`` and receives what it missed.
``?topics=monitoring,crisis`` narrows the stream to those topics.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, StreamingHttpResponse

from beffroi.core import live
from beffroi.core.events import catalogue
from beffroi.core.permissions import ALL_COMMUNES, user_communes

HEARTBEAT = 15.0
WSGI_MAX_SECONDS = 300  # a thread-per-connection server gets its thread back; the browser reconnects


@dataclass(frozen=True)
class Audience:
    """What one connected user may receive, computed once at connection (no database access while
    streaming, which an async view could not do)."""

    names: frozenset[str]  # catalogued event names whose permission the user holds
    topics: frozenset[str]
    communes: frozenset[str]

    def receives(self, event: live.Event) -> bool:
        if event.event == live.RESYNC:
            return True
        if event.event not in self.names or event.topic not in self.topics:
            return False
        if ALL_COMMUNES in self.communes:
            return True
        communes = (event.data or {}).get("communes")
        return isinstance(communes, list) and not self.communes.isdisjoint(communes)


def audience_for(user, wanted: list[str] | None = None) -> Audience:
    names, topics = set(), set()
    for spec in catalogue().values():
        if not spec.permission or (wanted and spec.topic not in wanted):
            continue
        if user.has_perm(spec.permission):
            names.add(spec.name)
            topics.add(spec.topic)
    return Audience(frozenset(names), frozenset(topics), frozenset(user_communes(user)))


def _last_event_id(request) -> str | None:
    return request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or None


def _response(stream) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"
    return response


async def live_stream(request):
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse(status=401)
    wanted = [t for t in request.GET.get("topics", "").split(",") if t] or None
    audience = await sync_to_async(audience_for)(user, wanted)
    if not audience.names or not audience.communes:
        return HttpResponse(status=403)
    last = _last_event_id(request)
    try:
        heartbeat = float(request.GET.get("heartbeat") or HEARTBEAT)
    except ValueError:
        heartbeat = HEARTBEAT
    heartbeat = min(max(heartbeat, 0.05), 60.0)

    if isinstance(request, ASGIRequest):

        async def stream():
            yield b"retry: 2000\n" + live.sse_comment("connected")
            async for event in live.subscribe(audience.topics, last, heartbeat=heartbeat):
                if event is None:
                    yield live.sse_comment()
                elif audience.receives(event):
                    yield event.to_sse()

        return _response(stream())

    def sync_stream():
        deadline = time.monotonic() + WSGI_MAX_SECONDS
        yield b"retry: 1000\n" + live.sse_comment("connected")
        for event in live.subscribe_sync(audience.topics, last, heartbeat=min(heartbeat, 5.0)):
            if time.monotonic() > deadline:
                return
            if event is None:
                yield live.sse_comment()
            elif audience.receives(event):
                yield event.to_sse()

    return _response(sync_stream())
