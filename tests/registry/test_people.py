from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.core.models import AuditEvent
from beffroi.registry import access, actions, crypto
from beffroi.registry.models import AccessLog, Move, Person
from beffroi.registry.models.people import Consent, Source

from .conftest import verified


def register(agent, raw, **kwargs):
    kwargs.setdefault("source", Source.SELF)
    kwargs.setdefault("request_date", timezone.localdate())
    return actions.do_register_person("92063", raw, actor=verified(agent), **kwargs)


def test_registered_person_is_encrypted_and_readable_by_the_nominated_agent(agent, person_raw):
    person = register(agent, person_raw)
    stored = Person.objects.get(pk=person.pk)
    assert "Zorglubienne" not in stored.payload and "Glycines" not in stored.payload
    assert stored.key_id == crypto.keyring().current_id
    view = access.get_person(verified(agent), person.public_id, reason="test")
    assert view.data.last_name == "Zorglubienne"
    assert view.data.phone == "01 47 32 98 76"
    assert view.data.birth_date == "1938-03-12"
    log = AccessLog.objects.get(action="read")
    assert log.record_ids == [person.public_id] and log.user == agent and log.reason == "test"


def test_audit_trail_never_holds_names(agent, person_raw):
    person = register(agent, person_raw)
    actions.do_remove_person(person.public_id, reason="request", actor=verified(agent))
    for event in AuditEvent.objects.all():
        assert "Zorglubienne" not in str(event.detail) + event.object_id


def test_third_party_request_needs_written_proof_and_waits_for_acknowledgement(agent, person_raw):
    raw = {**person_raw, "third_party_name": "Voisin Fictif", "third_party_capacity": "voisin"}
    with pytest.raises(UserError) as exc:
        register(agent, raw, source=Source.THIRD_PARTY)
    assert any(p.field == "proof" for p in exc.value.problems)
    person = register(
        agent, raw, source=Source.THIRD_PARTY, proof=("demande.pdf", "application/pdf", b"%PDF-1.4 x")
    )
    assert person.consent == Consent.AWAITING
    assert person.ack_due == person.request_date + timedelta(days=8)
    with pytest.raises(UserError):
        actions.do_mark_ack(person.public_id, step="received", actor=verified(agent))
    actions.do_mark_ack(person.public_id, step="sent", actor=verified(agent))
    person = actions.do_mark_ack(person.public_id, step="received", actor=verified(agent))
    assert person.consent == Consent.TACIT
    proof = access.proof_of(verified(agent), person.public_id, reason="contrôle")
    assert proof["filename"] == "demande.pdf"


def test_overdue_acknowledgements_are_listed(agent, person_raw):
    old = register(agent, person_raw, request_date=timezone.localdate() - timedelta(days=10))
    register(agent, {**person_raw, "first_names": "Autre"})
    overdue = access.overdue_acknowledgements(verified(agent), "92063")
    assert [v.public_id for v in overdue] == [old.public_id]


def test_eligibility_and_phone_are_validated(agent, person_raw):
    with pytest.raises(UserError) as exc:
        register(agent, {**person_raw, "birth_date": "01/01/1990", "phone": "12345"})
    fields = {p.field for p in exc.value.problems}
    assert fields == {"category", "phone"}


def test_duplicate_is_refused(agent, person_raw):
    register(agent, person_raw)
    with pytest.raises(UserError):
        register(agent, {**person_raw, "last_name": "ZORGLUBIENNE"})


def test_removal_is_immediate_and_move_away_removes(agent, person_raw):
    person = register(agent, person_raw)
    actions.do_record_move(
        person.public_id,
        within_commune=True,
        new_address="1 place Neuve, Rueil",
        lon=2.2,
        lat=48.88,
        actor=verified(agent),
    )
    assert (
        access.get_person(verified(agent), person.public_id, reason="t").data.address
        == "1 place Neuve, Rueil"
    )
    actions.do_record_move(person.public_id, within_commune=False, actor=verified(agent))
    assert not Person.objects.exists()
    assert set(Move.objects.values_list("kind", flat=True)) == {"within", "out"}
    assert AuditEvent.objects.filter(action="registry.remove", object_id=person.public_id).exists()


def test_unnominated_or_unverified_agent_is_refused(make_user, agent, person_raw):
    person = register(agent, person_raw)
    other = verified(make_user("agent_ccas", ["92063"], totp=True))
    with pytest.raises(PermissionDenied):
        access.get_person(other, person.public_id, reason="x")
    agent.is_verified = lambda: False
    with pytest.raises(PermissionDenied):
        access.get_person(agent, person.public_id, reason="x")
    maire = verified(make_user("maire"))
    with pytest.raises(PermissionDenied):
        access.list_people(maire, "92063", reason="x")


