"""Shelters: opening and closing, the register of sheltered people, capacity, retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.core.models import AuditEvent
from beffroi.core.timeutil import utcnow
from beffroi.crisis.actions import do_close_crisis, do_open_crisis
from beffroi.crisis.actions_means import (
    OverCapacity,
    do_close_shelter,
    do_open_shelter,
    do_purge_shelter_register,
    do_register_arrival,
    do_register_departure,
    do_save_shelter,
    do_set_occupancy,
)
from beffroi.crisis.chain import verify
from beffroi.crisis.models import LogEntry, Shelter, ShelterEntry
from beffroi.crisis.selectors import access_shelter_register

pytestmark = pytest.mark.django_db
NOGENT = "94052"


@pytest.fixture
def cell(make_user):
    return make_user("cellule_crise", [NOGENT])


@pytest.fixture
def shelter():
    return do_save_shelter(
        commune=NOGENT,
        actor=SystemActor("demo"),
        name="Gymnase Watteau",
        address="2 rue Watteau",
        capacity=10,
        contact="M. Gardien",
        contact_phone="01 02 03 04 05",
    )


@pytest.fixture
def crisis(cell):
    return do_open_crisis(
        hazard="inondation", communes=[NOGENT], level=3, exercise=True, title="Crue", actor=cell
    )


def test_opening_and_closing_a_shelter_is_logged_in_the_open_crisis_and_audited(cell, shelter, crisis):
    assert shelter.status == Shelter.Status.CLOSED
    shelter = do_open_shelter(shelter, actor=cell, note="Gardien sur place")
    assert shelter.status == Shelter.Status.OPEN and shelter.opened_at
    opening = LogEntry.objects.get(crisis=crisis, text__startswith="Ouverture du lieu d'hébergement")
    assert "Gymnase Watteau" in opening.text and "2 rue Watteau" in opening.text
    shelter = do_close_shelter(shelter, actor=cell)
    assert shelter.status == Shelter.Status.CLOSED
    assert LogEntry.objects.filter(crisis=crisis, text__startswith="Fermeture du lieu").exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"crisis.shelter.open", "crisis.shelter.close"} <= actions
    assert verify(crisis).ok


def test_opening_without_a_crisis_writes_no_entry(cell, shelter):
    do_open_shelter(shelter, actor=cell)
    assert not LogEntry.objects.exists()


def test_a_reader_cannot_open_a_shelter(make_user, shelter):
    with pytest.raises(PermissionDenied):
        do_open_shelter(shelter, actor=make_user("lecteur", [NOGENT]))


def test_occupancy_is_the_sum_of_households_present(cell, shelter, crisis):
    do_open_shelter(shelter, actor=cell)
    a = do_register_arrival(shelter, name="Famille Martin", household_size=4, needs=["animaux"], actor=cell)
    do_register_arrival(shelter, name="M. Durand", household_size=1, needs=["mobilite"], actor=cell)
    shelter.refresh_from_db()
    assert shelter.occupancy == 5 and shelter.status == Shelter.Status.OPEN
    assert a.crisis == crisis and a.needs == ["animaux"]
    do_register_departure(a, actor=cell)
    shelter.refresh_from_db()
    assert shelter.occupancy == 1
    # The typed number is refused: the register decides.
    with pytest.raises(UserError):
        do_set_occupancy(shelter, occupancy=30, actor=cell)


def test_arrivals_are_refused_in_a_closed_shelter_and_with_bad_input(cell, shelter):
    with pytest.raises(UserError):
        do_register_arrival(shelter, name="X", actor=cell)
    do_open_shelter(shelter, actor=cell)
    with pytest.raises(UserError) as err:
        do_register_arrival(shelter, name=" ", household_size=0, needs=["diagnostic"], actor=cell)
    assert {p.field for p in err.value.problems} == {"name", "household_size", "needs"}


def test_over_capacity_needs_a_confirmation_then_is_allowed_and_logged(cell, shelter, crisis):
    do_open_shelter(shelter, actor=cell)
    do_register_arrival(shelter, name="Groupe scolaire", household_size=8, actor=cell)
    with pytest.raises(OverCapacity):
        do_register_arrival(shelter, name="Famille Petit", household_size=5, actor=cell)
    assert ShelterEntry.objects.count() == 1
    do_register_arrival(shelter, name="Famille Petit", household_size=5, actor=cell, confirm=True)
    shelter.refresh_from_db()
    assert shelter.occupancy == 13 and shelter.status == Shelter.Status.FULL and shelter.over_capacity
    assert LogEntry.objects.filter(crisis=crisis, text__contains="capacité dépassée (13/10)").exists()
    audit = AuditEvent.objects.filter(action="crisis.shelter.arrival").order_by("-pk").first()
    assert audit.detail["over_capacity"] is True


def test_closing_is_refused_while_people_are_present(cell, shelter):
    do_open_shelter(shelter, actor=cell)
    entry = do_register_arrival(shelter, name="Famille Martin", household_size=2, actor=cell)
    with pytest.raises(UserError):
        do_close_shelter(shelter, actor=cell)
    do_register_departure(entry, actor=cell)
    assert do_close_shelter(shelter, actor=cell).status == Shelter.Status.CLOSED


def test_register_reads_need_the_permission_and_are_audited(cell, shelter, make_user):
    do_open_shelter(shelter, actor=cell)
    do_register_arrival(shelter, name="Famille Martin", household_size=2, actor=cell)
    register = access_shelter_register(cell, shelter)
    assert [e.name for e in register["present"]] == ["Famille Martin"]
    assert AuditEvent.objects.filter(action="crisis.shelter.register.view").count() == 1
    for role in ("lecteur", "communication"):
        with pytest.raises(PermissionDenied):
            access_shelter_register(make_user(role, [NOGENT]), shelter)
    with pytest.raises(PermissionDenied):
        access_shelter_register(make_user("cellule_crise", ["92063"]), shelter)


def test_register_is_deleted_after_the_retention_period_of_its_crisis(cell, shelter, crisis, settings):
    settings.SHELTER_REGISTER_RETENTION_DAYS = 30
    do_open_shelter(shelter, actor=cell)
    in_crisis = do_register_arrival(shelter, name="Famille Martin", household_size=2, actor=cell)
    do_register_departure(in_crisis, actor=cell)
    do_close_shelter(shelter, actor=cell)
    do_close_crisis(crisis, summary="Décrue", actor=cell)
    retention = SystemActor("retention")
    assert do_purge_shelter_register(actor=retention, now=utcnow() + timedelta(days=29)) == 0
    assert do_purge_shelter_register(actor=retention, now=utcnow() + timedelta(days=31)) == 1
    assert not ShelterEntry.objects.exists()
    assert AuditEvent.objects.filter(action="crisis.shelter.register.purge").exists()
    with pytest.raises(PermissionDenied):
        do_purge_shelter_register(actor=SystemActor("demo"))


def test_register_page_add_arrival_confirm_over_capacity_and_departure(client_for, shelter, make_user):
    client = client_for("cellule_crise", [NOGENT])
    url = reverse("crisis:shelter_register", args=[shelter.pk])
    client.post(reverse("crisis:shelter_state", args=[shelter.pk]), {"action": "ouvrir", "next": "register"})
    response = client.post(
        url, {"name": "Famille Martin", "household_size": "9", "needs": ["medical"], "phone": "0601"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Famille Martin" in page and "Soins / traitement" in page and '"count">9</span> / 10' in page
    response = client.post(url, {"name": "M. Durand", "household_size": "3"})
    assert response.status_code == 200 and "Confirmez pour dépasser" in response.content.decode()
    assert ShelterEntry.objects.count() == 1
    response = client.post(url, {"name": "M. Durand", "household_size": "3", "confirm": "1"})
    assert response.status_code == 302
    response = client.post(url, {"name": "", "household_size": "deux"})
    assert response.status_code == 422
    entry = ShelterEntry.objects.get(name="M. Durand")
    client.post(reverse("crisis:shelter_departure", args=[shelter.pk, entry.pk]))
    entry.refresh_from_db()
    assert entry.departed_at is not None
    reader = client_for("lecteur", [NOGENT])
    assert reader.get(url).status_code == 403


def test_pcs_kit_prints_shelter_address_and_contact(territory, shelter):
    from django.template.loader import render_to_string

    from beffroi.reports import builders

    context = builders.pcs([c for c in territory if c.code == NOGENT])
    html = render_to_string("reports/pcs.html", context)
    assert "Gymnase Watteau" in html and "2 rue Watteau" in html
    assert "M. Gardien" in html and "01 02 03 04 05" in html
    version = context["version"]
    # People arriving do not make a new version of the printed kit.
    Shelter.objects.filter(pk=shelter.pk).update(occupancy=5, updated_at=utcnow())
    assert builders.pcs([c for c in territory if c.code == NOGENT])["version"] == version


def test_typed_count_above_capacity_asks_then_accepts_the_confirmation(client_for):
    shelter = do_save_shelter(
        commune=NOGENT, actor=SystemActor("demo"), name="Salle rafraîchie", capacity=60, keeps_register=False
    )
    client = client_for("cellule_crise", [NOGENT])
    client.post(reverse("crisis:shelter_state", args=[shelter.pk]), {"action": "ouvrir"})
    url = reverse("crisis:shelter_occupancy", args=[shelter.pk])
    response = client.post(url, {"occupancy": "75"})
    page = response.content.decode()
    assert response.status_code == 200 and "75 personnes pour 60 places (125 %)" in page
    assert "Confirmer le dépassement" in page
    shelter.refresh_from_db()
    assert shelter.occupancy == 0
    client.post(url, {"occupancy": "75", "confirm": "1"})
    shelter.refresh_from_db()
    assert shelter.occupancy == 75 and shelter.status == Shelter.Status.FULL
    # a count that is not a number is refused on the page, as a 400 (issue 15)
    assert client.post(url, {"occupancy": "beaucoup"}).status_code == 400
