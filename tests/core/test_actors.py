"""Named system actors: no action runs without an actor, and each says which system actors it takes."""

from __future__ import annotations

import inspect

import pytest
from django.core.exceptions import PermissionDenied

from beffroi.alerts import actions as alert_actions
from beffroi.core.actors import SystemActor, user_or_none
from beffroi.core.audit import actor_label, record
from beffroi.core.models import AuditEvent
from beffroi.core.permissions import allowed_system, require
from beffroi.crisis import actions as crisis_actions
from beffroi.territory.actions import do_add_communes


def test_an_exercise_actor_carries_its_run_number_under_a_declared_kind():
    actor = SystemActor("exercise 12")
    assert actor.kind == "exercise" and actor_label(actor) == "exercise 12"
    assert SystemActor("exercise 12") == actor  # frozen value: compared by name


def test_an_undeclared_system_actor_cannot_even_be_made():
    with pytest.raises(ValueError, match="undeclared system actor"):
        SystemActor("root")
    with pytest.raises(ValueError):
        SystemActor("")


def test_a_system_actor_is_no_user():
    assert user_or_none(SystemActor("cli")) is None
    assert not SystemActor("cli").is_authenticated


def test_a_system_actor_not_declared_for_the_action_is_refused_and_audited(territory):
    # Publishing reaches citizens: no system actor may do it, not even the CLI operator.
    alert = alert_actions.do_draft_alert(hazard="canicule", communes=["92063"], actor=SystemActor("demo"))
    with pytest.raises(PermissionDenied, match="poll_sources"):
        alert_actions.do_publish(alert.latest(), actor=SystemActor("poll_sources"))
    refusal = AuditEvent.objects.get(action="permission.denied")
    assert refusal.actor is None and refusal.actor_label == "poll_sources"
    with pytest.raises(PermissionDenied):
        alert_actions.do_submit(alert.latest(), actor=SystemActor("demo"))


def test_actor_none_is_refused(territory):
    with pytest.raises(TypeError):
        do_add_communes(["92063"], actor=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        require(None, "territory.manage_territory", system=("cli",))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        record(None, "test.action")  # type: ignore[arg-type]


def test_every_action_requires_an_actor_keyword_without_default():
    for module in (alert_actions, crisis_actions):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("do_") and function.__module__ == module.__name__:
                actor = inspect.signature(function).parameters["actor"]
                assert actor.kind is inspect.Parameter.KEYWORD_ONLY, name
                assert actor.default is inspect.Parameter.empty, name


def test_the_audit_row_names_the_system_actor(territory):
    crisis = crisis_actions.do_open_crisis(
        hazard="inondation",
        communes=["94052"],
        level=2,
        exercise=True,
        title="Crue",
        actor=SystemActor("cli"),
    )
    crisis_actions.do_escalate(crisis, level=3, reason="inject", actor=SystemActor("exercise 7"))
    opened = AuditEvent.objects.get(action="crisis.open")
    assert opened.actor is None and opened.actor_label == "cli"
    escalated = AuditEvent.objects.get(action="crisis.level")
    assert escalated.actor is None and escalated.actor_label == "exercise 7"
    entry = crisis.entries.order_by("seq").last()
    assert entry.author is None and entry.author_label == "exercise 7"
    crisis.refresh_from_db()
    assert crisis.opened_by is None


def test_a_declared_system_actor_passes_and_a_user_goes_through_require(make_user):
    assert allowed_system(SystemActor("cli"), ("cli",)) is True
    reader = make_user("lecteur", ["92033"])
    assert allowed_system(reader, ("cli",)) is False
    require(make_user("administrateur", []), "territory.manage_territory", system=("cli",))


def test_a_user_without_the_permission_is_refused_as_before(make_user):
    reader = make_user("lecteur", ["92033"])
    with pytest.raises(PermissionDenied):
        do_add_communes(["92063"], actor=reader)
    refusal = AuditEvent.objects.get(action="permission.denied")
    assert refusal.actor == reader and refusal.object_id == "territory.manage_territory"


def test_a_refusal_naming_no_real_commune_is_audited_without_breaking_the_transaction(make_user):
    """A commune "code" longer than the column (PostgreSQL refuses it) goes to the audit's detail."""
    from django.core.exceptions import PermissionDenied

    from beffroi.core.models import AuditEvent
    from beffroi.core.permissions import require

    user = make_user("communication", ["92063"])
    with pytest.raises(PermissionDenied):
        require(user, "alerts.add_alert", "not-a-commune-code")
    event = AuditEvent.objects.get(action="permission.denied")
    assert event.commune == "" and event.detail["commune_asked"] == "not-a-commune-code"
