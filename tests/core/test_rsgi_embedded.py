"""The embedded server's RSGI entry: citizen files from memory, everything else through Django's
ASGI handler by the adapter (body, streaming, the client going away)."""

from __future__ import annotations

import asyncio

from beffroi.asgi_files import mounts
from beffroi.rsgi_embedded import EmbeddedRSGI, _address
from tests.conftest import run_async


class Headers(dict):
    def items(self):  # RSGI headers repeat a name once per value
        return [(k, v) for k, values in super().items() for v in values]

    def get(self, key, default=None):
        values = super().get(key)
        return values[0] if values else default


class Scope:
    def __init__(self, path, method="GET", headers=None, proto="http"):
        self.proto, self.method, self.path = proto, method, path
        self.http_version, self.scheme, self.query_string = "1.1", "http", "a=%20b"
        self.client, self.server = "127.0.0.1:50000", "127.0.0.1:8000"
        self.headers = Headers({k: list(v) for k, v in (headers or {}).items()})


class Stream:
    def __init__(self, protocol):
        self.protocol = protocol

    async def send_bytes(self, data):
        if self.protocol.gone:
            raise RuntimeError("closed")  # what granian raises: RSGIProtocolClosed
        self.protocol.body += data


class Protocol:
    def __init__(self, body=b"", gone=False):
        self.request_body, self.gone = body, gone
        self.status, self.headers, self.body, self.kind, self.file = None, None, b"", None, None

    async def __call__(self):
        return self.request_body

    async def client_disconnect(self):
        while not self.gone:
            await asyncio.sleep(0.01)

    def _start(self, kind, status, headers):
        assert self.kind is None, "one response per request"
        self.kind, self.status, self.headers = kind, status, dict(headers)

    def response_bytes(self, status, headers, body):
        self._start("bytes", status, headers)
        self.body = body

    def response_empty(self, status, headers):
        self._start("empty", status, headers)

    def response_file(self, status, headers, file):
        self._start("file", status, headers)
        self.file = file

    def response_stream(self, status, headers):
        self._start("stream", status, headers)
        return Stream(self)


def _front(tmp_path, django):
    public = tmp_path / "public"
    public.mkdir()
    (public / "index.html").write_text("<p>Aucune alerte</p>", encoding="utf-8")
    return EmbeddedRSGI(django, mounts(tmp_path / "static", public)), public


def _django_recorder(calls):
    async def app(scope, receive, send):
        message = await receive()
        calls.append((scope, message))
        await send({"type": "http.response.start", "status": 201, "headers": [(b"x-seen", b"1")]})
        await send({"type": "http.response.body", "body": b"django:" + message["body"]})

    return app


def test_a_public_page_is_answered_from_memory_with_validators(tmp_path):
    calls = []
    front, _public = _front(tmp_path, _django_recorder(calls))
    first = Protocol()
    run_async(front.__rsgi__(Scope("/public/"), first))
    second = Protocol()
    run_async(front.__rsgi__(Scope("/public/"), second))
    for answer in (first, second):  # the first read from disk, the second from memory: the same
        assert answer.status == 200 and answer.body == b"<p>Aucune alerte</p>"
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        assert answer.headers["cache-control"].startswith("public, max-age=30")
    assert second.kind == "bytes" and first.headers == second.headers
    again = Protocol()
    run_async(front.__rsgi__(Scope("/public/", headers={"if-none-match": [first.headers["etag"]]}), again))
    assert again.status == 304 and again.kind == "empty" and "content-length" not in again.headers
    head = Protocol()
    run_async(front.__rsgi__(Scope("/public/", method="HEAD"), head))
    assert head.status == 200 and head.kind == "empty" and head.headers["content-length"] == "20"
    assert calls == []


def test_a_rewritten_page_is_served_within_the_revalidation_delay(tmp_path, monkeypatch):
    import beffroi.asgi_files as files

    clock = [1000.0]
    monkeypatch.setattr(files.time, "monotonic", lambda: clock[0])
    front, public = _front(tmp_path, _django_recorder([]))
    run_async(front.__rsgi__(Scope("/public/"), Protocol()))
    (public / "index.html").write_text("<p>Alerte crue : évacuez les quais</p>", encoding="utf-8")
    clock[0] += files.REVALIDATE_SECONDS
    answer = Protocol()
    run_async(front.__rsgi__(Scope("/public/"), answer))
    assert answer.body == "<p>Alerte crue : évacuez les quais</p>".encode()


def test_other_requests_reach_django_with_their_body_headers_and_address(tmp_path):
    calls = []
    front, _public = _front(tmp_path, _django_recorder(calls))
    answer = Protocol(body=b"name=Ana")
    scope = Scope("/public/inscription/", method="POST", headers={"cookie": ["a=1", "b=2"]})
    run_async(front.__rsgi__(scope, answer))
    assert answer.status == 201 and answer.body == b"django:name=Ana" and answer.headers["x-seen"] == "1"
    asgi, message = calls[0]
    assert message == {"type": "http.request", "body": b"name=Ana", "more_body": False}
    assert asgi["path"] == "/public/inscription/" and asgi["query_string"] == b"a=%20b"
    assert (b"cookie", b"a=1") in asgi["headers"] and (b"cookie", b"b=2") in asgi["headers"]
    assert asgi["client"] == ("127.0.0.1", 50000) and asgi["server"] == ("127.0.0.1", 8000)
    missing = Protocol()
    run_async(front.__rsgi__(Scope("/public/nothing-here.html"), missing))
    assert missing.body == b"django:"  # no such file: Django answers (its 404)


def test_a_stream_ends_when_the_client_goes_away(tmp_path):
    sent = []

    async def live(scope, receive, send):
        await receive()  # the body
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b": connected\n\n", "more_body": True})
        sent.append("first")
        assert (await receive())["type"] == "http.disconnect"
        await send({"type": "http.response.body", "body": b"data: late\n\n", "more_body": True})
        sent.append("late")

    front, _public = _front(tmp_path, live)
    answer = Protocol()

    async def scenario():
        task = asyncio.ensure_future(front.__rsgi__(Scope("/live/"), answer))
        await asyncio.sleep(0.05)
        answer.gone = True
        await asyncio.wait_for(task, 5)

    run_async(scenario())
    assert answer.kind == "stream" and answer.body == b": connected\n\n" and sent == ["first", "late"]


def test_addresses_in_both_forms():
    assert _address("[::1]:8000") == ("::1", 8000)
    assert _address("10.0.0.1:443") == ("10.0.0.1", 443)
    assert _address("") is None
