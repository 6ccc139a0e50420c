"""No English in the French interface and no French interface words in the English one.

Every page the demo's roles can reach (found by following the links from the dashboard, as a user
would) is read in French and in English; the visible text — headings, labels, tables, messages,
``title``/``placeholder``/``aria-label`` attributes — is checked for words of the other language,
raw identifiers (``lowest_level``), raw timestamps (``2026-12-02T04:38:26``) and durations left in
seconds (``10800 s``). Content written in another language is marked as such (``lang="en"`` on an
alert's English text), and identifiers shown on purpose sit in ``<code>``: both are skipped, as a
screen reader would switch voice there.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.utils.module_loading import import_string

from tests.conftest import TEST_COMMUNES, login_client

# Words that are never French (nor data of the demo): each one seen in the French UI was a leak.
ENGLISH = re.compile(
    r"\b(the|and|of|is|are|was|with|missing|network|unconfirmed|pending|failed|failure|Severe|"
    r"Extreme|Moderate|Minor|Unknown|Expected|Likely|Unlikely|Immediate|Observed|Past|Future|"
    r"Actual|Exercise|Draft|Update|Cancel|Error|None|True|False|limited|outside|nothing|level|"
    r"steady|rising|falling|generated|boundaries)\b"
)
# Interface words of French that the demo's data does not carry in an English page.
FRENCH = re.compile(
    r"\b(niveau|niveaux|aucun|aucune|Aucun|Aucune|ouvert\(e\)|effectifs?|prêté|abonnés)\b"
    r"|\d{2}/\d{2}/\d{4} à"
    r"|\b(Severity|Urgency|Certainty|Method|Hatching|Sources|Source|Level|Commune|Note) :"
)
COMMON = {
    "identifier": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "timestamp": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"),
    "seconds": re.compile(r"\b\d{3,} s\b"),
    "python": re.compile(r"\{'|\['"),
}
SKIPPED_PARTS = ("/api/", "/admin/", "/static/", "/media/", "/i18n/", "/comptes/deconnexion", "/flux")
SKIPPED_SUFFIXES = (".csv", ".pdf", ".xlsx", ".zip", ".geojson", ".json", ".atom", ".xml", ".txt")
ROLES = {
    "cellule": ("cellule_crise", None, False),
    "maire": ("maire", None, True),
    "admin": ("administrateur", None, True),
    "communication": ("communication", None, False),
    "lecteur": ("lecteur", ["92033"], False),
}


class VisibleText(HTMLParser):
    """The text a reader sees (and hears), without scripts, styles, templates, code, and parts in
    another language than the page's."""

    SILENT = {"script", "style", "template", "code", "kbd", "samp", "pre"}
    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "area", "col", "wbr", "base", "embed"}

    def __init__(self, page_lang: str):
        super().__init__(convert_charrefs=True)
        self.page_lang = page_lang
        self.stack: list[tuple[str, bool]] = []
        self.lines: list[str] = []
        self.links: list[str] = []

    @property
    def silent(self) -> bool:
        return any(hidden for _, hidden in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        lang = (attributes.get("lang") or "").split("-")[0]
        hidden = tag in self.SILENT or bool(lang and lang != self.page_lang)
        if tag == "a" and (attributes.get("href") or "").startswith("/"):
            self.links.append(attributes["href"].split("#")[0])
        if not (self.silent or hidden):
            for name in ("title", "placeholder", "aria-label", "alt"):
                if attributes.get(name):
                    self.lines.append(attributes[name])
        if tag not in self.VOID:
            self.stack.append((tag, hidden))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if not self.silent and data.strip():
            self.lines.append(" ".join(data.split()))


def read(body: str, lang: str) -> VisibleText:
    parser = VisibleText(lang)
    parser.feed(body)
    parser.close()
    return parser


@pytest.fixture
def demo(territory, make_user, settings, tmp_path):
    settings.PUBLIC_ROOT = tmp_path / "public"
    settings.MAP_TILE_URL = ""
    users = {
        name: make_user(role, communes, username=name, totp=totp)
        for name, (role, communes, totp) in ROLES.items()
    }
    for config in apps.get_app_configs():
        loader = getattr(config, "demo_loader", None)
        if loader:
            import_string(loader)(TEST_COMMUNES)
    return users


def crawl(client, lang: str, limit: int = 200) -> dict[str, list[str]]:
    """The visible lines of every page reached by links from the dashboard (one page per path
    shape: ``/alertes/3/`` stands for every alert)."""
    client.cookies["django_language"] = lang
    seen_shapes: set[str] = set()
    pages: dict[str, list[str]] = {}
    todo = ["/"]
    while todo and len(pages) < limit:
        url = todo.pop(0)
        shape = re.sub(r"\d+", "N", url)
        if shape in seen_shapes or any(p in url for p in SKIPPED_PARTS) or url.endswith(SKIPPED_SUFFIXES):
            continue
        seen_shapes.add(shape)
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if response.status_code != 200 or getattr(response, "streaming", False):
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        text = read(response.content.decode(), lang)
        pages[url] = [html.unescape(line) for line in text.lines]
        todo.extend(link for link in text.links if link not in pages)
    return pages


def leaks(pages: dict[str, list[str]], patterns: dict[str, re.Pattern]) -> list[str]:
    found = []
    for url, lines in pages.items():
        for line in lines:
            for name, pattern in patterns.items():
                match = pattern.search(line)
                if match:
                    found.append(f"{url} [{name}: {match.group(0)!r}] {line[:140]}")
    return sorted(set(found))


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("name", list(ROLES))
def test_pages_speak_one_language(demo, client, name, lang):
    pages = crawl(login_client(client, demo[name]), lang)
    assert len(pages) >= (12 if name == "lecteur" else 25), sorted(pages)
    other = {"english": ENGLISH} if lang == "fr" else {"french": FRENCH}
    found = leaks(pages, other | COMMON)
    assert found == [], "\n".join(found)
