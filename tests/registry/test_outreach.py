from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.registry import access, actions, outreach, routes
from beffroi.registry.models import CallAssignment, Visit, VisitRoute
from beffroi.registry.models.people import Source

from .conftest import PERSON, verified


@pytest.fixture
def registry(agent):
    verified(agent)
    people = []
    for i in range(6):
        raw = {
            **PERSON,
            "first_names": f"P{i}",
            "lon": 2.17 + i * 0.005,
            "lat": 48.87 + (i % 2) * 0.004,
            "birth_date": f"01/01/{1930 + i}",
        }
        people.append(
            actions.do_register_person(
                "92063", raw, source=Source.SELF, request_date=timezone.localdate(), actor=agent
            )
        )
    return people


def test_campaign_splits_list_and_each_caller_sees_only_their_share(agent, nominate, registry):
    c1, c2 = verified(nominate(scope="caller")), verified(nominate(scope="caller"))
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[c1, c2], actor=agent)
    share1, share2 = access.caller_share(c1, campaign), access.caller_share(c2, campaign)
    assert len(share1) == 3 and len(share2) == 3
    assert {r.assignment_id for r in share1}.isdisjoint({r.assignment_id for r in share2})
    # the oldest (highest priority) is first in the campaign
    first = CallAssignment.objects.get(campaign=campaign, rank=0)
    assert access.decrypt_person(first.person).birth_date == "1930-01-01"
    with pytest.raises(PermissionDenied):
        outreach.do_record_outcome(share2[0].assignment_id, "ok", actor=c1)


def test_no_answer_recalls_then_escalates_to_a_visit(agent, nominate, registry):
    caller = verified(nominate(scope="caller"))
    campaign = outreach.do_start_campaign(
        "92063", hazard="canicule", callers=[caller], actor=agent, max_failed_calls=2, recall_delay_minutes=30
    )
    row = access.caller_share(caller, campaign)[0]
    a = outreach.do_record_outcome(row.assignment_id, "no_answer", actor=caller)
    assert a.status == "to_call" and a.next_call_at > timezone.now() + timedelta(minutes=29)
    assert not Visit.objects.exists()
    a = outreach.do_record_outcome(row.assignment_id, "no_answer", actor=caller)
    assert a.status == "escalated"
    assert Visit.objects.get().reason == "no_answer"
    rows = access.caller_share(caller, campaign)
    outreach.do_record_outcome(rows[0].assignment_id, "ok", actor=caller)
    outreach.do_record_outcome(rows[1].assignment_id, "wrong_number", actor=caller)
    p = outreach.progress(campaign)
    assert (
        p
        == {
            "total": 6,
            "to_call": 4,
            "reached": 1,
            "escalated": 1,
            "needs_help": 0,
            "visits_to_do": 2,
            "visits_done": 0,
        }
        or p["visits_to_do"] == 2
    )


def test_area_campaign_targets_people_in_zone(agent, registry):
    area = {
        "type": "Polygon",
        "coordinates": [[[2.16, 48.86], [2.181, 48.86], [2.181, 48.88], [2.16, 48.88], [2.16, 48.86]]],
    }
    campaign = outreach.do_start_campaign(
        "92063", hazard="inondation", callers=[agent], actor=agent, area=area
    )
    assert CallAssignment.objects.filter(campaign=campaign).count() == 3


def test_routes_split_visits_among_teams(agent, registry):
    campaign = outreach.do_start_campaign(
        "92063", hazard="canicule", callers=[agent], actor=agent, max_failed_calls=1
    )
    for row in access.caller_share(agent, campaign):
        outreach.do_record_outcome(row.assignment_id, "no_answer", actor=agent)
    created = routes.do_plan_routes(campaign, teams=2, actor=agent)
    assert len(created) == 2
    assert Visit.objects.filter(route__isnull=False).count() == 6
    assert all(r.visits.count() >= 1 for r in VisitRoute.objects.all())
    stops = access.visit_stops(agent, campaign, route=created[0], reason="impression")
    assert [s.order for s in stops] == sorted(s.order for s in stops)


def test_haversine_matrix_is_in_metres():
    m = routes.haversine_matrix([(2.0, 48.0), (2.0, 49.0)])
    assert 111_000 < m[0, 1] < 111_400 and m[0, 0] == 0


def test_progress_is_published_as_counts_and_summary_reaches_the_main_courante(agent, registry, monkeypatch):
    from beffroi.core import live
    from beffroi.crisis.actions import do_open_crisis
    from beffroi.crisis.selectors import entries

    published = []
    # Sent at once rather than after the commit, so the test sees each event.
    monkeypatch.setattr(live, "publish", lambda topic, event, data: published.append((topic, event, data)))
    crisis = do_open_crisis(
        hazard="canicule",
        communes=["92063"],
        level=2,
        exercise=True,
        title="Canicule test",
        actor=SystemActor("cli"),
    )
    campaign = outreach.do_start_campaign(
        "92063", hazard="canicule", callers=[agent], actor=agent, crisis_id=str(crisis.pk)
    )
    row = access.caller_share(agent, campaign)[0]
    outreach.do_record_outcome(row.assignment_id, "ok", actor=agent)
    mine = [data for topic, _e, data in published if topic == "registry"]
    assert mine
    last = mine[-1]
    assert last["reached"] == 1 and last["total"] == 6
    assert "Zorglubienne" not in str(published)
    outreach.do_close_campaign(campaign, actor=agent)
    texts = [e.text for e in entries(crisis)]
    assert any("6 personnes à appeler, 1 jointes" in t for t in texts)
    assert not any("Zorglubienne" in t or "P0" in t for t in texts)


def test_demo_loader_registers_fake_people_and_nominates_ccas(make_user):
    from beffroi.registry import demo
    from beffroi.registry.models import Nomination, Person

    make_user("agent_ccas", ["92063"], username="ccas", totp=True)
    demo.load(["92063", "92033"])
    demo.load(["92063", "92033"])  # idempotent
    assert Person.objects.filter(commune_code="92063").count() == 40
    assert Nomination.objects.filter(user__username="ccas", commune_code="92063").count() == 1
