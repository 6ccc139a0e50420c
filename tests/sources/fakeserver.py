"""A real HTTP server on 127.0.0.1 serving recorded-format payloads, for connector tests.

Routes map a path (and optionally required query parameters) to a response: a fixture file name,
bytes, or a callable. ``{base}`` inside a served body is replaced by the server's URL so next-page
links point back at it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent.parent / "fixtures"


@dataclass
class Route:
    body: bytes | str | None = None
    fixture: str | None = None
    status: int = 200
    headers: dict = field(default_factory=lambda: {"Content-Type": "application/json"})
    query: dict = field(default_factory=dict)
    delay: float = 0.0
    times: int | None = None  # serve only this many times, then fall through to the next route


class FakeServer:
    def __init__(self):
        self.routes: list[tuple[str, Route]] = []
        self.requests: list[tuple[str, str, dict, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                server.requests.append((self.command, parts.path, query, dict(self.headers)))
                route = server.match(parts.path, query)
                if route is None:
                    self.send_response(404)
                    self.end_headers()
                    self.wfile.write(b'{"message": "not found"}')
                    return
                if route.delay:
                    time.sleep(route.delay)
                body = route.body
                if route.fixture:
                    body = (FIXTURES / route.fixture).read_bytes()
                if isinstance(body, str):
                    body = body.encode()
                body = (body or b"").replace(b"{base}", server.url.encode())
                self.send_response(route.status)
                for k, v in route.headers.items():
                    self.send_header(k, v.replace("{base}", server.url))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            do_GET = do_POST = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def route(self, path: str, fixture: str | None = None, **kwargs) -> None:
        self.routes.append((path, Route(fixture=fixture, **kwargs)))

    def match(self, path: str, query: dict) -> Route | None:
        for p, route in self.routes:
            if p == path and all(query.get(k) == v for k, v in route.query.items()):
                if route.times is not None:
                    if route.times <= 0:
                        continue
                    route.times -= 1
                return route
        return None

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
