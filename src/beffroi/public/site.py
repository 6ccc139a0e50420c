"""The static citizen site, rewritten after each public change (temp file + rename, never half-written).

Rebuilt in the background by ``public.tasks`` (one rebuild for a burst of changes).

Files under ``settings.PUBLIC_ROOT``: ``index.html``, ``alertes/<id>.html``, ``cap/<identifier>.xml``,
``cap/index.atom`` (CAP Atom index: the latest message of each real incident until it expires,
an Update or Cancel included), ``alerts.rss``, ``alerts.atom``, ``site.css``. Exercise and Test
messages never appear there: their CAP goes to ``exercice/cap/`` and their own index,
``cap/exercise.atom``. Absolute links use ``settings.PUBLIC_URL``.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from beffroi.alerts import render
from beffroi.alerts.area import area_geojson
from beffroi.alerts.cap import commune_names, sender_name
from beffroi.alerts.hazards import HAZARDS
from beffroi.alerts.models import Alert, AlertVersion
from beffroi.alerts.selectors import active_public_versions, cap_index_versions, recent_public_versions
from beffroi.core.public_languages import SITE_LANGUAGES, page_languages
from beffroi.crisis import selectors as crisis_selectors
from beffroi.territory.selectors import communes

log = logging.getLogger(__name__)

CSS = Path(__file__).parent / "site.css"
# The citizen pages in each interface language: French at the root, English under en/ (the feeds,
# the CAP files and the subscription form are shared). Each page names the other with hreflang.


def write_atomic(path: Path, data: bytes | str) -> bool:
    """Write through a temporary file of the same directory and a rename; False when unchanged.

    An unchanged file is left alone so its ETag and Last-Modified stay the same for caches.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def _rings(geometry: dict):
    kind = geometry.get("type")
    if kind == "Polygon":
        yield geometry["coordinates"][0]
    elif kind == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield polygon[0]
    elif kind == "GeometryCollection":
        for g in geometry.get("geometries", []):
            yield from _rings(g)


def svg_map(communes: list, areas: list[tuple[str, dict]], width: int = 640) -> dict:
    """An inline SVG of the commune boundaries and alert areas: no tile server, no request."""

    shapes = [(c.name, list(_rings(c.boundary))) for c in communes if c.boundary]
    area_shapes = []
    for label, area in areas:
        try:
            area_shapes.append((label, list(_rings(area_geojson(area)))))
        except Exception:  # an area that cannot be drawn is left off the map
            log.warning("public: cannot draw the area of %s on the map", label, exc_info=True)
            continue
    points = [p for _n, rings in shapes + area_shapes for ring in rings for p in ring]
    if not points:
        return {}
    min_x, max_x = min(p[0] for p in points), max(p[0] for p in points)
    min_y, max_y = min(p[1] for p in points), max(p[1] for p in points)
    k = math.cos(math.radians((min_y + max_y) / 2))
    span_x, span_y = max((max_x - min_x) * k, 1e-6), max(max_y - min_y, 1e-6)
    height = int(width * span_y / span_x)

    def path(rings) -> str:
        out = []
        for ring in rings:
            step = max(1, len(ring) // 300)
            pts = [
                (((x - min_x) * k) / span_x * width, (max_y - y) / span_y * height) for x, y in ring[::step]
            ]
            out.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + " Z")
        return " ".join(out)

    return {
        "width": width,
        "height": height,
        "communes": [{"name": n, "d": path(r)} for n, r in shapes],
        "areas": [{"name": n, "d": path(r)} for n, r in area_shapes],
    }


def _map_communes(all_communes: list, active: list[AlertVersion]) -> list:
    """The communes concerned by current alerts (the whole territory when there is none)."""
    codes = {c for v in active for c in (v.area.get("communes") or [v.alert.commune])}
    return [c for c in all_communes if c.code in codes] or all_communes


def _shelters(codes: list[str]) -> list:
    """Open shelters (full ones too: citizens must know where not to go), counts only."""
    return [s for s in crisis_selectors.shelters(codes) if s.is_open]


