"""Every page of every role on a 390 × 844 phone (issue 15): nothing wider than the screen, and every
button, field, disclosure (``summary``) and navigation link big enough to tap (44 × 44 px).

The pages come from Django's URL resolver: each pattern is visited, with its arguments filled from
the demo's data (crisis, alerts, registry, campaign…), or named in ``EXCLUDED`` with the reason it is
not a page. A pattern in neither fails the test, so a new page is covered the day it is added. A page
a role may not see (403, a redirect, a 404 for another commune's record) is skipped for that role;
each role must still have seen a good number of pages. The citizen site written by the public site
builder is visited by an anonymous visitor. Five main pages are photographed in English at 390 px.
"""

from __future__ import annotations

import base64
import os
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.alerts import demo as alerts_demo
from beffroi.alerts.models import Alert
from beffroi.core.actors import SystemActor
from beffroi.crisis import demo as crisis_demo
from beffroi.crisis import scenario
from beffroi.crisis.actions_tasks import do_create_task
from beffroi.crisis.exercise import apply_due, do_start_exercise
from beffroi.crisis.models import ReflexSheet, Shelter
from beffroi.crossing import demo as crossing_demo
from beffroi.monitoring import demo as monitoring_demo
from beffroi.monitoring.models import Indicator
from beffroi.public.site import build_site
from beffroi.registry import demo as registry_demo
from beffroi.registry.models import CallAssignment, Person
from beffroi.registry.outreach import do_record_outcome, do_start_campaign
from beffroi.registry.routes import do_plan_routes
from beffroi.sources import demo as sources_demo
from beffroi.sources.actions import do_add_source
from beffroi.sources.models import Dataset, Source

from ..conftest import PASSWORD
from .conftest import login

ROOT = Path(__file__).resolve().parents[2]
DEMO = ["92063", "92033", "94052"]
PHONE = {"width": 390, "height": 844}
TAP = 44  # px, WCAG 2.5.5 / Apple and Android guidance for a finger

# The demo's accounts (beffroi.demo.DEMO_ACCOUNTS): username, role, communes, second factor.
ROLES = [
    ("admin", "administrateur", None, True),
    ("maire", "maire", None, True),
    ("cellule", "cellule_crise", None, False),
    ("communication", "communication", None, False),
    ("ccas", "agent_ccas", ["92063"], True),
    ("lecteur", "lecteur", ["92033"], False),
]
# Each role must have seen at least this many pages (a little under what the demo's roles see today:
# admin 33, maire 37, cellule 40 with the English pages, communication 28, ccas 21, lecteur 20, and
# the anonymous visitor 14 with the built citizen site).
MIN_PAGES = {
    "admin": 30,
    "maire": 34,
    "cellule": 36,
    "communication": 25,
    "ccas": 18,
    "lecteur": 17,
    "anonyme": 12,
}

