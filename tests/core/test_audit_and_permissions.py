import pytest
from django.core.exceptions import PermissionDenied

from beffroi.core.audit import record
from beffroi.core.models import AuditEvent
from beffroi.core.permissions import has_perm, require, user_communes


def test_permission_needs_both_role_and_commune(make_user):
    reader = make_user("lecteur", ["92033"])
    assert has_perm(reader, "territory.view_commune", "92033")
    assert not has_perm(reader, "territory.view_commune", "92063")
    assert not has_perm(reader, "territory.manage_territory", "92033")


def test_administrator_acts_in_every_commune(make_user):
    admin = make_user("administrateur", [])
    assert user_communes(admin) == {"*"}
    assert has_perm(admin, "territory.manage_territory", "94052")


def test_refusal_is_audited(make_user):
    reader = make_user("lecteur", ["92033"])
    with pytest.raises(PermissionDenied):
        require(reader, "core.view_audit")
    event = AuditEvent.objects.filter(action="permission.denied").get()
    assert event.actor == reader
    assert event.object_id == "core.view_audit"


def test_audit_record_keeps_actor_label_and_object(make_user, territory):
    user = make_user("cellule_crise")
    event = record(user, "test.action", territory[0], commune=territory[0].code, detail={"k": 1})
    assert event.actor_label == user.username
    assert event.object_type == "territory.commune"
    assert event.object_id == territory[0].code
    assert event.detail == {"k": 1}
