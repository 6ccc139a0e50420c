"""End-to-end tests: Playwright (Python) driving Debian's Chromium against Django's live server.

Screenshots go to ``var/screenshots/``; look at them after a change to a page.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("BEFFROI_CHROMIUM", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# between browser steps are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the end-to-end tests need it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
                # Tests connect only to 127.0.0.1: every other host name fails to resolve.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, transactional_db):
    # transactional_db first: the page closes before the database is flushed.
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors
    pending: set = set()
    page.on("request", lambda r: pending.add(r) if r.resource_type not in LONG_LIVED else None)
    page.on("requestfinished", lambda r: pending.discard(r))
    page.on("requestfailed", lambda r: pending.discard(r))
    yield page
    settle(page, pending)
    context.close()


LONG_LIVED = {"eventsource", "websocket"}  # never finish while the page is open


def settle(page, pending: set, seconds: float = 10.0) -> None:
    """Wait until the live server answered the page's requests (at most ``seconds``).

    A request still being served when the test's database is flushed (the debounced estimate, a
    map layer) holds row locks that the TRUNCATE waits for while the request waits for the table:
    PostgreSQL's deadlock detector then fails the teardown and leaves the tables full.
    """
    deadline = time.monotonic() + seconds
    while pending and time.monotonic() < deadline:
        page.wait_for_timeout(50)


@pytest.fixture
def screenshot(page):
    directory = Path(settings.DATA_DIR) / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)

    def take(name: str):
        path = directory / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def login(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("load")
