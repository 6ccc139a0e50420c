"""Pages listen only to live events of the catalogue.

Every template and static script of the project (vendored libraries aside) is scanned for the
event names it listens to, in the three forms the code uses: ``onLive(source, "name", …)`` in
scripts, ``hx-trigger="sse:name"`` and ``sse-swap="name"`` in templates. A name outside the
catalogue (a guess such as ``log_entry``) fails the test."""

from __future__ import annotations

import re
from pathlib import Path

from beffroi.core.events import event_names

SRC = Path(__file__).resolve().parents[2] / "src" / "beffroi"

ON_LIVE = re.compile(r"""onLive\(\s*\w+\s*,\s*["']([^"']+)["']""")
SSE_TRIGGER = re.compile(r"""sse:([\w.\-]+)""")
SSE_SWAP = re.compile(r"""sse-swap=["']([^"']+)["']""")
LITERAL_LISTENER = re.compile(r"""addEventListener\(\s*["']""")


def _files(pattern: str) -> list[Path]:
    return sorted(p for p in SRC.rglob(pattern) if "vendor" not in p.parts)


def listened_names(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    names = set(ON_LIVE.findall(text)) | set(SSE_TRIGGER.findall(text))
    for value in SSE_SWAP.findall(text):
        names.update(n.strip() for n in value.split(",") if n.strip())
    return names


def test_pages_listen_only_to_catalogued_event_names():
    known = set(event_names())
    found: dict[str, set[str]] = {}
    for path in _files("*.html") + _files("*.js"):
        names = listened_names(path)
        if names:
            found[str(path.relative_to(SRC))] = names
    unknown = {path: sorted(names - known) for path, names in found.items() if names - known}
    assert not unknown, f"event names outside the catalogue (beffroi.core.events): {unknown}"
    # The scan sees the live pages (so a broken pattern cannot make this test pass by finding nothing).
    everything = set().union(*found.values())
    assert {"observation", "entry", "task", "shelter", "resync"} <= everything
    assert "monitoring/static/monitoring/veille.js" in found
    assert "crisis/templates/crisis/detail.html" in found


def test_scripts_reading_the_stream_listen_through_on_live():
    """A script that opens an EventSource registers its listeners only through onLive (checked
    against the catalogue at run time too), so the scan above sees every name."""
    for path in _files("*.js"):
        text = path.read_text(encoding="utf-8")
        if "EventSource" in text:
            assert not LITERAL_LISTENER.search(text), f"{path}: use onLive(source, name, handler)"


def test_the_scan_catches_a_guessed_name(tmp_path):
    page = tmp_path / "page.html"
    page.write_text('<div hx-trigger="sse:crisis.entry, click" sse-swap="log_entry,task"></div>')
    script = tmp_path / "page.js"
    script.write_text('onLive(source, "entry.added", f);')
    assert listened_names(page) == {"crisis.entry", "log_entry", "task"}
    assert listened_names(script) == {"entry.added"}
    assert listened_names(page) - set(event_names()) == {"crisis.entry", "log_entry"}


def test_the_base_template_gives_the_scripts_the_catalogue(client_for):
    html = client_for("lecteur").get("/veille/").content.decode()
    assert '<script id="live-events" type="application/json">' in html
    assert '"observation"' in html and '"alert.published"' in html
