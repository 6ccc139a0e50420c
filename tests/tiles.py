"""A tile service on 127.0.0.1 for the tests of the maps' background (Leaflet's z/x/y PNG tiles)."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def png(draw: Callable | None = None, colour=(236, 232, 222)) -> bytes:
    image = Image.new("RGB", (256, 256), colour)
    if draw is not None:
        draw(image)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@contextmanager
def tile_service(tile: Callable[[str], bytes]) -> Iterator[tuple[str, list[str], dict]]:
    """Serve ``tile(path)`` for every GET; yields (origin, paths asked, state: ``up`` False → 503)."""
    asked: list[str] = []
    state = {"up": True}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            asked.append(self.path)
            if not state["up"]:
                self.send_error(503)
                return
            body = tile(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked, state
    finally:
        server.shutdown()
        server.server_close()