def _dicrim() -> str:
    path = Path(settings.DATA_DIR) / "dicrim.txt"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _commune_names(version: AlertVersion) -> list[str]:
    return commune_names(list(version.area.get("communes") or [version.alert.commune]))


def _context(version: AlertVersion, lang: str = "fr") -> dict:
    prefix = "exercice/" if version.alert.is_exercise else ""
    texts = {code: version.text(code) for code in version.languages}
    # The page's language when the alert was written in it, else French (said on the page).
    text_lang = lang if (texts.get(lang) or {}).get("headline") else "fr"
    return {
        "commune_names": _commune_names(version),
        "version": version,
        "alert": version.alert,
        "headline": render.headline(version, text_lang),
        "texts": texts,
        "text": texts.get(text_lang) or {},
        "text_lang": text_lang,
        "cap_url": f"{prefix}cap/{version.identifier}.xml",
        "page_url": f"{prefix}alertes/{version.alert_id}.html",
        "prefix": prefix,
    }


def build_site(root: Path | None = None) -> dict:
    """(Re)write every public file; returns counts. Safe to call at any time.

    What does not depend on the language (the territory, shelters, alerts and their versions, the
    maps, the CAP files, the assets) is read and written once; each language renders its pages."""

    root = Path(root or settings.PUBLIC_ROOT)
    now = timezone.now()
    active = active_public_versions()
    all_communes = list(communes())
    published = [(a, list(a.published_versions())) for a in Alert.objects.all()]
    published = [(a, versions) for a, versions in published if versions]
    write_atomic(root / "site.css", CSS.read_bytes())
    for name in ("push.js", "sw.js"):
        write_atomic(root / name, (CSS.parent / name).read_bytes())
    cap_files = 0
    for alert, versions in published:
        cap_folder = root / "cap" if alert.status == Alert.Status.ACTUAL else root / "exercice" / "cap"
        for v in versions:
            target = cap_folder / f"{v.identifier}.xml"
            if not target.exists():
                write_atomic(target, v.xml.encode())
            cap_files += 1
    shared = {
        "now": now,
        "shelters": _shelters([c.code for c in all_communes]),
        "dicrim": _dicrim(),
        # Written by the monitoring app once an indicator is public; linked only when it exists.
        "indicators": (root / "indicateurs" / "index.html").is_file(),
        "communes": all_communes,
        "territory_names": [c.name for c in all_communes],
        "map": svg_map(_map_communes(all_communes, active), [(render.headline(v), v.area) for v in active]),
    }
    maps = {
        alert.pk: svg_map(
            [c for c in all_communes if c.code in (versions[-1].area.get("communes") or [alert.commune])],
            [(render.headline(versions[-1]), versions[-1].area)],
        )
        for alert, versions in published
    }
    pages = 0
    for lang, folder in SITE_LANGUAGES:
        with translation.override(lang):
            pages = _build_pages(root / folder, lang, folder, active, published, shared, maps)
    with translation.override("fr"):
        feeds = write_feeds(root, active, recent_public_versions())
        feeds |= write_cap_indexes(root)
    return {"active": len(active), "pages": pages, "cap": cap_files, **feeds}


def _build_pages(pages_root: Path, lang: str, folder: str, active, published, shared, maps) -> int:
    """The index and the alert pages of one language; returns the count of real alert pages."""
    context = {
        **shared,
        **page_languages(lang, folder, "index.html"),
        "alerts": [_context(v, lang) for v in active],
        "hazards": [
            (v["label"], (v.get(lang) or v["fr"])[2]) for v in HAZARDS.values() if (v.get(lang) or v["fr"])[2]
        ],
    }
    write_atomic(pages_root / "index.html", render_to_string("public/index.html", context))
    pages = 0
    for alert, versions in published:
        # Exercise/test pages live apart (for the exercise's recipients), never linked from the index.
        latest = versions[-1]
        relative = ("exercice/alertes" if alert.is_exercise else "alertes") + f"/{alert.pk}.html"
        write_atomic(
            pages_root / relative,
            render_to_string(
                "public/alert.html",
                {
                    **page_languages(lang, folder, relative),
                    **_context(latest, lang),
                    "history": versions,
                    "now": shared["now"],
                    "ended": alert.cancelled,
                    "expired": latest.expires <= shared["now"] or alert.cancelled,
                    "territory_names": _commune_names(latest),
                    "map": maps[alert.pk],
                },
            ),
        )
        pages += 0 if alert.is_exercise else 1
    return pages


