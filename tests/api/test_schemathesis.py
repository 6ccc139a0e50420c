"""The API keeps its OpenAPI contract: schemathesis generates requests for every operation from
``/api/openapi.json`` and sends them in-process (Django's WSGI app, no socket, no network) with a
valid bearer token. Each response must not be a server error, its status code must be documented
for the operation, and its body must match the documented schema.

Run alone: ``pytest -m schemathesis``. Bounded: a few seeded examples per operation and generation
mode (valid and invalid inputs), no deadline, so the run stays well under two minutes.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from beffroi.accounts.actions import do_create_token
from beffroi.accounts.roles import ROLES
from beffroi.core import live
from beffroi.core.actors import SystemActor

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# A deeper run, by hand: BEFFROI_SCHEMATHESIS_EXAMPLES=50 pytest -m schemathesis
EXAMPLES_PER_MODE = int(os.environ.get("BEFFROI_SCHEMATHESIS_EXAMPLES", "3"))


@pytest.fixture
def isolated(settings, tmp_path):
    # Writes land in the test's own folders; sources may only reach 127.0.0.1 (a run of a source
    # pointed anywhere else is refused by the connectors' SSRF guard before any socket opens).
    settings.PUBLIC_ROOT = tmp_path / "public"
    settings.DATASETS_DIR = tmp_path / "data"
    settings.SOURCES_ALLOW_HOSTS = []
    live.set_broker(live.MemoryBroker(5000))
    # The WSGI app is called directly, not through Django's test client: like that client, keep the
    # end of each request from closing the test's database connection (its transaction holds the
    # test data; a file-backed SQLite test database really closes).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        live.reset()


@pytest.fixture
def token(make_user, isolated):
    """A token of a user holding every role in the three test communes, so most operations get
    past the permission check and reach the code that reads the input."""
    user = make_user("cellule_crise")
    user.groups.add(*Group.objects.filter(name__in=[r for r in ROLES if r != "administrateur"]))
    return do_create_token(user, "schemathesis", actor=SystemActor("cli"))


@pytest.fixture
def some_data(make_user, token):
    """A crisis, an alert and an indicator with observations, so the listings return real rows
    whose schemas are checked (and generated ids sometimes hit a real object)."""
    from beffroi.alerts.actions import do_draft_alert
    from beffroi.crisis.actions import do_open_crisis
    from beffroi.monitoring.actions import do_ingest_points, do_save_indicator

    mayor = make_user("maire", ["94052"])
    do_open_crisis(
        hazard="inondation", communes=["94052"], level=2, exercise=False, title="Crue", actor=mayor
    )
    do_draft_alert(
        actor=make_user("communication", ["92063"]),
        hazard="inondation",
        communes=["92063"],
        onset=timezone.now(),
        expires=timezone.now() + timedelta(hours=6),
        texts=None,
    )
    do_save_indicator(
        key="marne-gournay",
        label="Hauteur de la Marne à Gournay",
        unit="m",
        source="Hub'Eau (Vigicrues)",
        series="hubeau:F664000104:H",
        commune="94052",
        hazard="inondation",
        public=True,
        stale_after=timedelta(hours=1),
        latitude=48.86,
        longitude=2.57,
        thresholds=[{"level": 1, "name": "veille", "label": "Veille", "value": 2.0, "colour": "#2f6fbf"}],
        actor=SystemActor("cli"),
    )
    now = timezone.now()
    points = [
        {
            "series": "hubeau:F664000104:H",
            "at": now - timedelta(minutes=10 * i),
            "value": 1.5 + i / 10,
            "unit": "m",
        }
        for i in range(3)
    ]
    do_ingest_points(points, source="test", actor=SystemActor("poll_sources"), strict=True)


def test_every_operation_keeps_the_contract(token, some_data):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_MODE,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis groups failures in one
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures)
