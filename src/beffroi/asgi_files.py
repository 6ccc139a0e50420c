"""A minimal ASGI file handler in front of Django for /static/ and /public/.

The citizen site must hold during a surge: its files are served without entering Django's request
path (no middleware, no database), with ETag/Last-Modified and cache headers. nginx or a CDN takes
this role in server mode; this handler makes the embedded mode behave the same.
"""

from __future__ import annotations

import mimetypes
import os
from email.utils import formatdate
from pathlib import Path
from typing import NamedTuple

import anyio

CHUNK = 256 * 1024
# Small files are kept in memory with their headers, checked against one stat() per request: during
# a surge every citizen asks for the same few pages.
CACHE_MAX_FILE = 256 * 1024
CACHE_MAX_ENTRIES = 4096
PUBLIC_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
    ),
]


class _Cached(NamedTuple):
    target: Path
    mtime_ns: int
    inode: int
    size: int
    etag: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes


class FileMount:
    def __init__(self, prefix: str, root: Path, cache_control: str, index: str | None = None):
        self.prefix = prefix
        self.root = Path(root).resolve()
        self.cache_control = cache_control.encode()
        self.index = index
        self.cache: dict[str, _Cached] = {}

    def cached(self, path: str) -> _Cached | None:
        """The cached response for this URL path if its file is unchanged (same mtime and size)."""
        entry = self.cache.get(path)
        if entry is None:
            return None
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


class StaticFilesASGI:
    def __init__(self, app, mounts: list[FileMount]):
        self.app = app
        self.mounts = mounts

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            for mount in self.mounts:
                if scope["path"].startswith(mount.prefix):
                    entry = mount.cached(scope["path"])
                    if entry is not None:
                        await self._send_cached(scope, send, entry)
                        return
                    target = mount.resolve(scope["path"])
                    if target is not None:
                        await self._send_file(scope, send, target, mount)
                        return
        await self.app(scope, receive, send)

    async def _send_cached(self, scope, send, entry: _Cached) -> None:
        headers = dict(scope.get("headers") or [])
        if headers.get(b"if-none-match") == entry.etag:
            not_modified = [(k, v) for k, v in entry.headers if k not in (b"content-type", b"content-length")]
            await send({"type": "http.response.start", "status": 304, "headers": not_modified})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else entry.body})

    async def _send_file(self, scope, send, target: Path, mount: FileMount) -> None:
        stat = target.stat()
        etag = f'"{stat.st_ino:x}-{stat.st_mtime_ns:x}-{stat.st_size:x}"'.encode()
        headers = dict(scope.get("headers") or [])
        base = [
            (b"etag", etag),
            (b"last-modified", formatdate(stat.st_mtime, usegmt=True).encode()),
            (b"cache-control", mount.cache_control),
            *PUBLIC_HEADERS,
        ]
        if headers.get(b"if-none-match") == etag:
            await send({"type": "http.response.start", "status": 304, "headers": base})
            await send({"type": "http.response.body", "body": b""})
            return
        content_type = mount.content_type(target)
        base += [(b"content-type", content_type.encode()), (b"content-length", str(stat.st_size).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": base})
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        if stat.st_size <= CACHE_MAX_FILE:
            body = (
                await anyio.to_thread.run_sync(target.read_bytes)
                if stat.st_size > 64 * 1024
                else target.read_bytes()
            )
            if len(body) == stat.st_size:  # not caught in the middle of a rewrite
                mount.remember(
                    scope["path"],
                    _Cached(target, stat.st_mtime_ns, stat.st_ino, stat.st_size, etag, base, body),
                )
            await send({"type": "http.response.body", "body": body})
            return
        async with await anyio.open_file(target, "rb") as handle:
            while chunk := await handle.read(CHUNK):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def wrap(app, static_root: Path, public_root: Path):
    os.makedirs(public_root, exist_ok=True)
    return StaticFilesASGI(
        app,
        [
            FileMount("/static/", static_root, "public, max-age=3600"),
            # Short max-age: a published update must reach citizens within a minute, even via a CDN.
            FileMount(
                "/public/", public_root, "public, max-age=30, stale-while-revalidate=30", index="index.html"
            ),
        ],
    )
