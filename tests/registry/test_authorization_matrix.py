"""Every registry URL and API route × every role: allowed or denied, and a read-audit row per allowed read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from beffroi.core.actors import SystemActor
from beffroi.registry import access, outreach, routes
from beffroi.registry.importer import import_file
from beffroi.registry.models import AccessLog, Campaign, Person, VisitRoute

from ..conftest import login_client
from .conftest import verified

FIXTURES = Path(__file__).parent.parent / "fixtures" / "registry"
ROLES = [
    "maire",
    "cellule_crise",
    "communication",
    "lecteur",
    "administrateur",
    "agent_ccas",
    "agent_unnominated",
    "agent_unverified",
    "agent_caller",
    "agent_other_commune",
]
ALL = set(ROLES)
MANAGER = {"agent_ccas"}
CALLERS = {"agent_ccas", "agent_caller"}
DPO = {"maire", "administrateur"}


@pytest.fixture
def world(territory, nominate, make_user):
    import_file(FIXTURES / "registre-ccas-geo.csv", "92063", actor=SystemActor("cli"))
    agent = verified(nominate())
    caller = nominate(scope="caller")
    campaign = outreach.do_start_campaign(
        "92063", hazard="canicule", callers=[agent, caller], actor=agent, max_failed_calls=1
    )
    for row in access.caller_share(agent, campaign):
        outreach.do_record_outcome(row.assignment_id, "no_answer", actor=agent)
    routes.do_plan_routes(campaign, teams=1, actor=agent)
    return {
        "agent": agent,
        "caller": caller,
        "campaign": campaign,
        "person": Person.objects.first(),
        "route": VisitRoute.objects.first(),
        "make_user": make_user,
        "nominate": nominate,
    }


def user_for(role, world):
    make_user, nominate = world["make_user"], world["nominate"]
    if role == "agent_ccas":
        return world["agent"], True
    if role == "agent_caller":
        return world["caller"], True
    if role == "agent_unnominated":
        return make_user("agent_ccas", ["92063"], totp=True), True
    if role == "agent_unverified":
        return nominate(), False
    if role == "agent_other_commune":
        return nominate(communes=("92033",)), True
    return make_user(role, None if role != "lecteur" else ["92063"], totp=role == "maire"), True


def urls(world):
    c, p, r = world["campaign"], world["person"], world["route"]
    commune = "92063"
    return [
        # (method, url, allowed roles, is a read of personal data)
        ("get", reverse("registry:index"), ALL, False),
        ("get", reverse("registry:people", args=[commune]), MANAGER, True),
        ("get", reverse("registry:overdue", args=[commune]), MANAGER, True),
        ("get", reverse("registry:register", args=[commune]), MANAGER, False),
        ("get", reverse("registry:import", args=[commune]), MANAGER, False),
        ("get", reverse("registry:export_prefect", args=[commune]), MANAGER, False),
        ("get", reverse("registry:campaign_new", args=[commune]), MANAGER, False),
        ("get", reverse("registry:person", args=[p.public_id]), MANAGER, True),
        ("get", reverse("registry:ack_letter", args=[p.public_id]), MANAGER, True),
        ("get", reverse("registry:subject_export", args=[p.public_id]), MANAGER, True),
        ("get", reverse("registry:campaign", args=[c.pk]), CALLERS, True),
        ("get", reverse("reports:route_print", args=[c.pk, r.pk]), MANAGER, True),
        ("get", reverse("registry:access_log"), DPO, False),
        ("get", reverse("registry:nominations"), DPO, False),
        ("post", reverse("registry:person_action", args=[p.public_id]), MANAGER, False),
        ("post", reverse("registry:campaign_action", args=[c.pk]), MANAGER, False),
        ("get", reverse("registry:route", args=[c.pk, r.pk]), MANAGER, True),
        ("post", reverse("registry:visit_outcome", args=[c.pk, r.visits.first().pk]), MANAGER, False),
        ("post", reverse("registry:place", args=[c.pk, p.public_id]), MANAGER, False),
        ("get", "/api/registry/counts", ALL, False),
        ("post", "/api/registry/count-in-area", ALL, False),
        ("get", f"/api/registry/campaigns/{c.pk}/progress", ALL - {"agent_other_commune"}, False),
        ("get", f"/api/registry/campaigns/{c.pk}/my-calls", CALLERS, True),
        ("get", f"/api/registry/communes/{commune}/people", MANAGER, True),
    ]


POST_BODIES = {
    "fiche": {"action": "sent"},
    "visite": {"status": "absent", "note": "volets fermés"},
    "localiser": {"how": "map", "lon": "2.181", "lat": "48.876"},
    "campagne": {"action": "summary"},
}
AREA = {
    "area": {
        "type": "Polygon",
        "coordinates": [[[2.1, 48.8], [2.3, 48.8], [2.3, 48.9], [2.1, 48.9], [2.1, 48.8]]],
    }
}


@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(role, world, client):
    user, verified_session = user_for(role, world)
    if verified_session:
        login_client(client, user)
    else:
        client.force_login(user)  # a password-only session: no second factor
    failures = []
    for method, url, allowed, personal in urls(world):
        before = AccessLog.objects.filter(user=user).count()
        if method == "get":
            response = client.get(url)
        elif url.startswith("/api/"):
            response = client.post(url, json.dumps(AREA), content_type="application/json")
        else:
            body = next(b for key, b in POST_BODIES.items() if f"/{key}" in url)
            response = client.post(url, body)
        # 400: past the permission check, refused for the data (e.g. a summary without a crisis)
        ok = response.status_code in (200, 302, 400)
        expected = role in allowed
        if ok != expected:
            failures.append(
                f"{method.upper()} {url}: {response.status_code}, expected {'allowed' if expected else 'denied'}"  # noqa: E501
            )
        elif not ok and response.status_code not in (403, 404):
            failures.append(f"{method.upper()} {url}: denied with {response.status_code}")
        if ok and personal and AccessLog.objects.filter(user=user).count() <= before:
            failures.append(f"{method.upper()} {url}: read without an access-log row")
        if ok and response.get("Content-Type", "").startswith("text/html"):
            assert "no-store" in response.get("Cache-Control", "")
    assert not failures, "\n".join(failures)


def test_campaign_and_person_urls_hold_no_names(world):
    for _m, url, _a, _p in urls(world):
        assert "Quibbleworth" not in url and "Zanzibarre" not in url
    assert Campaign.objects.count() == 1