def test_caller_nomination_cannot_list_the_registry(nominate, person_raw, agent):
    register(agent, person_raw)
    caller = verified(nominate(scope="caller"))
    with pytest.raises(PermissionDenied):
        access.list_people(caller, "92063", reason="x")


def test_key_rotation_re_encrypts_every_row(settings, agent, person_raw, registry_key):
    person = register(agent, person_raw)
    old_id = Person.objects.get().key_id
    new_key = crypto.generate_key()
    settings.REGISTRY_KEY = f"{new_key},{registry_key}"
    result = actions.do_rotate_key(actor=SystemActor("cli"))
    assert result["re_encrypted"] == 1
    stored = Person.objects.get()
    assert stored.key_id != old_id and stored.key_id == crypto.key_id_of(crypto._decode_key(new_key, "t"))
    settings.REGISTRY_KEY = new_key
    assert access.get_person(verified(agent), person.public_id, reason="t").data.last_name == "Zorglubienne"


def test_init_key_creates_a_private_key_file(settings, tmp_path, db):
    settings.REGISTRY_KEY = None
    settings.REGISTRY_KEY_FILE = str(tmp_path / "keys" / crypto.KEY_FILE_NAME)
    ring = crypto.init_key_file()
    path = tmp_path / "keys" / crypto.KEY_FILE_NAME
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert ring.origin == str(path)
    key_id, token = crypto.encrypt(b"secret", aad="x")
    crypto.add_file_key()  # the old key stays in the file to read what it sealed
    assert crypto.decrypt(token, key_id=key_id, aad="x", ring=crypto.load_keyring()) == b"secret"
    with pytest.raises(crypto.RegistryKeyError):
        crypto.keyring()  # until rotate-key registers the new current key, nothing is read or written


def test_pcs_extension_is_off_by_default(agent, person_raw, settings):
    person = register(agent, person_raw, extension={"lives_alone": "oui", "floor": 4})
    assert Person.objects.get(pk=person.pk).extension == ""
    settings.REGISTRY_PCS_EXTENSION = True
    person2 = register(
        agent, {**person_raw, "first_names": "B"}, extension={"lives_alone": "oui", "floor": 4}
    )
    assert access.get_person(verified(agent), person2.public_id, reason="t").extension == {
        "lives_alone": True,
        "floor": 4,
    }


def test_count_in_area_gives_counts_to_any_role(make_user, agent, person_raw):
    from beffroi.registry.selectors import count_in_area

    register(agent, person_raw)
    register(agent, {**person_raw, "first_names": "Loin", "lon": 2.5, "lat": 48.5})
    area = {
        "type": "Polygon",
        "coordinates": [[[2.1, 48.8], [2.3, 48.8], [2.3, 48.9], [2.1, 48.9], [2.1, 48.8]]],
    }
    for i in range(5):
        register(agent, {**person_raw, "first_names": f"Voisine{i}", "lon": 2.18 + i * 0.004})
    assert count_in_area(area, user=make_user("cellule_crise")).value == 6
    other = count_in_area(area, user=make_user("cellule_crise", ["92033"]))
    assert other.value is None and other.label == "moins de 5"
    _ = date


def test_prioritised_list_puts_the_unreached_old_in_the_zone_first_and_unlocated_before_outside(
    agent, person_raw, settings
):
    settings.REGISTRY_PCS_EXTENSION = True
    area = {
        "type": "Polygon",
        "coordinates": [[[2.17, 48.86], [2.19, 48.86], [2.19, 48.88], [2.17, 48.88], [2.17, 48.86]]],
    }
    old_in = register(agent, {**person_raw, "first_names": "A", "birth_date": "01/01/1922"})
    young_in = register(agent, {**person_raw, "first_names": "B", "birth_date": "01/01/1958"})
    alone_in = register(
        agent,
        {**person_raw, "first_names": "C", "birth_date": "01/01/1958"},
        extension={"lives_alone": "oui", "floor": 3},
    )
    outside = register(agent, {**person_raw, "first_names": "D", "lon": 2.3, "lat": 48.9})
    unlocated = register(agent, {**person_raw, "first_names": "E", "lon": None, "lat": None})
    reached = register(agent, {**person_raw, "first_names": "F", "birth_date": "01/01/1925"})
    targets = access.prioritised_list(
        verified(agent), "92063", area=area, reason="canicule", reached={reached.pk}
    )
    assert [t.public_id for t in targets] == [
        p.public_id for p in (old_in, alone_in, young_in, unlocated, outside, reached)
    ]
    assert [t.in_zone for t in targets] == [True, True, True, None, False, True]
    assert AccessLog.objects.get(action="target").record_count == 6
