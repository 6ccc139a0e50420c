"""Means with quantities: a quantity committed to a crisis, requests between communes and to the
intercommunal pool answered accepted, partly or refused, returned; each step in the main courante of
the crises concerned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.core.models import AuditEvent
from beffroi.core.timeutil import utcnow
from beffroi.crisis.actions import do_open_crisis
from beffroi.crisis.actions_means import do_lend_resource, do_save_resource
from beffroi.crisis.actions_requests import (
    available,
    do_answer_request,
    do_commit_resource,
    do_release_commitment,
    do_request_resource,
    do_return_request,
)
from beffroi.crisis.chain import verify
from beffroi.crisis.models import LogEntry, ResourceRequest
from tests.conftest import login_client

NOGENT, RUEIL, GARCHES = "94052", "92063", "92033"
DEMO = SystemActor("demo")


def _texts(crisis):
    return [e.text for e in LogEntry.objects.filter(crisis=crisis).order_by("seq")]


@pytest.fixture
def crises(make_user):
    mayor = make_user("maire", [NOGENT, RUEIL])
    flood = do_open_crisis(
        hazard="inondation", communes=[NOGENT], level=3, exercise=False, title="Crue", actor=mayor
    )
    rueil = do_open_crisis(
        hazard="inondation", communes=[RUEIL], level=2, exercise=False, title="Seine", actor=mayor
    )
    return flood, rueil


def test_a_quantity_committed_to_a_crisis_leaves_the_rest_available(crises, make_user):
    flood, _rueil = crises
    cell = make_user("cellule_crise", [NOGENT])
    sandbags = do_save_resource(
        commune=NOGENT, actor=DEMO, name="Sacs de sable", kind="sacs_sable", quantity=2000, unit="sacs"
    )
    until = utcnow() + timedelta(hours=12)
    commitment = do_commit_resource(
        sandbags, flood, quantity=600, place="Quai de la Marne", until=until, actor=cell
    )
    assert available(sandbags) == 1400
    assert "Engagement : 600 sacs Sacs de sable (94052) → Quai de la Marne" in _texts(flood)[-1]
    assert "reste 1400 disponible(s)" in _texts(flood)[-1]
    with pytest.raises(UserError) as exc:
        do_commit_resource(sandbags, flood, quantity=1500, place="Port", actor=cell)
    assert exc.value.problems[0].field == "quantity"
    with pytest.raises(UserError) as exc:  # lent whole while partly engaged: refused
        do_lend_resource(sandbags, to_commune=RUEIL, actor=cell)
    assert exc.value.problems[0].field == "resource"
    do_release_commitment(commitment, actor=cell)
    assert available(sandbags) == 2000 and "Fin d'engagement : 600 sacs" in _texts(flood)[-1]
    assert (
        AuditEvent.objects.filter(action__in=["crisis.resource.commit", "crisis.resource.release"]).count()
        == 2
    )
    assert verify(flood).ok


def test_bad_commitments_name_their_field(crises, make_user):
    flood, rueil = crises
    cell = make_user("cellule_crise", [NOGENT])
    pumps = do_save_resource(commune=NOGENT, actor=DEMO, name="Motopompe", kind="pompe", quantity=2)
    cases = [
        ({"quantity": 0, "place": "Port"}, "quantity"),
        ({"quantity": 1, "place": " "}, "place"),
        ({"quantity": 1, "place": "Port", "until": utcnow() - timedelta(hours=1)}, "until"),
    ]
    for kwargs, field in cases:
        with pytest.raises(UserError) as exc:
            do_commit_resource(pumps, flood, actor=cell, **kwargs)
        assert field in [p.field for p in exc.value.problems]
    with pytest.raises(UserError) as exc:
        do_commit_resource(
            pumps, rueil, quantity=1, place="Rueil", actor=make_user("cellule_crise", [NOGENT, RUEIL])
        )
    assert exc.value.problems[0].field == "crisis"
    with pytest.raises(PermissionDenied):
        do_commit_resource(pumps, flood, quantity=1, place="Port", actor=make_user("cellule_crise", [RUEIL]))


def test_a_request_to_another_commune_partly_accepted_then_returned_is_logged_on_both_sides(
    crises, make_user
):
    flood, rueil = crises
    nogent_cell = make_user("cellule_crise", [NOGENT])
    rueil_cell = make_user("cellule_crise", [RUEIL])
    beds = do_save_resource(commune=RUEIL, actor=DEMO, name="Lits de camp", kind="couchage", quantity=40)
    request = do_request_resource(
        from_commune=NOGENT,
        to_commune=RUEIL,
        kind="couchage",
        label="Lits de camp",
        quantity=30,
        place="Gymnase Watteau",
        until=utcnow() + timedelta(days=2),
        crisis=flood,
        actor=nogent_cell,
    )
    assert request.status == ResourceRequest.Status.PENDING
    assert f"Demande de moyens n°{request.pk} : 94052 demande 30 × Lits de camp à 92063" in _texts(flood)[-1]
    assert f"Demande de moyens n°{request.pk}" in _texts(rueil)[-1]  # the asked commune's crisis too
    with pytest.raises(PermissionDenied):  # Nogent cannot answer for Rueil's stock
        do_answer_request(request, decision="accepted", resource=beds, actor=nogent_cell)
    with pytest.raises(UserError) as exc:
        do_answer_request(request, decision="partial", resource=beds, quantity=30, actor=rueil_cell)
    assert exc.value.problems[0].field == "quantity"
    do_answer_request(
        request, decision="partial", resource=beds, quantity=20, note="20 seulement", actor=rueil_cell
    )
    request.refresh_from_db()
    assert (request.status, request.granted, request.resource) == ("partielle", 20, beds)
    assert available(beds) == 20
    for crisis in (flood, rueil):
        assert (
            "acceptée en partie par 92063 : 20 × Lits de camp sur 30 demandé(s), prêté(s) à 94052"
            in _texts(crisis)[-1]
        )
    with pytest.raises(UserError):
        do_answer_request(request, decision="refused", note="trop tard", actor=rueil_cell)  # answered once
    do_return_request(request, actor=nogent_cell)
    request.refresh_from_db()
    assert request.status == "rendue" and available(beds) == 40
    assert (
        "rendu(s) par 94052 à 92063" in _texts(flood)[-1]
        and "rendu(s) par 94052 à 92063" in _texts(rueil)[-1]
    )
    with pytest.raises(UserError):
        do_return_request(request, actor=nogent_cell)
    assert verify(flood).ok and verify(rueil).ok


def test_the_intercommunal_pool_answers_and_refusals_need_a_reason(crises, make_user):
    flood, _rueil = crises
    nogent_cell = make_user("cellule_crise", [NOGENT])
    garches_cell = make_user("cellule_crise", [GARCHES])
    pumps = do_save_resource(commune="", actor=DEMO, name="Motopompes du syndicat", kind="pompe", quantity=3)
    ask = {
        "from_commune": NOGENT,
        "kind": "pompe",
        "label": "Motopompe",
        "crisis": flood,
        "actor": nogent_cell,
    }
    first = do_request_resource(to_commune="", quantity=2, **ask)
    assert "à mutualisation intercommunale" in _texts(flood)[-1]
    do_answer_request(first, decision="accepted", resource=pumps, actor=garches_cell)
    first.refresh_from_db()
    assert (first.status, first.granted) == ("acceptee", 2) and available(pumps) == 1
    second = do_request_resource(to_commune="", quantity=2, **ask)
    with pytest.raises(UserError) as exc:
        do_answer_request(second, decision="accepted", resource=pumps, actor=garches_cell)
    assert exc.value.problems[0].field == "quantity"  # only one left
    with pytest.raises(UserError) as exc:
        do_answer_request(second, decision="refused", actor=garches_cell)
    assert exc.value.problems[0].field == "note"
    do_answer_request(second, decision="refused", note="plus de motopompe libre", actor=garches_cell)
    assert "refusée par mutualisation intercommunale : plus de motopompe libre" in _texts(flood)[-1]
    other = do_save_resource(commune=GARCHES, actor=DEMO, name="Pompe", kind="pompe", quantity=1)
    third = do_request_resource(to_commune="", quantity=1, **ask)
    with pytest.raises(UserError) as exc:  # the pool lends only its own stock
        do_answer_request(third, decision="accepted", resource=other, actor=garches_cell)
    assert exc.value.problems[0].field == "resource"


def test_bad_requests_name_their_field(crises, make_user):
    cell = make_user("cellule_crise", [NOGENT])
    base = {
        "from_commune": NOGENT,
        "to_commune": RUEIL,
        "kind": "pompe",
        "label": "Pompe",
        "quantity": 1,
        "actor": cell,
    }
    for change, field in [
        ({"to_commune": NOGENT}, "to_commune"),
        ({"to_commune": "75056"}, "to_commune"),
        ({"kind": "fusée"}, "kind"),
        ({"label": ""}, "label"),
        ({"quantity": 0}, "quantity"),
        ({"until": utcnow().replace(tzinfo=None) + timedelta(days=1)}, "until"),
    ]:
        with pytest.raises(UserError) as exc:
            do_request_resource(**{**base, **change})
        assert field in [p.field for p in exc.value.problems], change
    assert not ResourceRequest.objects.exists()
    with pytest.raises(PermissionDenied):
        do_request_resource(**{**base, "from_commune": RUEIL})


def test_the_means_page_commits_requests_and_answers(client, crises, make_user):
    flood, _rueil = crises
    cell = make_user("cellule_crise", [NOGENT, RUEIL])
    sandbags = do_save_resource(
        commune=NOGENT, actor=DEMO, name="Sacs de sable", kind="sacs_sable", quantity=2000, unit="sacs"
    )
    beds = do_save_resource(commune=RUEIL, actor=DEMO, name="Lits de camp", kind="couchage", quantity=40)
    login_client(client, cell)
    response = client.post(
        f"/crise/moyens/{sandbags.pk}/engager/",
        {"crisis": flood.pk, "quantity": "500", "place": "Quai de la Marne", "until": ""},
    )
    assert response.status_code == 302 and available(sandbags) == 1500
    response = client.post(
        "/crise/moyens/demandes/",
        {
            "from_commune": NOGENT,
            "to_commune": RUEIL,
            "kind": "couchage",
            "label": "Lits",
            "quantity": "10",
            "crisis": flood.pk,
        },
    )
    assert response.status_code == 302
    request = ResourceRequest.objects.get()
    page = client.get("/crise/moyens/").content.decode()
    assert "1500 / 2000" in page and f"n°{request.pk}" in page
    response = client.post(
        f"/crise/moyens/demandes/{request.pk}/reponse/",
        {"decision": "accepted", "resource": beds.pk, "quantity": ""},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "acceptee" and available(beds) == 30
    response = client.post(
        "/crise/moyens/demandes/",
        {"from_commune": NOGENT, "to_commune": RUEIL, "kind": "couchage", "label": "", "quantity": "x"},
    )
    assert response.status_code == 400 and "quantité" in response.content.decode().lower()
    client.post(f"/crise/moyens/demandes/{request.pk}/retour/")
    request.refresh_from_db()
    assert request.status == "rendue"
