"""Directory, resources lent between communes, shelters' occupancy, reflex-sheet versions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.core.models import AuditEvent
from beffroi.crisis.actions import do_open_crisis
from beffroi.crisis.actions_means import (
    do_lend_resource,
    do_open_shelter,
    do_return_resource,
    do_save_reflex_sheet,
    do_save_resource,
    do_save_shelter,
    do_set_occupancy,
)
from beffroi.crisis.chain import verify
from beffroi.crisis.models import LogEntry, Resource


def test_lending_a_resource_to_another_commune_is_logged(make_user):
    cell = make_user("cellule_crise", ["92063", "92033"])
    crisis = do_open_crisis(
        hazard="canicule", communes=["92063", "92033"], level=3, exercise=True, title="Canicule", actor=cell
    )
    pumps = do_save_resource(commune="92063", actor=cell, name="Ventilateurs", kind="materiel", quantity=20)
    loan = do_lend_resource(pumps, to_commune="92033", crisis=crisis, actor=cell)
    pumps.refresh_from_db()
    assert pumps.status == Resource.Status.LENT and pumps.held_by == "92033"
    assert LogEntry.objects.filter(crisis=crisis, text__contains="Ventilateurs").exists()
    assert AuditEvent.objects.filter(action="crisis.resource.lend").exists()
    with pytest.raises(UserError):
        do_lend_resource(pumps, to_commune="92033", actor=cell)  # already lent
    do_return_resource(loan, actor=cell)
    pumps.refresh_from_db()
    assert pumps.status == Resource.Status.AVAILABLE and not pumps.held_by
    assert verify(crisis).ok


def test_a_commune_cannot_lend_what_it_does_not_own(make_user):
    outsider = make_user("cellule_crise", ["94052"])
    res = do_save_resource(commune="92063", actor=SystemActor("demo"), name="Camion", kind="vehicule")
    with pytest.raises(PermissionDenied):
        do_lend_resource(res, to_commune="94052", actor=outsider)


def test_typed_head_count_of_a_shelter_without_register(make_user):
    cell = make_user("cellule_crise", ["94052"])
    shelter = do_save_shelter(
        commune="94052",
        actor=SystemActor("demo"),
        name="Salle rafraîchie",
        capacity=10,
        accessible=True,
        keeps_register=False,
    )
    with pytest.raises(UserError):
        do_set_occupancy(shelter, occupancy=4, actor=cell)  # closed: open it first
    do_open_shelter(shelter, actor=cell)
    assert do_set_occupancy(shelter, occupancy=4, actor=cell).status == "ouvert"
    assert do_set_occupancy(shelter, occupancy=10, actor=cell).status == "complet"
    # Back to 0 people, it stays open: only closing closes it.
    assert do_set_occupancy(shelter, occupancy=0, actor=cell).status == "ouvert"
    with pytest.raises(UserError):
        do_set_occupancy(shelter, occupancy=-1, actor=cell)
    with pytest.raises(PermissionDenied):
        do_set_occupancy(shelter, occupancy=1, actor=make_user("lecteur", ["94052"]))


def test_editing_a_reflex_sheet_bumps_its_version(make_user):
    maire = make_user("maire", ["94052"])
    sheet = do_save_reflex_sheet(
        actor=maire, commune="94052", hazard="inondation", level=3, title="Crue", items=[{"title": "A"}]
    )
    sheet = do_save_reflex_sheet(
        actor=maire,
        sheet=sheet,
        commune="94052",
        hazard="inondation",
        level=3,
        title="Crue",
        items=[{"title": "A"}, {"title": "B", "within_minutes": 30}],
    )
    assert sheet.version == 2 and [i.title for i in sheet.items.all()] == ["A", "B"]
    with pytest.raises(UserError):
        do_save_reflex_sheet(actor=maire, hazard="volcan", level=9, title="", items=[{"title": ""}])
    with pytest.raises(PermissionDenied):
        do_save_reflex_sheet(
            actor=make_user("lecteur", ["94052"]), hazard="inondation", level=3, title="x", items=[]
        )


def test_handover_records_the_chain_head(make_user):
    from beffroi.crisis.actions import do_handover

    a, b = make_user("cellule_crise", ["94052"]), make_user("cellule_crise", ["94052"])
    crisis = do_open_crisis(
        hazard="inondation", communes=["94052"], level=3, exercise=True, title="x", actor=a
    )
    handover = do_handover(crisis, incoming=b, summary="Décrue amorcée, 2 tâches ouvertes", actor=a)
    crisis.refresh_from_db()
    assert crisis.shift_lead == b
    assert handover.chain_head == LogEntry.objects.filter(crisis=crisis).order_by("-seq").first().hash
