"""Entry point of the embedded server: granian's RSGI interface, the public files answered first.

During a surge every citizen asks for the same few files (``/public/``, its CAP files and feeds).
Under RSGI one cached file is answered with one call into granian (``response_bytes``): no ASGI
message dicts, no per-request coroutine chain, about 1.5 times the rate of the same lookup behind
granian's ASGI interface on a 2-core machine (bench/bench_public.py measures it against nginx).
Everything else (Django's pages, the API, the live streams) goes to Django's ASGI handler through
the small adapter below. The task consumer runs in this process too (started with the worker), so
that what a task publishes reaches the live streams held here.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from beffroi.asgi import django_application
from beffroi.asgi_files import FileAnswer, FileMount, mounts

if TYPE_CHECKING:
    from beffroi.core.tasks_runtime import ConsumerThread


def _latin1(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]


def _address(text: str) -> tuple[str, int] | None:
    """RSGI gives ``host:port`` (``[::1]:port`` for IPv6); ASGI wants a (host, port) pair."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


class _ASGIExchange:
    """One HTTP request of RSGI handed to an ASGI application (Django), with its response."""

    def __init__(self, protocol):
        self.protocol = protocol
        self.body_read = False
        self.status = 500
        self.headers: list[tuple[str, str]] = []
        self.stream = None
        self.sent = False
        self.closed = False

    async def receive(self) -> dict:
        if not self.body_read:
            self.body_read = True
            return {"type": "http.request", "body": await self.protocol(), "more_body": False}
        # After the body, the next message is the client going away: Django listens for it to stop
        # a live stream (and cancels this wait when the response is complete).
        await self.protocol.client_disconnect()
        return {"type": "http.disconnect"}

    async def send(self, message: dict) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.headers = _latin1(message.get("headers") or [])
            return
        if kind != "http.response.body" or self.closed:
            return
        body, more = message.get("body", b""), message.get("more_body", False)
        if self.stream is None and not more:
            self.protocol.response_bytes(self.status, self.headers, body)
            self.sent = True
            return
        if self.stream is None:
            self.stream = self.protocol.response_stream(self.status, self.headers)
            self.sent = True
        if body:
            try:
                await self.stream.send_bytes(body)
            except Exception:  # the client went away (RSGIProtocolClosed): the disconnect ends the view
                self.closed = True

    def finish(self) -> None:
        if not self.sent:
            self.protocol.response_empty(self.status, self.headers)


class EmbeddedRSGI:
    def __init__(self, app, file_mounts: list[FileMount]):
        self.app = app
        self.mounts = file_mounts
        self.consumer: ConsumerThread | None = None

    def __rsgi_init__(self, loop) -> None:
        from beffroi.core.tasks_runtime import start_consumer_thread

        self.consumer = start_consumer_thread()

    def __rsgi_del__(self, loop) -> None:
        if self.consumer is not None:
            self.consumer.stop()

    async def __rsgi__(self, scope, protocol) -> None:
        if scope.proto != "http":  # no websockets here
            protocol.close(403)
            return
        method = scope.method
        if method == "GET" or method == "HEAD":
            path = scope.path
            for mount in self.mounts:
                if path.startswith(mount.prefix):
                    # The surge path, kept flat (each call and await here is a share of the rate):
                    # a cached, unchanged file answered from memory with headers built once.
                    entry = mount.cached(path)
                    if entry is not None:
                        if scope.headers.get("if-none-match") == entry.text_etag:
                            protocol.response_empty(304, entry.text_not_modified)
                        elif method == "HEAD":
                            protocol.response_empty(200, entry.text_headers)
                        else:
                            protocol.response_bytes(200, entry.text_headers, entry.body)
                        return
                    if await self._file(mount, path, scope, protocol):
                        return
                    break
        await self._django(scope, protocol)

    async def _file(self, mount: FileMount, path: str, scope, protocol) -> bool:
        tag = scope.headers.get("if-none-match")
        if_none_match = tag.encode("latin-1") if tag else None
        answer = await asyncio.to_thread(mount.answer, path, scope.method, if_none_match)
        if answer is None:
            return False
        self._send_file(answer, protocol)
        return True

    @staticmethod
    def _send_file(answer: FileAnswer, protocol) -> None:
        headers = _latin1(answer.headers)
        if answer.file is not None:
            protocol.response_file(answer.status, headers, str(answer.file))
        elif answer.body:
            protocol.response_bytes(answer.status, headers, answer.body)
        else:
            protocol.response_empty(answer.status, headers)

    async def _django(self, scope, protocol) -> None:
        server = _address(scope.server)
        asgi_scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": scope.http_version,
            "method": scope.method,
            "scheme": scope.scheme,
            "path": scope.path,
            "query_string": scope.query_string.encode("latin-1"),
            "root_path": "",
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in scope.headers.items()],
            "client": _address(scope.client),
            "server": server,
        }
        exchange = _ASGIExchange(protocol)
        try:
            await self.app(asgi_scope, exchange.receive, exchange.send)
        finally:
            exchange.finish()


def build() -> EmbeddedRSGI:
    from django.conf import settings

    return EmbeddedRSGI(django_application, mounts(settings.STATIC_ROOT, settings.PUBLIC_ROOT))


application = build()
