"""The main courante: append-only, hash-chained, tamper-evident."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from beffroi.core.errors import UserError
from beffroi.core.timeutil import utcnow
from beffroi.crisis.actions import do_append_entry, do_open_crisis
from beffroi.crisis.chain import verify
from beffroi.crisis.models import AppendOnlyError, LogEntry
from beffroi.crisis.selectors import active_crises, chain_head


def _tamper(sql: str, params: list) -> None:
    """Change the table behind the application's back, as a database administrator could.

    On PostgreSQL the append-only trigger refuses it first; the administrator then bypasses
    triggers (session_replication_role), which only the chain verification can reveal.
    """
    from django.db import DatabaseError, transaction

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with pytest.raises(DatabaseError), transaction.atomic():
                cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.fixture
def crisis(make_user):
    maire = make_user("maire")
    return do_open_crisis(
        hazard="inondation",
        communes=["94052"],
        level=3,
        exercise=False,
        title="Crue de la Marne",
        actor=maire,
    )


def test_opening_a_crisis_starts_a_valid_chain(crisis):
    report = verify(crisis)
    assert report.ok and report.length == 1
    assert crisis in active_crises()
    assert chain_head(crisis)["hash"] == LogEntry.objects.get(crisis=crisis, seq=1).hash


def test_entries_link_to_the_previous_hash(crisis, make_user):
    cell = make_user("cellule_crise", ["94052"])
    first = do_append_entry(
        crisis, text="Appel riverain quai de la Marne", category="info", source="phone", actor=cell
    )
    second = do_append_entry(
        crisis, text="Fermeture du quai", category="décision", source="terrain", actor=cell
    )
    assert second.prev_hash == first.hash
    assert second.seq == first.seq + 1
    assert second.category == "decision" and second.source == "terrain"
    assert second.author_label == cell.username
    assert verify(crisis).ok


def test_a_tampered_row_is_detected_and_named(crisis, make_user):
    cell = make_user("cellule_crise", ["94052"])
    for i in range(5):
        do_append_entry(crisis, text=f"entrée {i}", category="info", source="radio", actor=cell)
    target = LogEntry.objects.get(crisis=crisis, seq=4)
    _tamper("UPDATE crisis_logentry SET text = %s WHERE id = %s", ["falsifié", target.pk])
    report = verify(crisis)
    assert not report.ok
    assert report.broken_seq == 4 and report.broken_id == target.pk
    assert report.length == 3


def test_a_deleted_last_row_is_detected(crisis, make_user):
    cell = make_user("cellule_crise", ["94052"])
    for i in range(3):
        do_append_entry(crisis, text=f"entrée {i}", category="info", source="radio", actor=cell)
    last = LogEntry.objects.get(crisis=crisis, seq=4)
    _tamper("DELETE FROM crisis_logentry WHERE id = %s", [last.pk])
    report = verify(crisis)
    assert not report.ok and "removed" in report.reason


def test_orm_refuses_updates_and_deletes(crisis):
    entry = LogEntry.objects.get(crisis=crisis, seq=1)
    entry.text = "autre"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LogEntry.objects.filter(pk=entry.pk).update(text="x")
    with pytest.raises(AppendOnlyError):
        LogEntry.objects.filter(pk=entry.pk).delete()
    assert verify(crisis).ok


def test_a_correction_is_a_new_entry_pointing_to_the_original(crisis, make_user):
    cell = make_user("cellule_crise", ["94052"])
    wrong = do_append_entry(
        crisis, text="Hauteur 3,20 m à Gournay", category="info", source="system", actor=cell
    )
    fix = do_append_entry(
        crisis, text="Correction : 2,30 m", category="info", source="system", actor=cell, corrects=wrong
    )
    wrong.refresh_from_db()
    assert wrong.text == "Hauteur 3,20 m à Gournay"
    assert fix.corrects_id == wrong.pk and list(wrong.corrections.all()) == [fix]
    assert verify(crisis).ok


def test_a_paper_entry_is_re_entered_with_its_real_time(crisis, make_user):
    cell = make_user("cellule_crise", ["94052"])
    real = utcnow() - timedelta(hours=2)
    entry = do_append_entry(
        crisis,
        text="Coupure électrique, PCC sur papier",
        category="info",
        source="radio",
        actor=cell,
        occurred_at=real,
        deferred=True,
    )
    assert entry.deferred and entry.occurred_at == real and entry.recorded_at > real
    with pytest.raises(UserError):
        do_append_entry(crisis, text="sans heure", category="info", source="radio", actor=cell, deferred=True)


def test_bad_input_is_refused_with_the_field(crisis, make_user):
    cell = make_user("cellule_crise", ["94052"])
    with pytest.raises(UserError) as exc:
        do_append_entry(crisis, text="x", category="rumeur", source="phone", actor=cell)
    assert exc.value.problems[0].field == "category"
    with pytest.raises(UserError):
        do_append_entry(crisis, text="  ", category="info", source="phone", actor=cell)


def test_appends_are_published_on_the_live_stream(
    crisis, make_user, monkeypatch, django_capture_on_commit_callbacks
):
    import beffroi.core.live as live

    seen = []
    monkeypatch.setattr(live, "_publish_now", lambda topic, event, data: seen.append((topic, event, data)))
    cell = make_user("cellule_crise", ["94052"])
    with django_capture_on_commit_callbacks(execute=True):  # events are sent after the commit
        entry = do_append_entry(crisis, text="Radio", category="info", source="radio", actor=cell)
    assert ("crisis", "entry") in [(t, e) for t, e, _d in seen]
    event = next(d for _t, _e, d in seen if d.get("head") == entry.hash)
    # The live stream shows an event only to users of the crisis's communes.
    assert event["communes"] == ["94052"]


def test_verify_log_command_exits_1_naming_the_broken_entry(crisis, make_user, capsys):
    from beffroi.cli import main

    cell = make_user("cellule_crise", ["94052"])
    for i in range(3):
        do_append_entry(crisis, text=f"entrée {i}", category="info", source="radio", actor=cell)
    assert main(["crisis", "verify-log", str(crisis.pk)]) == 0
    assert "chain valid" in capsys.readouterr().out
    target = LogEntry.objects.get(crisis=crisis, seq=3)
    _tamper("UPDATE crisis_logentry SET author_label = %s WHERE id = %s", ["quelqu'un d'autre", target.pk])
    assert main(["crisis", "verify-log", str(crisis.pk)]) == 1
    out = capsys.readouterr().out
    assert "BROKEN at entry #3" in out
    assert main(["crisis", "verify-log", "999999"]) == 2
    assert main(["crisis", "verify-log", "abc"]) == 2