POST_ONLY = "POST only (an action: its GET answers 405 or redirects)"
DOWNLOAD = "a download (CSV, PDF, XLSX, ZIP), not a page"
JSON = "JSON for the page's scripts, not a page"
EXCLUDED: dict[str, str] = {
    "healthz": "JSON health probe",
    "accounts:logout": "POST only; would end the session the test reuses",
    "language": "POST only (the header's FR/EN switch; used for the English screenshots)",
    "set_language": "POST only (Django's set_language)",
    "live:stream": "the SSE stream: never finishes loading, not a page",
    "public:file": "the static citizen site's files: visited from the built site below",
    "public/<path:path>": "the static citizen site's files: visited from the built site below",
    "public:index": "redirects to the built /public/index.html, visited below",
    "public:subscribe_push": POST_ONLY,
    "sources:upload": "POST only (the upload form lives on the data index; GET redirects there)",
    "sources:export": DOWNLOAD,
    "sources:run": POST_ONLY,
    "sources:vigicrues_stations": JSON,
    "crossing:profile_export": DOWNLOAD,
    "monitoring:crisis_layer": JSON,
    "monitoring:map_layers": JSON,
    "monitoring:proposals": "htmx fragment re-fetched inside monitoring:index (visited)",
    "monitoring:accept": POST_ONLY,
    "monitoring:dismiss": POST_ONLY,
    "crisis:request_open": POST_ONLY,
    "crisis:add_entry": POST_ONLY,
    "crisis:entries": "the main courante's htmx fragment, re-fetched inside crisis:detail (visited)",
    "crisis:export_csv": DOWNLOAD,
    "crisis:attachment": DOWNLOAD,
    "crisis:escalate": POST_ONLY,
    "crisis:handover": POST_ONLY,
    "crisis:close": POST_ONLY,
    "crisis:add_staffing": POST_ONLY,
    "crisis:end_staffing": POST_ONLY,
    "crisis:add_task": POST_ONLY,
    "crisis:task_status": POST_ONLY,
    "crisis:assign_task": POST_ONLY,
    "crisis:start_sheet": POST_ONLY,
    "crisis:exercise_tick": POST_ONLY,
    "crisis:add_resource": POST_ONLY,
    "crisis:lend_resource": POST_ONLY,
    "crisis:return_resource": POST_ONLY,
    "crisis:commit_resource": POST_ONLY,
    "crisis:release_commitment": POST_ONLY,
    "crisis:request_resource": POST_ONLY,
    "crisis:answer_request": POST_ONLY,
    "crisis:return_request": POST_ONLY,
    "crisis:shelter_occupancy": POST_ONLY,
    "crisis:shelter_state": POST_ONLY,
    "crisis:shelter_departure": POST_ONLY,
    "crisis:exercise_start": POST_ONLY,
    "alerts:preview": POST_ONLY + "; answers JSON",
    "alerts:estimate": POST_ONLY + "; answers JSON",
    "alerts:estimate_version": JSON,
    "alerts:zone": JSON,
    "alerts:template": JSON,
    "alerts:submit": POST_ONLY,
    "alerts:approve": POST_ONLY,
    "alerts:reject": POST_ONLY,
    "alerts:publish": POST_ONLY,
    "alerts:update": POST_ONLY,
    "alerts:cancel": POST_ONLY,
    "registry:export_prefect": DOWNLOAD,
    "registry:person_action": POST_ONLY,
    "registry:ack_letter": DOWNLOAD,
    "registry:subject_export": DOWNLOAD,
    "registry:campaign_action": POST_ONLY,
    "registry:outcome": POST_ONLY,
    "registry:visit_outcome": POST_ONLY,
    "registry:place": POST_ONLY,
    "reports:pcs_pdf": DOWNLOAD,
    "reports:retex_pdf": DOWNLOAD,
    "reports:log_pdf": DOWNLOAD,
    "reports:route_print": POST_ONLY + "; " + DOWNLOAD + " (the route's page is registry:route)",
}
# The JSON API (django-ninja) and Django's stock admin, by path.
EXCLUDED_PREFIXES = {
    "api/": "the JSON API (and its third-party Swagger page), not the cockpit's pages",
    "admin/": "Django's stock admin (its own responsive stylesheet; staff accounts only, no demo role)",
}
# A page whose normal answer is not 200: the subscription links with an unknown token say so.
EXPECTED_STATUS = {"public:confirm": 400}
# Visited on their own: the sign-in steps and citizen pages anonymously, the OTP step during the
# sign-in of the roles with a second factor, the import preview after an upload.
SPECIAL = {
    "accounts:login",
    "accounts:otp",
    "public:subscribe",
    "public:confirm",
    "public:unsubscribe",
    "sources:confirm",
}


def url_patterns():
    """(name, route, pattern) of every URL pattern, namespaces joined as Django's reverse wants."""

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(filter(None, [namespace, p.namespace or ""]))
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
                yield name or prefix + str(p.pattern), prefix + str(p.pattern), p

    return list(walk(get_resolver().url_patterns))


def _verified(user):
    user.is_verified = lambda: True  # as a TOTP-confirmed session (see alerts.demo)
    return user


