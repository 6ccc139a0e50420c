"""The /live/ Server-Sent Events endpoint: every live topic the user may see, resumable.

An async view under ASGI (uvicorn: thousands of idle connections cost a coroutine each); under a
WSGI server (Django's test live server) the same view streams from a blocking iterator on the
request's thread. Each frame is ``id:``/``event:``/``data:``; a client that reconnects sends
``Last-Event-ID`` (browsers do it by themselves) or ``?last_event_id=`` and receives what it missed.
Events of a commune the user does not belong to are not sent.
"""

from __future__ import annotations

import time

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, StreamingHttpResponse

from beffroi.core import live
from beffroi.core.permissions import ALL_COMMUNES, user_communes

HEARTBEAT = 15.0
WSGI_MAX_SECONDS = 300  # a thread-per-connection server gets its thread back; the browser reconnects


def _allowed(user, wanted: list[str] | None) -> tuple[set[str], set[str]]:
    topics = set()
    for topic in live.TOPICS:
        if wanted and topic not in wanted:
            continue
        if user.has_module_perms(topic):
            topics.add(topic)
    return topics, user_communes(user)


def visible(event: live.Event, communes: set[str]) -> bool:
    if ALL_COMMUNES in communes:
        return True
    data = event.data or {}
    if "commune" in data and data["commune"]:
        return data["commune"] in communes
    if isinstance(data.get("communes"), list) and data["communes"]:
        return bool(set(data["communes"]) & communes)
    return True


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
    topics, communes = await sync_to_async(_allowed)(user, wanted)
    if not topics:
        return HttpResponse(status=403)
    last = _last_event_id(request)
    heartbeat = float(request.GET.get("heartbeat", HEARTBEAT)) if request.GET.get("heartbeat") else HEARTBEAT
    heartbeat = min(max(heartbeat, 0.05), 60.0)

    if isinstance(request, ASGIRequest):

        async def stream():
            yield b"retry: 2000\n" + live.sse_comment("connected")
            async for event in live.subscribe(topics, last, heartbeat=heartbeat):
                if event is None:
                    yield live.sse_comment()
                elif event.event == live.RESYNC or visible(event, communes):
                    yield event.to_sse()

        return _response(stream())

    def sync_stream():
        deadline = time.monotonic() + WSGI_MAX_SECONDS
        yield b"retry: 1000\n" + live.sse_comment("connected")
        for event in live.subscribe_sync(topics, last, heartbeat=min(heartbeat, 5.0)):
            if time.monotonic() > deadline:
                return
            if event is None:
                yield live.sse_comment()
            elif event.event == live.RESYNC or visible(event, communes):
                yield event.to_sse()

    return _response(sync_stream())
