"""Static citizen pages of the public indicators, under ``PUBLIC_ROOT/indicateurs/``.

Written on each new value (after the commit), so citizens see the same facts as the crisis cell
even when Django is down: plain HTML, an SVG chart drawn on the server (no JavaScript), a table
giving the same values for screen readers, the source and the age of the value.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from beffroi.core.public_languages import SITE_LANGUAGES, page_languages
from beffroi.core.timeutil import to_paris
from beffroi.monitoring.models import Indicator
from beffroi.monitoring.selectors import public_indicators, snapshot

WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 640, 240, 56, 12, 12, 28


def root(folder: str = "") -> Path:
    return Path(settings.PUBLIC_ROOT) / folder / "indicateurs"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def svg_chart(snap: dict) -> dict:
    """Coordinates of the chart: a polyline, threshold lines, axis ticks (all numbers, no script)."""
    points = [(datetime.fromisoformat(a), v) for a, v in snap["observations"]]
    forecast = [(datetime.fromisoformat(a), v) for a, v in snap["forecast"]]
    everything = points + forecast
    if not everything:
        return {}
    values = [v for _, v in everything] + [t["value"] for t in snap["thresholds"]]
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        hi, lo = hi + 1, lo - 1
    margin = (hi - lo) * 0.08
    lo, hi = lo - margin, hi + margin
    t0, t1 = everything[0][0], max(a for a, _ in everything)
    span = max((t1 - t0).total_seconds(), 1)

    def x(at):
        return round(PAD_L + (at - t0).total_seconds() / span * (WIDTH - PAD_L - PAD_R), 1)

    def y(v):
        return round(PAD_T + (hi - v) / (hi - lo) * (HEIGHT - PAD_T - PAD_B), 1)

    ticks = []
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        ticks.append({"y": y(v), "label": f"{v:.2f}".rstrip("0").rstrip(".")})
    times = []
    for i in range(4):
        at = t0 + timedelta(seconds=span * i / 3)
        times.append(
            {
                "x": x(at),
                "label": to_paris(at).strftime("%d/%m %Hh" if span > 86400 else "%H:%M"),
                "anchor": "end" if i == 3 else "middle",
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": PAD_L,
        "right": WIDTH - PAD_R,
        "top": PAD_T,
        "bottom": HEIGHT - PAD_B,
        "plot_w": WIDTH - PAD_R - PAD_L,
        "plot_h": HEIGHT - PAD_B - PAD_T,
        "line": " ".join(f"{x(a)},{y(v)}" for a, v in points),
        "forecast": " ".join(f"{x(a)},{y(v)}" for a, v in ([points[-1]] if points else []) + forecast),
        "thresholds": [
            {"y": y(t["value"]), "label": t["label"], "colour": t["colour"], "value": t["value"]}
            for t in snap["thresholds"]
            if lo <= t["value"] <= hi
        ],
        "yticks": ticks,
        "xticks": times,
        "last": {"x": x(points[-1][0]), "y": y(points[-1][1])} if points else None,
    }


def _context(indicator: Indicator, now: datetime) -> dict:
    snap = snapshot(indicator, now=now, history=timedelta(hours=72))
    at = datetime.fromisoformat(snap["at"]) if snap["at"] else None
    table = [(to_paris(datetime.fromisoformat(a)), v) for a, v in snap["observations"][-12:]]
    return {
        "s": snap,
        "chart": svg_chart(snap),
        "at": to_paris(at) if at else None,
        "table": table[::-1],
        "forecast_table": [(to_paris(datetime.fromisoformat(a)), v) for a, v in snap["forecast"][:12]],
        "generated": to_paris(now),
    }


def write_indicator_pages(indicator_pk: int | None = None) -> list[Path]:
    """Regenerate one indicator's page (and the index), or all of them when ``indicator_pk`` is None,
    in French (``/public/indicateurs/``) and in English (``/public/en/indicateurs/``)."""
    now = timezone.now()
    written = []
    all_public = list(public_indicators())
    targets = [i for i in all_public if indicator_pk is None or i.pk == indicator_pk]
    keep = {f"{i.key}.html" for i in all_public} | {"index.html", "indicateurs.css"}
    for lang, folder in SITE_LANGUAGES:
        folder_root = root(folder)
        with translation.override(lang):
            for indicator in targets:
                path = folder_root / f"{indicator.key}.html"
                context = _context(indicator, now) | page_languages(
                    lang, folder, f"indicateurs/{indicator.key}.html"
                )
                _write(path, render_to_string("monitoring/public/indicator.html", context))
                written.append(path)
            index = [_context(i, now) for i in all_public]
            _write(
                folder_root / "index.html",
                render_to_string(
                    "monitoring/public/index.html",
                    {"items": index, "generated": to_paris(now)}
                    | page_languages(lang, folder, "indicateurs/index.html"),
                ),
            )
            _write(folder_root / "indicateurs.css", render_to_string("monitoring/public/indicateurs.css"))
            written.append(folder_root / "index.html")
        # An indicator no longer public must not stay online.
        for stale in folder_root.glob("*.html"):
            if stale.name not in keep:
                stale.unlink()
    return written
