"""Pages and role permissions of the crisis cell."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from beffroi.core.actors import SystemActor
from beffroi.crisis.actions import do_close_crisis, do_escalate, do_open_crisis
from beffroi.crisis.actions_means import do_save_reflex_sheet
from beffroi.crisis.models import LogEntry, Task


@pytest.fixture
def crisis(make_user):
    return do_open_crisis(
        hazard="inondation",
        communes=["94052"],
        level=2,
        exercise=False,
        title="Crue de la Marne",
        actor=make_user("maire", ["94052"]),
    )


def test_cellule_logs_entries_through_the_page(client_for, crisis):
    client = client_for("cellule_crise", ["94052"])
    response = client.post(
        f"/crise/{crisis.pk}/main-courante/ajouter/",
        {"text": "Appel de la préfecture", "category": "info", "source": "prefecture"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Appel de la préfecture" in response.content.decode()
    assert 'id="journal"' in response.content.decode() and "<html" not in response.content.decode()
    page = client.get(f"/crise/{crisis.pk}/").content.decode()
    crisis.chain.refresh_from_db()
    assert "Tête de chaîne" in page and crisis.chain.head_hash[:4] in page


@pytest.mark.parametrize("role", ["lecteur", "communication"])
def test_readers_see_but_cannot_write(client_for, crisis, role):
    client = client_for(role, ["94052"])
    assert client.get(f"/crise/{crisis.pk}/").status_code == 200
    response = client.post(
        f"/crise/{crisis.pk}/main-courante/ajouter/", {"text": "x", "category": "info", "source": "radio"}
    )
    assert response.status_code in (302, 403)
    assert not LogEntry.objects.filter(crisis=crisis, text="x").exists()


def test_user_of_another_commune_cannot_see_the_crisis(client_for, crisis):
    client = client_for("cellule_crise", ["92063"])
    assert client.get(f"/crise/{crisis.pk}/").status_code == 403


def test_only_the_mayor_opens_escalates_and_closes_a_real_crisis(make_user, crisis):
    cell = make_user("cellule_crise", ["94052"])
    with pytest.raises(PermissionDenied):
        do_open_crisis(hazard="canicule", communes=["94052"], level=2, exercise=False, title="x", actor=cell)
    with pytest.raises(PermissionDenied):
        do_escalate(crisis, level=3, reason="", actor=cell)
    with pytest.raises(PermissionDenied):
        do_close_crisis(crisis, summary="", actor=cell)
    maire = make_user("maire", ["94052"])
    do_escalate(crisis, level=3, reason="Crue", actor=maire)
    do_close_crisis(crisis, summary="Décrue", actor=maire)
    crisis.refresh_from_db()
    assert crisis.status == "closed" and crisis.level == 3


def test_cellule_may_run_an_exercise(make_user):
    cell = make_user("cellule_crise", ["92063"])
    crisis = do_open_crisis(
        hazard="canicule", communes=["92063"], level=2, exercise=True, title="Ex", actor=cell
    )
    assert crisis.exercise
    do_close_crisis(crisis, summary="fin", actor=cell)


def test_starting_a_reflex_sheet_creates_its_tasks(client_for, crisis, make_user):
    sheet = do_save_reflex_sheet(
        actor=SystemActor("demo"),
        hazard="inondation",
        level=2,
        title="Crue niveau 2",
        items=[
            {"title": "Prévenir les riverains", "cell": "Communication", "within_minutes": 30, "priority": 1},
            {"title": "Poser les batardeaux", "cell": "Services techniques", "within_minutes": 60},
        ],
    )
    client = client_for("cellule_crise", ["94052"])
    assert client.post(f"/crise/{crisis.pk}/fiche-reflexe/", {"sheet": sheet.pk}).status_code == 302
    tasks = list(Task.objects.filter(crisis=crisis).order_by("id"))
    assert [t.title for t in tasks] == ["Prévenir les riverains", "Poser les batardeaux"]
    assert tasks[0].deadline is not None and tasks[0].source_entry is not None
    response = client.post(
        f"/crise/{crisis.pk}/taches/{tasks[0].pk}/statut/", {"status": "done"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and 'id="tasks"' in response.content.decode()
    tasks[0].refresh_from_db()
    assert tasks[0].status == "done" and tasks[0].done_at
    assert LogEntry.objects.filter(crisis=crisis, task=tasks[0]).count() == 1


def test_pages_render(client_for, crisis):
    client = client_for("maire", ["94052"])
    for url in [
        "/crise/",
        "/crise/fiches-reflexes/",
        "/crise/annuaire/",
        "/crise/moyens/",
        "/crise/exercices/",
        f"/crise/{crisis.pk}/",
        "/documents/",
        f"/documents/retex/{crisis.pk}/",
        "/documents/pcs/",
        "/crise/fiches-reflexes/nouvelle/",
    ]:
        assert client.get(url).status_code == 200, url
    response = client.get(f"/crise/{crisis.pk}/main-courante/export.csv")
    assert b"chain head" in response.content


def test_an_attachment_is_hashed_into_the_chain(client_for, crisis, settings, tmp_path):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    from beffroi.crisis.chain import verify

    settings.MEDIA_ROOT = tmp_path
    client = client_for("cellule_crise", ["94052"])
    photo = b"\x89PNG fake photo of the quay"
    response = client.post(
        f"/crise/{crisis.pk}/main-courante/ajouter/",
        {
            "text": "Photo du quai",
            "category": "info",
            "source": "terrain",
            "attachment": SimpleUploadedFile("quai.png", photo, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    entry = LogEntry.objects.get(crisis=crisis, text="Photo du quai")
    assert entry.attachment_sha256 == hashlib.sha256(photo).hexdigest()
    assert verify(crisis).ok
    download = client.get(f"/crise/{crisis.pk}/main-courante/{entry.seq}/piece-jointe")
    assert b"".join(download.streaming_content) == photo


def test_a_reflex_sheet_is_edited_in_the_page(client_for):
    from beffroi.crisis.models import ReflexSheet

    client = client_for("cellule_crise", ["94052"])
    response = client.post(
        "/crise/fiches-reflexes/nouvelle/",
        {
            "title": "Crue niveau 3",
            "hazard": "inondation",
            "level": "3",
            "commune": "94052",
            "objective": "",
            "items": "Fermer le quai | Services techniques | 30 | 1\n\n"
            "Prévenir les riverains | Communication",
        },
    )
    assert response.status_code == 302
    sheet = ReflexSheet.objects.get(title="Crue niveau 3")
    items = list(sheet.items.all())
    assert [(i.title, i.cell, i.within_minutes, i.priority) for i in items] == [
        ("Fermer le quai", "Services techniques", 30, 1),
        ("Prévenir les riverains", "Communication", None, 2),
    ]
    response = client.post(
        f"/crise/fiches-reflexes/{sheet.pk}/",
        {"title": "", "hazard": "inondation", "level": "3", "items": ""},
    )
    assert response.status_code == 400 and "enregistrer la fiche réflexe" in response.content.decode()
    reader = client_for("lecteur", ["94052"])
    assert reader.get("/crise/fiches-reflexes/nouvelle/").status_code == 403


def test_the_directory_is_filled_in_the_page(client_for):
    from beffroi.crisis.models import Contact

    client = client_for("cellule_crise", ["94052"])
    response = client.post(
        "/crise/annuaire/",
        {"commune": "94052", "kind": "personne", "name": "Chef de quai", "on_duty_phone": "06 00 00 00 00"},
    )
    assert response.status_code == 302
    assert Contact.objects.get(name="Chef de quai").on_duty_phone == "06 00 00 00 00"
    assert client.post("/crise/annuaire/", {"commune": "92063", "name": "x"}).status_code == 403
    assert "Chef de quai" in client_for("lecteur", ["94052"]).get("/crise/annuaire/").content.decode()


def test_main_courante_csv_neutralises_formulas(client_for, crisis, make_user):
    import csv
    import io

    from beffroi.crisis.actions import do_append_entry

    cell = make_user("cellule_crise", ["94052"])
    do_append_entry(
        crisis, text='=HYPERLINK("http://127.0.0.1/","x")', category="info", source="phone", actor=cell
    )
    do_append_entry(crisis, text="=1+1", category="info", source="phone", actor=cell)
    response = client_for("maire", ["94052"]).get(f"/crise/{crisis.pk}/main-courante/export.csv")
    texts = [row[7] for row in csv.reader(io.StringIO(response.content.decode())) if len(row) > 7][1:]
    assert '\'=HYPERLINK("http://127.0.0.1/","x")' in texts and "'=1+1" in texts
