"""The crisis room's wall screen: what it shows, for whom, and the parts it re-fetches live."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from beffroi.alerts import actions as alert_actions
from beffroi.core.actors import SystemActor
from beffroi.core.timeutil import utcnow
from beffroi.crisis.actions import do_append_entry, do_open_crisis
from beffroi.crisis.actions_means import do_open_shelter, do_save_shelter, do_set_occupancy
from beffroi.crisis.actions_tasks import do_create_task
from beffroi.sources.models import Source
from beffroi.web import wall
from tests.conftest import login_client

NOGENT, RUEIL = "94052", "92063"


@pytest.fixture(autouse=True)
def public_root(settings, tmp_path):
    settings.PUBLIC_ROOT = tmp_path / "public"


@pytest.fixture
def mayor(make_user):
    return make_user("maire", [NOGENT, RUEIL], totp=True)


def _open(title, *, actor, exercise=False, level=3, communes=(NOGENT,)):
    return do_open_crisis(
        hazard="inondation", communes=list(communes), level=level, exercise=exercise, title=title, actor=actor
    )


def _publish(crisis, commune, headline, *, composer, mayor):
    alert = alert_actions.do_draft_alert(
        hazard="inondation",
        communes=[commune],
        headline=headline,
        onset=utcnow(),
        expires=utcnow() + timedelta(hours=6),
        crisis_id=crisis.pk if crisis else None,
        exercise=bool(crisis and crisis.exercise),
        actor=composer,
    )
    version = alert.latest()
    alert_actions.do_submit(version, actor=composer)
    mayor.is_verified = lambda: True
    alert_actions.do_approve(version, digest=version.digest(), actor=mayor)
    alert_actions.do_publish(version, actor=composer)
    return alert


def test_the_wall_follows_the_real_crisis_before_an_exercise_and_shows_every_part(client, mayor, make_user):
    exercise = _open("Exercice crue", actor=mayor, exercise=True, level=4)
    real = _open("Crue de la Marne", actor=mayor, level=3)
    cell = make_user("cellule_crise", [NOGENT])
    do_append_entry(real, text="Eau au ras du quai de la Marne", category="info", source="phone", actor=cell)
    do_create_task(
        real,
        title="Fermer le parking du port",
        cell="technique",
        deadline=utcnow() - timedelta(minutes=10),
        actor=cell,
    )
    do_create_task(
        real, title="Informer le COD", cell="dos", deadline=utcnow() + timedelta(hours=1), actor=cell
    )
    shelter = do_save_shelter(
        commune=NOGENT, actor=SystemActor("demo"), name="Gymnase Watteau", capacity=150, keeps_register=False
    )
    do_open_shelter(shelter, actor=cell)
    do_set_occupancy(shelter, occupancy=35, actor=cell)
    Source.objects.create(
        name="vigicrues-idf",
        kind="vigicrues",
        title="Vigicrues",
        consecutive_failures=3,
        last_error="timeout",
    )
    assert wall.followed_crisis(mayor) == real
    login_client(client, cell)
    page = client.get("/mur/").content.decode()
    assert "Crue de la Marne" in page and "Exercice crue" not in page
    assert 'class="level level-3"' in page
    for part in wall.PARTS:
        assert f'id="wall-{part}"' in page
    assert "Eau au ras du quai de la Marne" in page
    assert "Services techniques" in page and "1 en retard" in page
    assert "<strong>35</strong>/150" in page and "Gymnase Watteau" in page
    assert "Vigicrues" in page
    # the parts re-read the crisis shown, on their catalogued events
    assert f'hx-get="/mur/{real.pk}/?part=journal" hx-trigger="sse:entry' in page
    assert 'hx-trigger="sse:crisis.opened, sse:crisis.closed"' in page  # follows: re-read on open/close
    # a given crisis: its own wall, not following
    page = client.get(f"/mur/{exercise.pk}/").content.decode()
    assert "EXERCICE" in page and "is-exercise" in page and 'id="wall-follow"' not in page


def test_a_part_is_answered_alone_and_an_unknown_part_is_refused(client, mayor, make_user):
    crisis = _open("Crue", actor=mayor)
    cell = make_user("cellule_crise", [NOGENT])
    login_client(client, cell)
    body = client.get(f"/mur/{crisis.pk}/?part=journal").content.decode()
    assert body.lstrip().startswith('<div id="wall-journal"') and "<html" not in body
    do_append_entry(crisis, text="Nouvelle entrée", category="info", source="radio", actor=cell)
    assert "Nouvelle entrée" in client.get(f"/mur/{crisis.pk}/?part=journal").content.decode()
    refused = client.get(f"/mur/{crisis.pk}/?part=carte")
    assert refused.status_code == 400 and "carte" in refused.content.decode()


def test_the_wall_is_scoped_to_the_communes_and_permissions_of_its_reader(client, mayor, make_user):
    crisis = _open("Crue", actor=mayor)
    outsider = make_user("cellule_crise", [RUEIL])
    login_client(client, outsider)
    assert client.get(f"/mur/{crisis.pk}/").status_code == 403
    page = client.get("/mur/").content.decode()
    assert "Aucune crise ouverte" in page  # the Nogent crisis is not followed for a Rueil account
    reader = make_user("lecteur", [NOGENT])
    login_client(client, reader)
    page = client.get(f"/mur/{crisis.pk}/").content.decode()
    assert "Crue" in page and 'id="wall-sources"' in page
    # a part is left empty for whoever lacks its app's permission
    nobody = AnonymousUser()
    assert wall.failing_sources(nobody, utcnow()) is None
    assert wall.alerts_in_force(nobody, [NOGENT], crisis) is None
    assert wall.indicators(nobody, [NOGENT], utcnow()) == {"rows": [], "more": 0}


def test_alerts_in_force_are_those_of_the_crisis_communes_and_an_exercise_sees_its_own(mayor, make_user):
    composer = make_user("cellule_crise", [NOGENT, RUEIL])
    real = _open("Crue", actor=mayor)
    exercise = _open("Exercice", actor=mayor, exercise=True)
    _publish(real, NOGENT, "Crue : quittez les bords de Marne", composer=composer, mayor=mayor)
    _publish(None, RUEIL, "Seine : vigilance à Rueil", composer=composer, mayor=mayor)
    _publish(exercise, NOGENT, "EXERCICE crue", composer=composer, mayor=mayor)
    shown = wall.alerts_in_force(mayor, [NOGENT], real)
    assert [a["headline"] for a in shown["rows"]] == ["Crue : quittez les bords de Marne"]
    shown = wall.alerts_in_force(mayor, [NOGENT], exercise)
    assert sorted(a["headline"] for a in shown["rows"]) == [
        "Crue : quittez les bords de Marne",
        "EXERCICE crue",
    ]
    assert [a["exercise"] for a in shown["rows"] if a["headline"] == "EXERCICE crue"] == [True]


def test_indicator_next_threshold_and_trend_are_said_in_words():
    now = utcnow()
    snap = {
        "unit": "m",
        "level": 2,
        "thresholds": [
            {"level": 1, "label": "Veille", "value": 2.6},
            {"level": 2, "label": "Vigilance", "value": 3.1},
            {"level": 3, "label": "Alerte", "value": 3.7},
        ],
        "next_threshold": {
            "at": (now + timedelta(hours=5, minutes=20)).isoformat(),
            "basis": "forecast",
            "label": "Alerte",
        },
        "trend_slope_per_hour": None,
        "observations": [[(now - timedelta(hours=1)).isoformat(), 3.2], [now.isoformat(), 3.24]],
    }
    text = wall._next(snap, now)["text"]
    assert re.match(r"Alerte \(3,7 m\) dans 5 h 20, vers \d\d:\d\d \(prévision\)", text), text
    assert wall._trend(snap) == {"arrow": "↑", "word": "en hausse", "rate": "+0,04 m/h"}
    snap["level"] = 3
    assert wall._next(snap, now)["text"] == "niveau le plus haut"
