"""Refusals that explain themselves, the open form reachable by GET, asking the mayor to open."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail

from beffroi.crisis import actions
from beffroi.crisis.actions import do_open_crisis
from beffroi.crisis.models import Crisis

MAYOR_ROLE_LABEL = "Maire / directeur des opérations (DOS)"


@pytest.fixture
def mayor(make_user):
    user = make_user("maire", ["94052"], username="mdupont")
    user.email = "maire@nogent.test"
    user.save()
    return user


def test_get_open_shows_the_form_prefilled_from_the_link(client_for):
    client = client_for("maire", ["94052"])
    response = client.get("/crise/ouvrir/?title=Crue+de+la+Marne&hazard=inondation&level=3&communes=94052")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Crue de la Marne"' in html
    checkbox = re.search(r'<input type="checkbox" name="communes" value="94052"[^>]*>', html)
    assert checkbox and "checked" in checkbox.group(0)
    assert '<option value="inondation" selected>' in html


def test_a_refused_open_keeps_what_was_typed_and_says_who_can(client_for):
    client = client_for("cellule_crise", ["94052"])
    response = client.post(
        "/crise/ouvrir/",
        {
            "title": "Crue de la Marne, quai de Nogent",
            "hazard": "inondation",
            "level": 3,
            "communes": ["94052"],
        },
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert 'value="Crue de la Marne, quai de Nogent"' in html  # the typed form is back
    assert "Ouvrir une crise" in html  # what was refused, in plain French
    assert MAYOR_ROLE_LABEL in html  # who can
    assert "Demander au maire" in html
    assert not Crisis.objects.exists()


def test_the_403_page_names_the_permission_and_the_roles_that_hold_it(client_for):
    response = client_for("lecteur", ["94052"]).get("/audit/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Ce qui a été refusé" in html and "Qui peut le faire" in html
    assert "Administrateur" in html or "aucun rôle" in html


def test_a_refused_escalation_keeps_the_typed_reason(client_for, make_user):
    mayor = make_user("maire", ["94052"])
    crisis = do_open_crisis(
        hazard="inondation", communes=["94052"], level=2, exercise=False, title="Crue", actor=mayor
    )
    client = client_for("cellule_crise", ["94052"])
    response = client.post(
        f"/crise/{crisis.pk}/niveau/", {"level-level": 4, "level-reason": "Digue de Bry menacée"}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Digue de Bry menacée" in html and "Changer le niveau d&#x27;une crise" in html
    assert MAYOR_ROLE_LABEL in html
    crisis.refresh_from_db()
    assert crisis.level == 2


def test_a_cellule_member_asks_the_mayor_to_open(
    client_for, mayor, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    real = actions.publish_event
    monkeypatch.setattr(
        actions, "publish_event", lambda name, **kw: (published.append((name, kw)), real(name, **kw))
    )
    client = client_for("cellule_crise", ["94052"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/crise/ouvrir/demande/",
            {
                "title": "Crue de la Marne",
                "hazard": "inondation",
                "level": 3,
                "communes": ["94052"],
                "note": "Vigicrues orange, quai inondé",
            },
        )
    assert response.status_code == 302
    assert not Crisis.objects.exists()  # asking opens nothing
    name, payload = next(p for p in published if p[0] == "crisis.open_requested")
    assert payload["communes"] == ["94052"] and payload["title"] == "Crue de la Marne"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["maire@nogent.test"]
    body = mail.outbox[0].body
    assert "Vigicrues orange, quai inondé" in body
    link = next(line for line in body.splitlines() if "/crise/ouvrir/?" in line).strip()
    query = parse_qs(urlsplit(link).query)
    assert query == {
        "title": ["Crue de la Marne"],
        "hazard": ["inondation"],
        "level": ["3"],
        "communes": ["94052"],
    }
    # One click: the mayor lands on the prefilled form.
    client.force_login(mayor)
    page = client.get(link.replace("http://testserver", ""))
    assert page.status_code == 200 and 'value="Crue de la Marne"' in page.content.decode()


def test_a_reader_cannot_ask_to_open(client_for):
    response = client_for("lecteur", ["94052"]).post(
        "/crise/ouvrir/demande/",
        {"title": "X", "hazard": "inondation", "level": 3, "communes": ["94052"]},
    )
    assert response.status_code == 403
    assert 'value="X"' in response.content.decode()
