"""The main courante beyond the chain: attachments checked on disk, heads kept outside the database."""

from __future__ import annotations

import hashlib

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction

from beffroi.cli import main
from beffroi.core.audit import AuditEvent
from beffroi.crisis.actions import do_append_entry, do_handover, do_open_crisis
from beffroi.crisis.chain import parse_head, verify
from beffroi.crisis.models import ChainAnchor, LogChain, LogEntry


def _sql(sql: str, params: list) -> None:
    """Write behind the application's back, as a database administrator could (on PostgreSQL,
    past the append-only trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with pytest.raises(DatabaseError), transaction.atomic():
                cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.fixture
def mayor(make_user):
    user = make_user("maire", ["94052"], username="mdupont")
    user.first_name, user.last_name, user.email = "Marie", "Dupont", "maire@nogent.test"
    user.save()
    return user


@pytest.fixture
def cell(make_user):
    user = make_user("cellule_crise", ["94052"], username="pmartin")
    user.first_name, user.last_name = "Paul", "Martin"
    user.save()
    return user


@pytest.fixture
def crisis(mayor):
    return do_open_crisis(
        hazard="inondation", communes=["94052"], level=3, exercise=False, title="Crue", actor=mayor
    )


def _write(crisis, cell, n=4):
    return [
        do_append_entry(crisis, text=f"Appel {i}", category="info", source="phone", actor=cell)
        for i in range(n)
    ]


def test_a_swapped_attachment_is_named_by_verify_log_and_not_served(
    crisis, cell, client, settings, tmp_path, capsys
):
    settings.MEDIA_ROOT = tmp_path
    photo = b"\x89PNG the quay at 6 am"
    entry = do_append_entry(
        crisis,
        text="Photo du quai",
        category="info",
        source="terrain",
        actor=cell,
        attachment=SimpleUploadedFile("quai.png", photo, content_type="image/png"),
    )
    assert entry.attachment_sha256 == hashlib.sha256(photo).hexdigest()
    assert main(["crisis", "verify-log", str(crisis.pk)]) == 0
    capsys.readouterr()

    (tmp_path / entry.attachment.name).write_bytes(b"\x89PNG another picture")

    report = verify(crisis)
    assert report.ok  # the rows are intact...
    assert not report.all_ok  # ...but the file is not
    assert [(p.seq, p.name) for p in report.attachments] == [(entry.seq, entry.attachment.name)]
    assert main(["crisis", "verify-log", str(crisis.pk)]) == 1
    out = capsys.readouterr().out
    assert f"Attachment of entry #{entry.seq}" in out and entry.attachment.name in out
    assert "does not match the hash in the chain" in out

    client.force_login(cell)
    response = client.get(f"/crise/{crisis.pk}/main-courante/{entry.seq}/piece-jointe")
    assert response.status_code == 409
    assert "ne correspond plus" in response.content.decode()
    assert AuditEvent.objects.filter(action="crisis.attachment.refused").exists()


def test_a_rewritten_chain_passes_plain_verify_but_not_against_a_head_kept_elsewhere(crisis, cell, capsys):
    _write(crisis, cell)
    kept = verify(crisis).anchor  # e.g. printed on the handover sheet at 14:00
    # The administrator rewrites entry 3 and recomputes every later hash and the head row.
    entries = list(LogEntry.objects.filter(crisis=crisis).order_by("seq"))
    previous = entries[1].hash
    for entry in entries[2:]:
        if entry.seq == 3:
            entry.text = "Rien à signaler"
        entry.prev_hash = previous
        entry.hash = entry.compute_hash()
        _sql(
            "UPDATE crisis_logentry SET text = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [entry.text, entry.prev_hash, entry.hash, entry.pk],
        )
        previous = entry.hash
    LogChain.objects.filter(crisis=crisis).update(head_hash=previous)

    assert main(["crisis", "verify-log", str(crisis.pk)]) == 0  # the rewrite is self-consistent
    assert "chain valid" in capsys.readouterr().out

    assert main(["crisis", "verify-log", str(crisis.pk), "--head", kept]) == 1
    out = capsys.readouterr().out
    assert "NOT reproduced" in out and "rewritten" in out
    report = verify(crisis, head=parse_head(kept))
    assert report.head_matches is False


def test_a_head_of_an_earlier_state_still_proves_a_longer_honest_log(crisis, cell, capsys):
    _write(crisis, cell, 2)
    kept = verify(crisis).anchor
    _write(crisis, cell, 3)  # the log goes on after the head was written down
    assert main(["crisis", "verify-log", str(crisis.pk), "--head", kept]) == 0
    assert "reproduced by the first 3 entries" in capsys.readouterr().out


def test_a_malformed_head_is_a_clear_error(crisis, capsys):
    assert main(["crisis", "verify-log", str(crisis.pk), "--head", "abcd@x"]) == 2
    assert "HASH@N" in capsys.readouterr().err


def test_a_handover_anchors_the_head_mails_the_mayor_and_names_both_leads(
    crisis, cell, mayor, django_capture_on_commit_callbacks
):
    _write(crisis, cell, 2)
    with django_capture_on_commit_callbacks(execute=True):
        handover = do_handover(crisis, incoming=mayor, summary="Décrue amorcée", actor=cell)
    entry = LogEntry.objects.filter(crisis=crisis).order_by("-seq").first()
    assert entry is not None
    assert "Paul Martin (pmartin, Cellule de crise) → Marie Dupont (mdupont, Maire" in entry.text
    assert handover.anchor == f"{entry.hash}@{entry.seq}"
    anchor = ChainAnchor.objects.get(crisis=crisis)
    assert anchor.value == handover.anchor and anchor.mailed_to == ["maire@nogent.test"]
    audit = AuditEvent.objects.get(action="crisis.handover")
    assert audit.detail["outgoing"].startswith("Paul Martin (pmartin")
    assert audit.detail["incoming"].startswith("Marie Dupont (mdupont")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["maire@nogent.test"]
    assert handover.anchor in mail.outbox[0].body
    assert f"verify-log {crisis.pk} --head {handover.anchor}" in mail.outbox[0].body


def test_a_handover_to_oneself_is_refused(crisis, cell):
    from beffroi.core.errors import UserError

    with pytest.raises(UserError):
        do_handover(crisis, incoming=cell, summary="x", actor=cell)


def test_anchor_on_demand_from_the_command_line(crisis, cell, capsys):
    _write(crisis, cell, 1)
    assert main(["crisis", "anchor", str(crisis.pk)]) == 0
    out = capsys.readouterr().out
    head = verify(crisis).anchor
    assert head in out and "maire@nogent.test" in out
    assert ChainAnchor.objects.get(crisis=crisis).reason == "demande"


def test_the_head_is_printed_on_the_pcs_kit_and_the_handover_list(crisis, cell, mayor, client):
    from django.template.loader import render_to_string

    from beffroi.reports import builders
    from beffroi.territory.selectors import communes

    handover = do_handover(crisis, incoming=mayor, summary="Point de 20 h", actor=cell)
    head = verify(crisis).anchor
    assert head == handover.anchor
    kit = render_to_string("reports/pcs.html", builders.pcs([c for c in communes() if c.code == "94052"]))
    assert head in kit and f"verify-log {crisis.pk} --head {head}" in kit
    client.force_login(cell)
    page = client.get(f"/crise/{crisis.pk}/").content.decode()
    assert handover.anchor in page and "Marie Dupont" in page
