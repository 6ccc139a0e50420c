"""Every write operation of the API, walked with bad values: a 400 (or 403/404 for another
commune's or a missing object) in the shared error shape, each problem located by its field, in
French, and nothing written.

``CASES`` is a table per operation; ``test_every_write_operation_is_walked`` reads the OpenAPI
document, so a new POST operation without a row here fails. (``test_schemathesis.py`` also sends
generated requests to every operation; this table sends the values the issue lists: too long for
the column, NUL byte, unknown choice, wrong JSON type, unknown id, another commune's object.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group

from beffroi.accounts.actions import do_create_token
from beffroi.accounts.roles import ROLES
from beffroi.core.actors import SystemActor
from tests.web.test_bad_input_forms import GARCHES, NOGENT, counts

NUL = "a\x00b"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[2.18, 48.84], [2.19, 48.84], [2.19, 48.85], [2.18, 48.84]]],
}
OPEN_RING = {
    "type": "Polygon",
    "coordinates": [[[2.18, 48.84], [2.19, 48.84], [2.19, 48.85], [2.18, 48.85]]],
}


@dataclass
class Case:
    path: str  # with {crisis}, {foreign_crisis}… filled from ``world``
    body: Any
    field: str  # the ``located[].field`` expected (prefix); "" for a 403/404
    statuses: tuple[int, ...] = (400,)
    label: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.field or '-'}:{self.label}"


ALERT = {"hazard": "canicule", "communes": [GARCHES]}
ENTRY = {"text": "Appel", "category": "info", "source": "telephone"}
MISSING = (403, 404)

CASES = [
    # alerts
    Case("/api/alerts/", {**ALERT, "hazard": "godzilla"}, "hazard", label="unknown hazard"),
    Case("/api/alerts/", {**ALERT, "texts": "x"}, "texts", label="texts as a string"),
    Case(
        "/api/alerts/",
        {**ALERT, "texts": {"fr": {"headline": "x" * 141}}},
        "texts.fr.headline",
        label="too long",
    ),
    Case("/api/alerts/", {**ALERT, "contact": "x" * 201}, "contact", label="too long"),
    Case("/api/alerts/", {**ALERT, "contact": NUL}, "", label="NUL"),
    Case("/api/alerts/", {**ALERT, "communes": ["abc"]}, "communes[0]", label="bad code"),
    Case("/api/alerts/", {**ALERT, "communes": [NOGENT]}, "", (403,), "foreign commune"),
    Case("/api/alerts/", {**ALERT, "crisis_id": "abc"}, "crisis_id", label="crisis=abc"),
    Case("/api/alerts/", {**ALERT, "crisis_id": 999999}, "crisis_id", label="unknown crisis"),
    Case(
        "/api/alerts/", {**ALERT, "crisis_id": "{foreign_crisis}"}, "crisis_id", (400, 403), "foreign crisis"
    ),
    Case("/api/alerts/", {**ALERT, "onset": "demain"}, "onset", label="bad date"),
    Case("/api/alerts/", [ALERT], "", label="a list, not an object"),
    # crisis: main courante
    Case("/api/crisis/{crisis}/entries", {**ENTRY, "text": "x" * 10_001}, "text", label="too long"),
    Case("/api/crisis/{crisis}/entries", {**ENTRY, "text": NUL}, "", label="NUL"),
    Case("/api/crisis/{crisis}/entries", {**ENTRY, "text": ""}, "text", label="empty"),
    Case("/api/crisis/{crisis}/entries", {**ENTRY, "category": "godzilla"}, "category", label="unknown"),
    Case("/api/crisis/{crisis}/entries", {**ENTRY, "location": "x" * 201}, "location", label="too long"),
    Case("/api/crisis/{crisis}/entries", {**ENTRY, "corrects_seq": 999}, "corrects_seq", label="unknown"),
    Case("/api/crisis/{crisis}/entries", {**ENTRY, "lat": "nord"}, "lat", label="wrong type"),
    Case("/api/crisis/abc/entries", ENTRY, "crisis_id", label="crisis=abc"),
    Case("/api/crisis/999999/entries", ENTRY, "", MISSING, "unknown crisis"),
    Case("/api/crisis/{foreign_crisis}/entries", ENTRY, "", MISSING, "foreign crisis"),
    # crossing
    Case("/api/crossing/exposure", {"area": OPEN_RING}, "area", label="unclosed ring"),
    Case("/api/crossing/exposure", {"commune": "abc"}, "commune", label="bad code"),
    Case("/api/crossing/exposure", {"area": "x"}, "area", label="wrong type"),
    Case("/api/crossing/scenario/inconnu", {"area": SQUARE}, "", (400, 403, 404), "unknown dataset"),
    Case("/api/crossing/scenario/inconnu", {"area": 3}, "area", label="wrong type"),
    Case("/api/crossing/saved", {"name": "x" * 121, "area": SQUARE}, "name", label="too long"),
    Case("/api/crossing/saved", {"name": NUL, "area": SQUARE}, "", label="NUL"),
    Case("/api/crossing/saved", {"name": "Zone", "area": OPEN_RING}, "area", label="unclosed ring"),
    Case("/api/crossing/saved/999999/recompute", None, "", MISSING, "unknown"),
    Case("/api/crossing/saved/abc/recompute", None, "saved_id", label="non-numeric"),
    # monitoring
    Case(
        "/api/observations",
        {"points": [{"series": "x" * 121, "at": "2026-12-01T10:00:00Z", "value": 1}]},
        "points[0].series",
        label="too long",
    ),
    Case(
        "/api/observations",
        {"points": [{"series": "s", "at": "hier", "value": 1, "unit": "m"}]},
        "points[0].at",
        label="bad date",
    ),
    Case(
        "/api/observations",
        {"points": [{"series": "s", "at": "2026-12-01T10:00:00Z", "value": "abc", "unit": "m"}]},
        "points[0].value",
        label="wrong type",
    ),
    Case("/api/observations", {"points": "x"}, "points", label="wrong type"),
    Case("/api/proposals/999999/accept", {}, "", MISSING, "unknown"),
    Case("/api/proposals/abc/dismiss", {}, "proposal_id", label="non-numeric"),
    Case("/api/proposals/999999/dismiss", {"note": "x" * 2001}, "note", label="too long"),
    # registry
    Case("/api/registry/count-in-area", {"area": "x"}, "area", label="wrong type"),
    Case("/api/registry/assignments/999999/outcome", {"outcome": "ok"}, "", MISSING, "unknown"),
    Case("/api/registry/assignments/1/outcome", {"outcome": "godzilla"}, "outcome", label="unknown"),
    Case(
        "/api/registry/assignments/1/outcome", {"outcome": "ok", "note": "x" * 1001}, "note", label="too long"
    ),
    # sources
    Case("/api/sources/sources/inconnu/run", None, "", (403, 404), "unknown"),
    Case("/api/sources/sources/inconnu/run?dry_run=peut-etre", None, "dry_run", label="wrong type"),
]


@pytest.fixture
def world(make_user, settings, tmp_path):
    from beffroi.core import live
    from beffroi.crisis.actions import do_open_crisis

    settings.PUBLIC_ROOT = tmp_path / "public"
    settings.DATASETS_DIR = tmp_path / "data"
    live.set_broker(live.MemoryBroker(100))
    user = make_user("cellule_crise", [GARCHES])
    user.groups.add(*Group.objects.filter(name__in=[r for r in ROLES if r != "administrateur"]))
    crisis = do_open_crisis(
        hazard="inondation", communes=[GARCHES], level=2, exercise=False, title="Crue", actor=user
    )
    nogent_mayor = make_user("maire", [NOGENT])
    foreign = do_open_crisis(
        hazard="inondation", communes=[NOGENT], level=2, exercise=False, title="Crue", actor=nogent_mayor
    )
    from beffroi.monitoring.actions import do_save_indicator

    do_save_indicator(
        key="seine",
        label="Seine",
        unit="m",
        source="Hub'Eau",
        series="s",
        commune=GARCHES,
        hazard="inondation",
        public=False,
        stale_after=timedelta(hours=1),
        thresholds=[],
        actor=SystemActor("cli"),
    )
    token = do_create_token(user, "walk", actor=SystemActor("cli"))
    yield {"crisis": crisis.pk, "foreign_crisis": foreign.pk, "token": token}
    live.reset()


def _fill(value: Any, world: dict) -> Any:
    if isinstance(value, str):
        if value == "{foreign_crisis}":
            return world["foreign_crisis"]
        return value.format(**world) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_bad_value_gets_a_located_refusal_and_nothing_is_written(client, world, case):
    path = case.path.format(**world)
    body = "" if case.body is None else json.dumps(_fill(case.body, world))
    before = counts()
    response = client.post(
        path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {world['token']}"
    )
    assert response.status_code in case.statuses, (response.status_code, response.content[:1000])
    answer = response.json()
    assert set(answer) >= {"detail", "problems", "located"}, answer
    if case.field:
        fields = [p["field"] or "" for p in answer["located"]]
        assert any(f.startswith(case.field) for f in fields), answer
    assert counts() == before


def test_every_write_operation_is_walked(client, world):
    spec = client.get("/api/openapi.json", HTTP_AUTHORIZATION=f"Bearer {world['token']}").json()
    templates = {c.path.split("?")[0] for c in CASES}

    def walked(path: str) -> bool:
        import re

        pattern = re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"
        return any(re.match(pattern, t) for t in templates)

    writes = [p for p, ops in spec["paths"].items() for m in ops if m in ("post", "put", "patch", "delete")]
    assert len(writes) >= 12
    missing = [p for p in writes if not walked(p)]
    assert not missing, f"API write operations without bad-input cases: {missing}"
