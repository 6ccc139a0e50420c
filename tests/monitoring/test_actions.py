"""Ingestion, levels with hysteresis and minimum duration, staleness, proposals decided by humans."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from beffroi.core import live
from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.core.models import AuditEvent
from beffroi.monitoring import actions
from beffroi.monitoring.models import IndicatorState, LevelChange, Observation, Proposal

from .conftest import points

SERIES = "hubeau:F664000104:H"


def ingest(values, **kw):
    return actions.do_ingest_points(
        points(SERIES, values, **kw), source="test", actor=SystemActor("poll_sources")
    )


def state(marne):
    return IndicatorState.objects.get(indicator=marne)


def test_ingest_stores_points_and_publishes(marne, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest([1.0, 1.2, 1.4]) == 3
    assert Observation.objects.filter(indicator=marne).count() == 3
    s = state(marne)
    assert s.level == 0 and s.last_value == 1.4 and not s.stale
    events = [e for e in live.recent() if e.event == "observation"]
    assert events and events[-1].data["value"] == 1.4 and len(events[-1].data["points"]) == 3


def test_reingesting_the_same_timestamps_updates_not_duplicates(marne):
    start = timezone.now() - timedelta(hours=1)
    ingest([1.0, 1.1], start=start)
    ingest([1.0, 1.5], start=start)
    assert Observation.objects.filter(indicator=marne).count() == 2
    assert sorted(Observation.objects.values_list("value", flat=True)) == [1.0, 1.5]


def test_unknown_series_skipped_for_sources_but_error_when_strict(marne):
    mixed = points(SERIES, [1.0]) + points("hubeau:NOPE:H", [1.0])
    assert actions.do_ingest_points(mixed, source="hubeau", actor=SystemActor("poll_sources")) == 1
    with pytest.raises(UserError) as exc:
        actions.do_ingest_points(mixed, source="api", strict=True, actor=SystemActor("poll_sources"))
    assert "série d'indicateur inconnue" in str(exc.value)


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"unit": "°C"}, "unit"),
        ({"unit": ""}, "unit"),
        ({"value": "haut"}, "value"),
        ({"value": float("nan")}, "value"),
        ({"at": timezone.now() + timedelta(hours=2)}, "at"),
        ({"at": timezone.now() - timedelta(days=400)}, "at"),
        ({"at": "2026-01-01T10:00:00"}, "at"),  # naive
        ({"kind": "guess"}, "kind"),
    ],
)
def test_bad_points_reject_the_whole_batch(marne, bad, field):
    batch = points(SERIES, [1.0, 1.1, 1.2])
    batch[1].update(bad)
    with pytest.raises(UserError) as exc:
        actions.do_ingest_points(batch, source="api", strict=True, actor=SystemActor("poll_sources"))
    assert exc.value.problems[0].field == f"points[1].{field}"
    assert Observation.objects.count() == 0


def test_forecasts_may_be_in_the_future_and_do_not_change_the_level(marne):
    now = timezone.now()
    ingest([4.8, 5.2], start=now + timedelta(hours=1), step=timedelta(hours=3), kind="forecast")
    assert Observation.objects.filter(kind="forecast").count() == 2
    assert state(marne).level == 0


def test_level_rises_with_proposals_and_hysteresis_holds(marne, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest([1.5, 2.2, 3.1])
    s = state(marne)
    assert s.level == 2
    assert list(LevelChange.objects.values_list("from_level", "to_level")) == [(0, 2)] or sorted(
        LevelChange.objects.values_list("from_level", "to_level")
    ) == [(0, 1), (1, 2)]
    pending = Proposal.objects.filter(status="pending", level=2)
    assert {p.action for p in pending} == {"log_entry", "reflex_sheet"}
    # Noise just under the threshold, within the hysteresis: no change, no new proposal.
    count = Proposal.objects.count()
    ingest([2.95, 3.02, 2.93], start=timezone.now() - timedelta(minutes=5), step=timedelta(minutes=1))
    assert state(marne).level == 2 and Proposal.objects.count() == count
    assert any(e.event == "level" and e.data["to"] == 2 for e in live.recent())
    assert AuditEvent.objects.filter(action="monitoring.level_changed").exists()


def test_minimum_duration_before_alerte(marne):
    start = timezone.now() - timedelta(hours=2)
    ingest([3.5, 4.1, 4.2], start=start)  # 20 minutes above 4.0: not enough
    s = state(marne)
    assert s.level == 2 and s.candidate_level == 3
    ingest([4.3], start=start + timedelta(minutes=40))  # 30 minutes above 4.0 (since +10): alerte
    s = state(marne)
    assert s.level == 3 and s.candidate_level is None
    assert Proposal.objects.filter(level=3, action="open_crisis").exists()


def test_stale_source_is_a_state(marne, django_capture_on_commit_callbacks):
    ingest([1.0], start=timezone.now() - timedelta(hours=3))
    assert state(marne).stale is True  # already older than stale_after (1 h) when received
    ingest([1.1], start=timezone.now() - timedelta(minutes=1))
    assert state(marne).stale is False
    with django_capture_on_commit_callbacks(execute=True):
        changed = actions.do_check_staleness(
            now=timezone.now() + timedelta(hours=2), actor=SystemActor("monitoring")
        )
    assert changed == ["marne-gournay"] and state(marne).stale is True
    assert any(e.event == "stale" and e.data["stale"] for e in live.recent())
    assert AuditEvent.objects.filter(action="monitoring.stale").exists()


def test_falling_level_supersedes_higher_pending_proposals(marne):
    ingest([3.5], start=timezone.now() - timedelta(minutes=30))
    assert Proposal.objects.filter(level=2, status="pending").exists()
    ingest([1.0], start=timezone.now() - timedelta(minutes=5))
    assert state(marne).level == 0
    assert not Proposal.objects.filter(level=2, status="pending").exists()
    assert Proposal.objects.filter(level=2, status="superseded").exists()
    assert Proposal.objects.filter(level=0, action="log_entry", status="pending").exists()


def test_dismiss_is_logged_and_needs_the_role(marne, make_user):
    ingest([3.5])
    proposal = Proposal.objects.filter(status="pending").first()
    reader = make_user("lecteur")
    with pytest.raises(PermissionDenied):
        actions.do_dismiss_proposal(proposal, actor=reader)
    outsider = make_user("cellule_crise", communes=["92063"])
    with pytest.raises(PermissionDenied):
        actions.do_dismiss_proposal(proposal, actor=outsider)
    cell = make_user("cellule_crise")
    actions.do_dismiss_proposal(proposal, note="fausse alerte", actor=cell)
    proposal.refresh_from_db()
    assert proposal.status == "dismissed" and proposal.decided_by == cell
    assert AuditEvent.objects.filter(action="monitoring.proposal_dismissed", actor=cell).exists()
    with pytest.raises(UserError):
        actions.do_dismiss_proposal(proposal, actor=cell)


def test_accept_open_crisis_then_log_entry(marne, make_user):
    from beffroi.crisis.selectors import active_crises, entries

    start = timezone.now() - timedelta(hours=4)
    ingest([3.5, 4.1, 4.2, 4.3, 4.4], start=start)
    mayor = make_user("maire")
    open_crisis = Proposal.objects.get(action="open_crisis", status="pending")
    accepted = actions.do_accept_proposal(open_crisis, exercise=True, actor=mayor)
    assert accepted.status == "accepted" and accepted.result["opened"] is True
    crisis = next(c for c in active_crises() if c.pk == accepted.result["crisis"])
    assert crisis.hazard == "inondation" and crisis.communes == ["94052"]
    assert any("Veille" in e.text for e in entries(crisis))
    # The Marne falls back: the main courante entry proposed for it goes into the open crisis.
    ingest([1.0] * 9, start=timezone.now() - timedelta(hours=2), step=timedelta(minutes=15))
    assert state(marne).level == 0
    log_entry = Proposal.objects.get(action="log_entry", level=0, status="pending")
    done = actions.do_accept_proposal(log_entry, actor=mayor)
    assert done.status == "accepted" and done.result["crisis"] == crisis.pk
    assert any(e.text.startswith(log_entry.text[:40]) for e in entries(crisis)), [
        e.text for e in entries(crisis)
    ]
    assert AuditEvent.objects.filter(action="monitoring.proposal_accepted", actor=mayor).exists()


def test_on_call_people_are_notified_when_available(
    marne, make_user, django_capture_on_commit_callbacks, monkeypatch
):
    make_user("cellule_crise", communes=["94052"])
    make_user("cellule_crise", communes=["92063"])
    from beffroi.alerts.actions import do_notify_staff
    from beffroi.monitoring import paging

    # The alerts app pages staff through monitoring's extension point (registered at start).
    assert do_notify_staff in paging.NOTIFIERS
    sent = []
    monkeypatch.setattr(
        paging, "NOTIFIERS", [lambda users, subject, text, *, actor: sent.append((users, subject)) or 1]
    )
    with django_capture_on_commit_callbacks(execute=True):
        ingest([3.5])
    assert sent, "on-call staff were not notified"
    users, subject = sent[0]
    assert [u.username for u in users] == ["cellule_crise1"] and "Vigilance" in subject


def test_compatible_units_are_converted(marne):
    actions.do_ingest_points(
        points(SERIES, [2450], unit="mm"), source="hubeau", actor=SystemActor("poll_sources")
    )
    assert Observation.objects.get(indicator=marne).value == pytest.approx(2.45)


def test_accepting_a_citizen_message_only_drafts_it(marne, make_user):
    from beffroi.alerts.models import Alert

    start = timezone.now() - timedelta(hours=1)
    ingest([3.5, 4.1, 4.2, 4.3, 4.4], start=start)
    message = Proposal.objects.get(action="citizen_message", status="pending")
    assert "Crue" in message.text or "berges" in message.text
    cell = make_user("cellule_crise")
    done = actions.do_accept_proposal(message, exercise=True, actor=cell)
    alert = Alert.objects.get(pk=done.result["alert"])
    assert done.result["drafted"] is True
    assert alert.status == "Exercise" and alert.hazard == "inondation" and alert.source == "monitoring"
    # Only a draft: nothing published or sent.
    assert not alert.versions.exclude(state="draft").exists()
