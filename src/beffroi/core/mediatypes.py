"""Content types of the public site's files, the same from the ASGI file handler and from Django.

CAP aggregators (Google Public Alerts, WMO Alert Hub) expect ``application/cap+xml`` for CAP
messages, which ``mimetypes`` calls ``application/xml``; ``.atom`` is not in every system's table.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

CAP = "application/cap+xml"
TEXT_LIKE = ("application/javascript", "application/json", "application/xml", CAP, "application/atom+xml")
EXTRA = {
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".webmanifest": "application/manifest+json",
}


def public_content_type(relative_path: str) -> str:
    """Content type (with charset for text) of a file under ``/public/``, by its relative path."""
    path = PurePosixPath(relative_path.lstrip("/"))
    if path.suffix == ".xml" and path.parent.name == "cap":  # cap/… and exercice/cap/…
        content_type = CAP
    else:
        content_type = (
            EXTRA.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
    if content_type.startswith("text/") or content_type in TEXT_LIKE or content_type.endswith("+xml"):
        content_type += "; charset=utf-8"
    return content_type