def _author() -> dict:
    codes = [c.code for c in communes()]
    return {"name": sender_name(codes) if codes else "Mairie"}


def write_cap_indexes(root: Path) -> dict:
    """CAP Atom indexes (as aggregators read them): real incidents in ``cap/index.atom``, Exercise
    and Test ones apart in ``cap/exercise.atom``; each entry links its CAP message."""
    from feedgen.feed import FeedGenerator

    counts = {}
    for name, exercise, title in (
        ("index.atom", False, "Alertes CAP en cours – Beffroi"),
        ("exercise.atom", True, "EXERCICE – messages CAP d'exercice et de test – Beffroi"),
    ):
        versions = cap_index_versions(exercise=exercise)
        folder = "exercice/cap" if exercise else "cap"
        index = FeedGenerator()
        index.id(render.public_url(f"cap/{name}"))
        index.title(title)
        index.author(_author())
        index.link(href=render.public_url(f"cap/{name}"), rel="self")
        index.updated(max([v.sent for v in versions if v.sent], default=timezone.now()))
        for version in versions:
            entry = index.add_entry(order="append")
            entry.id(f"urn:cap:{version.identifier}")
            entry.title(render.headline(version))
            entry.updated(version.sent)
            entry.published(version.sent)
            entry.link(
                href=render.public_url(f"{folder}/{version.identifier}.xml"), type="application/cap+xml"
            )
            entry.summary(version.text("fr").get("description") or render.headline(version))
        write_atomic(root / "cap" / name, _typed_links(index.atom_str(pretty=True)))
        counts["exercise_index" if exercise else "cap_index"] = len(versions)
    return counts


def write_feeds(root: Path, active: list[AlertVersion], recent: list[AlertVersion]) -> dict:
    from feedgen.feed import FeedGenerator

    news = FeedGenerator()
    news.id(render.public_url(""))
    news.title("Alertes et informations de la mairie")
    news.description("Alertes publiées par la mairie (Beffroi).")
    news.link(href=render.public_url(""), rel="alternate")
    news.author(_author())
    news.language("fr")
    news.updated(max([v.sent for v in recent if v.sent], default=timezone.now()))
    for version in reversed(recent):
        entry = news.add_entry()
        entry.id(render.public_url(f"cap/{version.identifier}.xml"))
        entry.guid(render.public_url(f"cap/{version.identifier}.xml"), permalink=False)
        entry.title(render.headline(version))
        entry.link(href=render.alert_page_url(version.alert))
        entry.published(version.sent)
        entry.updated(version.sent)
        text = version.text("fr")
        entry.description(
            "\n".join(x for x in [text.get("description"), text.get("instruction")] if x)
            or render.headline(version)
        )
    # rel=self differs per format: set it on each serialisation.
    news.link(href=render.public_url("alerts.atom"), rel="self")
    write_atomic(root / "alerts.atom", news.atom_str(pretty=True))
    news.link(
        [
            {"href": render.public_url(""), "rel": "alternate"},
            {"href": render.public_url("alerts.rss"), "rel": "self"},
        ],
        replace=True,
    )
    write_atomic(root / "alerts.rss", news.rss_str(pretty=True))
    return {"feed_entries": len(recent)}


def _typed_links(atom: bytes) -> bytes:
    """feedgen 1.0 drops ``type`` on entry links; CAP aggregators need ``application/cap+xml``."""
    from lxml import etree

    ns = "http://www.w3.org/2005/Atom"
    tree = etree.fromstring(atom, etree.XMLParser(resolve_entities=False, no_network=True))
    for link in tree.iterfind(f"{{{ns}}}entry/{{{ns}}}link"):  # entries only: the feed's self link stays
        link.set("rel", "alternate")
        link.set("type", "application/cap+xml")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)
