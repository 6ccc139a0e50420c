"""A minimal ASGI file handler in front of Django for /static/ and /public/.

The citizen site must hold during a surge: its files are served without entering Django's request
path (no middleware, no database), with ETag/Last-Modified and cache headers. nginx or a CDN takes
this role in server mode; this handler makes the embedded mode behave the same.
"""

from __future__ import annotations

import mimetypes
import os
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import NamedTuple

import anyio

CHUNK = 256 * 1024
# Small files are kept in memory with their headers, checked against one stat() per request: during
# a surge every citizen asks for the same few pages.
CACHE_MAX_FILE = 256 * 1024
CACHE_MAX_ENTRIES = 4096
# A cached file is checked against the disk (one stat) at most this often: a stat on every request
# costs a tenth of the rate during a surge (bench_public), and a rebuilt page then shows within half a
# second, well inside the 30 s the browsers and a CDN may keep it anyway.
REVALIDATE_SECONDS = 0.5
PUBLIC_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
    ),
]


@dataclass(slots=True)
class _Cached:
    target: Path
    mtime_ns: int
    inode: int
    size: int
    etag: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    checked: float  # time.monotonic() of the last stat that found the file unchanged
    # The same headers as text, for granian's RSGI interface (rsgi_embedded.py): built once.
    text_headers: list[tuple[str, str]] = field(default_factory=list)
    text_not_modified: list[tuple[str, str]] = field(default_factory=list)
    text_etag: str = ""

    def __post_init__(self) -> None:
        self.text_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in self.headers]
        self.text_not_modified = [
            (k, v) for k, v in self.text_headers if k not in ("content-type", "content-length")
        ]
        self.text_etag = self.etag.decode("latin-1")


class FileAnswer(NamedTuple):
    """What to send for one GET/HEAD on a mount, whatever the server's interface (ASGI or RSGI).

    ``body`` is the content to send (empty for 304 and HEAD); a file too large to keep in memory
    comes as ``file`` instead, to be streamed or sent by the server itself."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    file: Path | None = None


_NOT_MODIFIED_DROPPED = (b"content-type", b"content-length")


class FileMount:
    def __init__(self, prefix: str, root: Path, cache_control: str, index: str | None = None):
        self.prefix = prefix
        self.root = Path(root).resolve()
        self.cache_control = cache_control.encode()
        self.index = index
        self.cache: dict[str, _Cached] = {}

    def cached(self, path: str) -> _Cached | None:
        """The cached response for this URL path if its file is unchanged (same inode, mtime and size)."""
        entry = self.cache.get(path)
        if entry is None:
            return None
        now = time.monotonic()
        if now - entry.checked < REVALIDATE_SECONDS:
            return entry
        try:
            stat = os.stat(entry.target)
        except OSError:
            stat = None
        # A rebuild replaces files by rename: a new inode, even when mtime and size look the same.
        if (
            stat is None
            or stat.st_ino != entry.inode
            or stat.st_mtime_ns != entry.mtime_ns
            or stat.st_size != entry.size
        ):
            self.cache.pop(path, None)
            return None
        entry.checked = now
        return entry

    def remember(self, path: str, entry: _Cached) -> None:
        if len(self.cache) >= CACHE_MAX_ENTRIES:
            self.cache.clear()
        self.cache[path] = entry

    def content_type(self, target: Path) -> str:
        if self.prefix == "/public/":
            from beffroi.core.mediatypes import public_content_type

            return public_content_type(target.relative_to(self.root).as_posix())
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        return content_type

    def resolve(self, path: str) -> Path | None:
        relative = path[len(self.prefix) :]
        candidate = (self.root / relative).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            return None
        if candidate.is_dir() and self.index:
            candidate = candidate / self.index
        return candidate if candidate.is_file() else None

    def answer_cached(self, path: str, method: str, if_none_match: bytes | None) -> FileAnswer | None:
        """The answer from memory, when this path's file is cached and unchanged: no read, one stat."""
        entry = self.cached(path)
        if entry is None:
            return None
        if if_none_match == entry.etag:
            return FileAnswer(304, [(k, v) for k, v in entry.headers if k not in _NOT_MODIFIED_DROPPED])
        return FileAnswer(200, entry.headers, b"" if method == "HEAD" else entry.body)

    def answer(self, path: str, method: str, if_none_match: bytes | None) -> FileAnswer | None:
        """The answer for a GET/HEAD of ``path`` under this mount, or None when no file is there.

        Blocking (stat and a read of at most CACHE_MAX_FILE): the caller runs it off the event loop
        when the file may be large; small files are then answered from memory."""
        if (cached := self.answer_cached(path, method, if_none_match)) is not None:
            return cached
        target = self.resolve(path)
        if target is None:
            return None
        stat = target.stat()
        etag = f'"{stat.st_ino:x}-{stat.st_mtime_ns:x}-{stat.st_size:x}"'.encode()
        base = [
            (b"etag", etag),
            (b"last-modified", formatdate(stat.st_mtime, usegmt=True).encode()),
            (b"cache-control", self.cache_control),
            *PUBLIC_HEADERS,
        ]
        if if_none_match == etag:
            return FileAnswer(304, base)
        content_type = self.content_type(target)
        base += [(b"content-type", content_type.encode()), (b"content-length", str(stat.st_size).encode())]
        if stat.st_size > CACHE_MAX_FILE:
            return FileAnswer(200, base, file=None if method == "HEAD" else target)
        body = target.read_bytes()
        if len(body) != stat.st_size:  # caught in the middle of a rewrite: send it, do not keep it
            return FileAnswer(200, base, b"" if method == "HEAD" else body)
        entry = _Cached(
            target, stat.st_mtime_ns, stat.st_ino, stat.st_size, etag, base, body, time.monotonic()
        )
        self.remember(path, entry)
        return FileAnswer(200, base, b"" if method == "HEAD" else body)


class StaticFilesASGI:
    def __init__(self, app, mounts: list[FileMount]):
        self.app = app
        self.mounts = mounts

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path = scope["path"]
            for mount in self.mounts:
                if path.startswith(mount.prefix):
                    if_none_match = dict(scope.get("headers") or []).get(b"if-none-match")
                    answer = mount.answer_cached(path, scope["method"], if_none_match)
                    if answer is None:
                        answer = await anyio.to_thread.run_sync(
                            mount.answer, path, scope["method"], if_none_match
                        )
                    if answer is not None:
                        await self._send(send, answer)
                        return
        await self.app(scope, receive, send)

    @staticmethod
    async def _send(send, answer: FileAnswer) -> None:
        await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
        if answer.file is None:
            await send({"type": "http.response.body", "body": answer.body})
            return
        async with await anyio.open_file(answer.file, "rb") as handle:
            while chunk := await handle.read(CHUNK):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def mounts(static_root: Path, public_root: Path) -> list[FileMount]:
    os.makedirs(public_root, exist_ok=True)
    return [
        FileMount("/static/", static_root, "public, max-age=3600"),
        # Short max-age: a published update must reach citizens within a minute, even via a CDN.
        FileMount(
            "/public/", public_root, "public, max-age=30, stale-while-revalidate=30", index="index.html"
        ),
    ]


def wrap(app, static_root: Path, public_root: Path):
    return StaticFilesASGI(app, mounts(static_root, public_root))