@pytest.fixture
def demo_site(make_user, settings, tmp_path):
    """The demo (beffroi.demo.set_up_demo's loaders, without the network runs of the sources), the
    flood exercise played for an hour and a half, a heatwave call campaign with a visit route."""
    settings.PUBLIC_ROOT = tmp_path / "public"
    settings.REGISTRY_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
    users = {
        username: make_user(role, communes, username=username, totp=totp_)
        for username, role, communes, totp_ in ROLES
    }
    for user in users.values():
        user.email = f"{user.username}@demo.beffroi.invalid"
        user.save(update_fields=["email"])
    crossing_demo.load(DEMO)
    monitoring_demo.load(DEMO)
    crisis_demo.load(DEMO)
    registry_demo.load(DEMO)
    alerts_demo.load(DEMO)
    run = do_start_exercise(
        scenario.load(ROOT / "scenarios" / "crue-marne-nogent.yaml"), speed=60, actor=SystemActor("cli")
    )
    apply_due(run, now=run.started_at + timedelta(seconds=90))
    crisis = run.crisis
    cell = users["cellule"]
    do_create_task(crisis, title="Fermer le parking du port", cell="technique", priority=1, actor=cell)
    ccas = _verified(users["ccas"])
    campaign = do_start_campaign("92063", hazard="canicule", callers=[ccas], max_failed_calls=1, actor=ccas)
    for assignment in CallAssignment.objects.filter(campaign=campaign)[:3]:
        do_record_outcome(assignment.pk, "no_answer", actor=ccas)
    routes = do_plan_routes(campaign, teams=1, actor=ccas)
    # The demo's sources, added without their first run (offline it only records a failure).
    for name, kind, config, period, title in sources_demo.DEMO_SOURCES[:2]:
        do_add_source(
            name, kind, config=config, period_seconds=period, title=title, actor=SystemActor("demo")
        )
    build_site()
    return SimpleNamespace(
        users=users,
        crisis=crisis,
        campaign=campaign,
        route=routes[0],
        alert=Alert.objects.exclude(source=alerts_demo.EXAMPLE_SOURCE).order_by("pk").first(),
        example=Alert.objects.get(source=alerts_demo.EXAMPLE_SOURCE),
        person=Person.objects.filter(commune_code="92063").order_by("pk").first(),
        sheet=ReflexSheet.objects.order_by("pk").first(),
        shelter=Shelter.objects.order_by("pk").first(),
        indicator=Indicator.objects.order_by("pk").first(),
        dataset=Dataset.objects.order_by("name").first(),
        source=Source.objects.order_by("name").first(),
    )


def arguments(name: str, data) -> dict[str, object]:
    """The URL arguments of a pattern, from the demo's objects."""
    namespace = name.split(":")[0]
    pk = {
        "crisis": data.crisis.pk,
        "alerts": data.alert.pk,
        "registry": data.campaign.pk,
        "web": data.crisis.pk,
        "reports": data.crisis.pk,
    }.get(namespace)
    return {
        "pk": pk,
        "name": data.dataset.name if name.startswith("sources:dataset") else data.source.name,
        "key": data.indicator.key,
        "sheet_id": data.sheet.pk,
        "shelter_id": data.shelter.pk,
        "commune": "92063",
        "public_id": data.person.public_id,
        "route": data.route.pk,
        "token": "jeton-inconnu",
    }


