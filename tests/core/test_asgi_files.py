"""The ASGI file handler in front of Django: /public/ and /static/ without entering Django."""

from __future__ import annotations

import os

from beffroi.asgi_files import wrap
from tests.conftest import run_async


def _django_stub_calls():
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})

    return app, calls


def _get(app, path, method="GET", headers=()):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": list(headers)}
    run_async(app(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start["headers"]), body


def _site(tmp_path):
    public = tmp_path / "public"
    (public / "cap").mkdir(parents=True)
    (public / "index.html").write_text("<p>Aucune alerte</p>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("hors du site")
    django, calls = _django_stub_calls()
    return wrap(django, tmp_path / "static", public), public, calls


def test_serves_the_index_with_validators_and_a_304(tmp_path):
    app, _public, calls = _site(tmp_path)
    status, headers, body = _get(app, "/public/")
    assert status == 200 and body == b"<p>Aucune alerte</p>"
    assert headers[b"content-type"] == b"text/html; charset=utf-8"
    assert b"max-age=30" in headers[b"cache-control"]
    etag = headers[b"etag"]
    # Twice: the second answer comes from the in-memory cache and must be identical.
    assert _get(app, "/public/") == (status, headers, body)
    status, headers, body = _get(app, "/public/", headers=[(b"if-none-match", etag)])
    assert status == 304 and body == b"" and b"content-length" not in headers
    status, headers, body = _get(app, "/public/", method="HEAD")
    assert status == 200 and body == b"" and headers[b"content-length"] == b"20"
    assert calls == []


def test_a_rewritten_page_is_served_within_the_revalidation_delay(tmp_path, monkeypatch):
    import beffroi.asgi_files as files

    clock = [1000.0]
    monkeypatch.setattr(files.time, "monotonic", lambda: clock[0])
    app, public, _calls = _site(tmp_path)
    assert _get(app, "/public/")[2] == b"<p>Aucune alerte</p>"
    page = public / "index.html"
    page.write_text("<p>Alerte crue : évacuez les quais</p>", encoding="utf-8")
    stat = page.stat()
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # even within one clock tick
    clock[0] += files.REVALIDATE_SECONDS / 2
    assert _get(app, "/public/")[2] == b"<p>Aucune alerte</p>"  # not checked again yet: from memory
    clock[0] += files.REVALIDATE_SECONDS / 2
    status, _headers, body = _get(app, "/public/")
    assert status == 200 and body == "<p>Alerte crue : évacuez les quais</p>".encode()


def test_a_removed_page_is_no_longer_served(tmp_path, monkeypatch):
    import beffroi.asgi_files as files

    clock = [1000.0]
    monkeypatch.setattr(files.time, "monotonic", lambda: clock[0])
    app, public, calls = _site(tmp_path)
    assert _get(app, "/public/index.html")[0] == 200
    (public / "index.html").unlink()
    clock[0] += files.REVALIDATE_SECONDS
    assert _get(app, "/public/index.html") == (404, {}, b"django")
    assert calls == ["/public/index.html"]


def test_nothing_outside_the_mount_is_served(tmp_path):
    app, _public, calls = _site(tmp_path)
    assert _get(app, "/public/../secret.txt")[2] == b"django"
    assert _get(app, "/public/%2e%2e/secret.txt")[2] == b"django"
    assert calls == ["/public/../secret.txt", "/public/%2e%2e/secret.txt"]


def test_writes_go_to_django(tmp_path):
    app, _public, calls = _site(tmp_path)
    assert _get(app, "/public/", method="POST")[2] == b"django"
    assert calls == ["/public/"]