def cockpit_pages(data) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, url) of every page to visit while logged in, and the patterns neither visited nor
    excluded (which fail the test)."""
    pages, unplaced = [], []
    for name, route, _pattern in url_patterns():
        if name in EXCLUDED or route.startswith(tuple(EXCLUDED_PREFIXES)) or name in SPECIAL:
            continue
        wanted = re.findall(r"<(?:\w+:)?(\w+)>", route)
        known = arguments(name, data)
        if any(known.get(arg) is None for arg in wanted) or name == route:
            unplaced.append(f"{name} ({route})")
            continue
        pages.append((name, reverse(name, kwargs={arg: known[arg] for arg in wanted})))
    return pages, unplaced


# One script per page: the document's width, what sticks out first when it is too wide, and the
# tap targets smaller than TAP px (a checkbox or radio counts with its label).
MEASURE = """(tap) => {
  const W = window.innerWidth;
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    for (const c of el.classList) s += '.' + c;
    if (el.getAttribute('name')) s += '[name=' + el.getAttribute('name') + ']';
    if (el.type && el.tagName === 'INPUT') s += '[type=' + el.type + ']';
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.getAttribute('title') || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    return text ? s + ' « ' + text + ' »' : s;
  };
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none'
      && !el.closest('[hidden], [aria-hidden=true]');
  };
  // Inside a box that scrolls (or clips) sideways, an element does not widen the page.
  const scrolled = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  const width = document.documentElement.scrollWidth;
  const wide = [];
  if (width > W) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      const parent = el.parentElement && el.parentElement.getBoundingClientRect();
      if (r.right > W + 0.5 && parent && parent.right <= W + 0.5 && !scrolled(el)
          && getComputedStyle(el).display !== 'none') {
        wide.push(describe(el) + ' (' + Math.round(r.right) + ' px)');
      } else if (r.right <= W + 0.5 && r.left + el.scrollWidth > W + 0.5 && !scrolled(el)
                 && getComputedStyle(el).overflowX === 'visible' && el.scrollWidth > el.clientWidth + 1
                 && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) {
        wide.push(describe(el) + ' (its text: ' + Math.round(r.left + el.scrollWidth) + ' px)');
      }
    }
  }
  const small = [];
  const targets = document.querySelectorAll(
    'button, input:not([type=hidden]), select, textarea, summary, [role=button], a.button, nav a, header a');
  for (const el of targets) {
    if (!shown(el)) continue;
    let r = el.getBoundingClientRect();
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.closest('label') || (el.id && document.querySelector('label[for="' + el.id + '"]'));
      if (label) r = label.getBoundingClientRect();
    }
    if (r.height < tap - 0.5 || r.width < tap - 0.5) {
      small.push(describe(el) + ' ' + Math.round(r.width) + '×' + Math.round(r.height));
    }
  }
  return {width, wide: wide.slice(0, 8), small};
}"""


class Findings:
    def __init__(self):
        self.too_wide: list[str] = []
        self.small: dict[str, set[str]] = {}
        self.seen: dict[str, list[str]] = {}
        self.checked: set[str] = set()

    def measure(self, page, who: str, name: str) -> None:
        result = page.evaluate(MEASURE, TAP)
        self.seen.setdefault(who, []).append(name)
        self.checked.add(name)
        if result["width"] > PHONE["width"]:
            self.too_wide.append(
                f"{who} — {name} ({urlsplit(page.url).path}): {result['width']} px wide; "
                f"first out: {', '.join(result['wide']) or '?'}"
            )
        for target in result["small"]:
            self.small.setdefault(target, set()).add(f"{name}")

    def report(self) -> str:
        lines = []
        if self.too_wide:
            lines.append(f"{len(self.too_wide)} page(s) wider than {PHONE['width']} px:")
            lines += [f"  {line}" for line in self.too_wide]
        if self.small:
            lines.append(f"{len(self.small)} tap target(s) under {TAP}×{TAP} px:")
            for target, pages in sorted(self.small.items()):
                lines.append(
                    f"  {target} — on {', '.join(sorted(pages)[:4])}{' …' if len(pages) > 4 else ''}"
                )
        return "\n".join(lines)


# The five main pages (and the resources cards) photographed in English at 390 px, after the
# header's EN switch, by role.
ENGLISH = {
    "cellule": lambda data: [
        ("dashboard", reverse("web:dashboard")),
        ("crisis", reverse("crisis:detail", kwargs={"pk": data.crisis.pk})),
        ("crisis-resources", reverse("crisis:resources")),
        ("alerts", reverse("alerts:index")),
        ("alerts-compose", reverse("alerts:compose")),
        ("monitoring", reverse("monitoring:index")),
    ],
    "ccas": lambda data: [
        ("registry", reverse("registry:people", kwargs={"commune": "92063"})),
        ("registry-campaign", reverse("registry:campaign", kwargs={"pk": data.campaign.pk})),
    ],
}


def _switch_to_english(page) -> None:
    page.goto(reverse("web:dashboard"))
    with page.expect_navigation():
        page.get_by_role("button", name="EN").click()
    assert page.evaluate("document.documentElement.lang") == "en"


def _shoot(page, name: str) -> Path:
    directory = Path(django_settings.DATA_DIR) / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _phone(browser, live_server, language="fr-FR"):
    context = browser.new_context(base_url=live_server.url, locale=language, viewport=PHONE)
    return context, context.new_page()


def _login(page, user, findings, who):
    login(page, user.username, PASSWORD)
    if "/accounts/login/otp/" in page.url:
        findings.measure(page, who, "accounts:otp")
        device = TOTPDevice.objects.get(user=user)
        page.locator("input[name=token]").fill(
            f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
        )
        with page.expect_navigation():
            page.locator("form button[type=submit]").last.click()
    assert "/accounts/login" not in page.url, f"{who}: login failed ({page.url})"


def _visit(page, findings, who, name, url, expected=200) -> bool:
    response = page.goto(url, wait_until="load")
    if response is None or response.status != expected or urlsplit(page.url).path != urlsplit(url).path:
        return False  # not for this role (403, a redirect to another page, another commune's 404)
    if "html" not in response.headers.get("content-type", ""):
        return False
    findings.measure(page, who, name)
    return True


CSV = "nom;commune;places\nGymnase Watteau;94052;120\nSalle des fêtes;92063;80\n"


def _upload_preview(page) -> str | None:
    """The import preview needs a file uploaded in this session: upload a small CSV as the data
    index's form does, and answer the preview's URL (None when the role may not import)."""
    csrf = next((c["value"] for c in page.context.cookies() if c["name"] == "csrftoken"), None)
    if csrf is None:
        page.goto(reverse("sources:index"))
        csrf = next((c["value"] for c in page.context.cookies() if c["name"] == "csrftoken"), "")
    response = page.request.post(
        reverse("sources:upload"),
        multipart={
            "csrfmiddlewaretoken": csrf,
            "dataset": "salles-communales",
            "file": {
                "name": "salles.csv",
                "mimeType": "text/csv",
                "buffer": CSV.encode(),
            },
        },
        headers={"Referer": page.url},
    )
    path = urlsplit(response.url).path
    return path if "/donnees/importer/" in path and response.status == 200 else None


def test_every_page_of_every_role_fits_a_390_px_phone(browser, live_server, demo_site):
    findings, shots = Findings(), []
    pages, unplaced = cockpit_pages(demo_site)
    assert not unplaced, (
        "URL patterns neither visited nor excluded (add their arguments in arguments() or a reason "
        f"in EXCLUDED): {unplaced}"
    )
    for who, _role, _communes, _totp in ROLES:
        context, page = _phone(browser, live_server)
        _login(page, demo_site.users[who], findings, who)
        for name, url in pages:
            _visit(page, findings, who, name, url)
        preview = _upload_preview(page)
        if preview:
            _visit(page, findings, who, "sources:confirm", preview)
        if who in ENGLISH:
            _switch_to_english(page)
            for label, url in ENGLISH[who](demo_site):
                assert _visit(page, findings, who, f"en {label}", url), f"{who}: {label} in English"
                assert page.evaluate("document.documentElement.lang") == "en"
                shots.append(_shoot(page, f"phone-390-en-{label}"))
        context.close()

    # The citizen: the sign-in page, the subscription pages and every page of the built site.
    context, page = _phone(browser, live_server)
    who = "anonyme"
    assert _visit(page, findings, who, "accounts:login", reverse("accounts:login"))
    assert _visit(page, findings, who, "public:subscribe", reverse("public:subscribe"))
    for name in ("public:confirm", "public:unsubscribe"):
        url = reverse(name, kwargs={"token": "jeton-inconnu"})
        assert _visit(page, findings, who, name, url, expected=EXPECTED_STATUS.get(name, 200)), name
    public_root = Path(django_settings.PUBLIC_ROOT)
    built = sorted(public_root.rglob("*.html"))
    assert {"index.html", "en/index.html"} <= {str(p.relative_to(public_root)) for p in built}
    for path in built:
        relative = str(path.relative_to(public_root))
        assert _visit(page, findings, who, f"/public/{relative}", f"/public/{relative}"), relative
    context.close()

    never = sorted({name for name, _url in pages} - findings.checked)
    counts = {who: len(seen) for who, seen in findings.seen.items()}
    print(f"{len(pages)} cockpit pages; pages checked per role:", counts)
    print("screenshots:", [str(path) for path in shots])
    print("public pages:", [str(p.relative_to(public_root)) for p in built])
    problems = [findings.report()] if findings.too_wide or findings.small else []
    if never:
        problems.append(f"pages no role could open (fix their arguments or exclude them): {never}")
    for who, minimum in MIN_PAGES.items():
        if counts.get(who, 0) < minimum:
            problems.append(
                f"{who} saw only {counts.get(who, 0)} pages (at least {minimum}): {findings.seen.get(who)}"
            )
    assert not problems, "\n".join(problems)
