"""Counts that reveal no one: the shrinking-rectangle and differencing attacks fail, queries are
rate-limited and logged, and the small-count threshold cannot be set below 3."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import date

import pytest
from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured
from pyproj import Transformer
from shapely.geometry import box

from beffroi.accounts.actions import do_create_token
from beffroi.core.actors import SystemActor
from beffroi.registry import access, crypto, disclosure
from beffroi.registry.actions import seal
from beffroi.registry.checks import disclosure_settings
from beffroi.registry.models import AccessLog, Person
from beffroi.registry.schema import PersonData
from beffroi.registry.selectors import count_in_area

TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
MIN_AREA = 1_000_000


def populate(n=40, seed=92063):
    """``n`` fictitious people spread over Rueil-Malmaison (as the demo), sealed like real rows."""
    rng = random.Random(seed)
    ring = crypto.keyring()
    people = []
    for i in range(n):
        data = PersonData(
            last_name=f"Cible{i}",
            first_names="Fictive",
            birth_date="1940-01-01",
            category="age_65",
            address=f"{i} rue de l'Essai",
            phone="01 99 00 00 00",
            lon=round(2.165 + rng.random() * 0.05, 6),
            lat=round(48.86 + rng.random() * 0.03, 6),
        )
        person = Person(commune_code="92063", source="self", consent="consent", request_date=date(2025, 1, 1))
        seal(person, data, {}, ring)
        person.save()
        people.append((data.lon, data.lat))
    return people


def rect(lon0, lat0, lon1, lat1) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }


def area_m2(r) -> float:
    (lon0, lat0, lon1, lat1) = r
    xs, ys = TO_L93.transform([lon0, lon1, lon1, lon0], [lat0, lat0, lat1, lat1])
    return box(min(xs), min(ys), max(xs), max(ys)).area


def released_lower_bound(answer) -> int | None:
    """What an attacker learns from an answer: an exact number, or nothing usable."""
    return answer.value if answer.exact else None


def bisect(ask, start) -> tuple:
    """The security test's attack: keep the half that holds someone, until answers stop telling."""
    r = start
    for _ in range(40):
        lon0, lat0, lon1, lat1 = r
        if (lon1 - lon0) * 0.66 >= lat1 - lat0:  # split the longer side (a degree of lon ~ 0.66 of lat)
            mid = (lon0 + lon1) / 2
            a, b = (lon0, lat0, mid, lat1), (mid, lat0, lon1, lat1)
        else:
            mid = (lat0 + lat1) / 2
            a, b = (lon0, lat0, lon1, mid), (lon0, mid, lon1, lat1)
        na = ask(a)
        if na:
            r = a
            continue
        nb = ask(b)
        if nb:
            r = b
            continue
        break
    return r


def truth(people):
    def ask(r):
        lon0, lat0, lon1, lat1 = r
        return sum(1 for lon, lat in people if lon0 <= lon <= lon1 and lat0 <= lat <= lat1)

    return ask


def starts(people, k):
    """Rectangles of about 2 km around registered people (the attacker knows the street)."""
    return [(lon - 0.012, lat - 0.008, lon + 0.015, lat + 0.01) for lon, lat in people[:k]]


def test_without_control_the_bisection_locates_people_to_a_few_metres(territory):
    people = [(2.165 + i * 0.0011, 48.86 + (i % 7) * 0.004) for i in range(40)]
    final = [bisect(truth(people), s) for s in starts(people, 10)]
    assert max(area_m2(r) for r in final) < 100  # the attack itself works: 10 m × 10 m or better


@pytest.fixture
def many_queries(settings):
    settings.REGISTRY_COUNT_RATE_PER_HOUR = 100_000  # show the cells and minimum area hold by themselves
    return settings


@pytest.mark.parametrize("role", ["communication", "cellule_crise"])
def test_shrinking_rectangles_through_the_selector_stop_at_the_minimum_area(
    territory, make_user, many_queries, role
):
    people = populate()
    user = make_user(role)
    answers = []

    def ask(r):
        answer = count_in_area(rect(*r), user=user)
        answers.append((r, answer))
        return released_lower_bound(answer)

    for start in starts(people, 8):
        final = bisect(ask, start)
        assert area_m2(final) >= MIN_AREA  # never narrowed below 1 km²
    for r, answer in answers:
        if answer.exact:
            assert area_m2(r) >= MIN_AREA and answer.value >= 5
        else:
            assert answer.value is None
    assert {a.status for _r, a in answers} <= {"exact", "small", "withheld", "too_small"}
    assert any(not a.exact for _r, a in answers)  # the attack was stopped, not just slowed


def test_shrinking_rectangles_over_the_api_with_a_bearer_token(territory, make_user, client, many_queries):
    people = populate()
    user = make_user("communication")
    token = do_create_token(user, "attaque", actor=SystemActor("cli"))
    statuses = []

    def ask(r):
        response = client.post(
            "/api/registry/count-in-area",
            json.dumps({"area": rect(*r)}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code in (200, 422), response.content
        body = response.json()
        statuses.append((r, response.status_code, body))
        if response.status_code == 422:
            assert "Zone trop petite" in body["detail"]
        return body["count"]

    for start in starts(people, 4):
        assert area_m2(bisect(ask, start)) >= MIN_AREA
    for r, _status, body in statuses:
        assert body["count"] is None or (area_m2(r) >= MIN_AREA and body["count"] >= 5)
    assert AccessLog.objects.filter(user=user, action="count").count() == len(statuses)


def test_a_thin_snake_of_one_square_kilometre_is_refused(territory, make_user, many_queries):
    people = populate()
    lon, lat = people[0]
    # 10 m wide, 100 km long: 1 km² of polygon but only a few cell centres.
    snake = rect(lon - 0.6, lat - 0.00005, lon + 0.6, lat + 0.00005)
    answer = count_in_area(snake, user=make_user("communication"))
    assert answer.status == "too_small" and answer.value is None


def test_answer_does_not_depend_on_sub_cell_detail(territory, make_user, many_queries):
    populate()
    user = make_user("cellule_crise")
    base = (2.16, 48.855, 2.22, 48.895)
    wiggled = (2.16 + 0.0001, 48.855, 2.22, 48.895 - 0.0001)  # 7-11 m: less than half a cell
    first = count_in_area(rect(*base), user=user)
    second = count_in_area(rect(*wiggled), user=user)
    assert first.exact and second.exact and first.value == second.value


def _cell_centre(lon, lat):
    size = 200
    x, y = TO_L93.transform(lon, lat)
    cx, cy = (x // size + 0.5) * size, (y // size + 0.5) * size
    back = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    return back.transform(cx, cy)


@pytest.mark.parametrize("through", ["point", "cell_centre"])
def test_differencing_with_a_thin_strip_around_a_person_reveals_nothing(
    territory, make_user, many_queries, through
):
    people = populate()
    user = make_user("communication")
    lon, lat = people[3] if through == "point" else _cell_centre(*people[3])
    outer = (lon - 0.02, lat - 0.012, lon + 0.02, lat + 0.012)
    # the same area with a 30 m strip cut out around the person (as a MultiPolygon of two halves)
    half = 0.0002
    left, right = (outer[0], outer[1], lon - half, outer[3]), (lon + half, outer[1], outer[2], outer[3])
    cut = {"type": "MultiPolygon", "coordinates": [rect(*left)["coordinates"], rect(*right)["coordinates"]]}
    a = count_in_area(rect(*outer), user=user)
    b = count_in_area(cut, user=user)
    assert a.exact  # the big area is answered
    learnt = (a.value - b.value) if (a.exact and b.exact) else None
    assert learnt in (None, 0), f"the strip revealed {learnt} person(s)"
    if through == "cell_centre":
        assert b.status == "withheld" and "diffère trop peu" in b.message


def test_differencing_by_a_few_people_is_withheld_even_over_a_large_part(territory, make_user, many_queries):
    populate()
    user = make_user("communication")
    a = count_in_area(rect(2.16, 48.855, 2.22, 48.895), user=user)
    b = count_in_area(rect(2.16, 48.855, 2.22, 48.8905), user=user)  # ~500 m strip, few people in it
    assert a.exact
    assert b.status == "withheld" or b.value == a.value or abs(a.value - b.value) >= 5


def test_small_counts_are_shown_as_less_than_five(territory, make_user, many_queries):
    populate(3)
    answer = count_in_area(rect(2.15, 48.85, 2.23, 48.9), user=make_user("lecteur"))
    assert answer.status == "small" and answer.label == "moins de 5" and answer.value is None
    by_commune = access.release_commune_counts(make_user("communication"))
    assert by_commune["92063"].label == "moins de 5"


def test_count_queries_are_rate_limited(territory, make_user, client, settings):
    settings.REGISTRY_COUNT_RATE_PER_HOUR = 3
    populate()
    user = make_user("cellule_crise")
    area = rect(2.15, 48.85, 2.23, 48.9)
    assert all(count_in_area(area, user=user).status != "rate_limited" for _ in range(3))
    limited = count_in_area(area, user=user)
    assert limited.status == "rate_limited" and "au plus 3 par heure" in limited.message
    token = do_create_token(user, "t", actor=SystemActor("cli"))
    response = client.post(
        "/api/registry/count-in-area",
        json.dumps({"area": area}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 429 and "Trop de demandes" in response.json()["detail"]
    other = make_user("cellule_crise")  # per user: someone else still gets an answer
    assert count_in_area(area, user=other).exact


def test_every_count_query_is_in_the_access_log(territory, make_user, many_queries):
    populate()
    user = make_user("communication")
    area = rect(2.15, 48.85, 2.23, 48.9)
    count_in_area(area, user=user)
    count_in_area(rect(2.17, 48.87, 2.1701, 48.8701), user=user)
    rows = list(AccessLog.objects.filter(user=user, action="count").order_by("id"))
    assert len(rows) == 2
    assert rows[0].answer.startswith("exact: ") and rows[0].area["type"] == "Polygon"
    assert rows[1].answer.startswith("too_small: ")
    assert rows[0].record_ids == [] and rows[0].commune_code in ("92063", "*")


def test_counts_need_no_decryption(territory, make_user, many_queries, monkeypatch):
    populate()

    def refuse(*args, **kwargs):
        raise AssertionError("a count decrypted a record")

    monkeypatch.setattr(crypto, "decrypt", refuse)
    assert count_in_area(rect(2.15, 48.85, 2.23, 48.9), user=make_user("communication")).exact


def test_threshold_below_three_is_refused(settings, make_user, territory):
    settings.REGISTRY_SMALL_COUNT = 2
    errors = disclosure_settings()
    assert errors and isinstance(errors[0], Error) and "inférieur à 3" in errors[0].msg
    with pytest.raises(ImproperlyConfigured):
        count_in_area(rect(2.15, 48.85, 2.23, 48.9), user=make_user("communication"))


def test_threshold_below_three_in_the_environment_stops_the_start(tmp_path):
    env = {**os.environ, "BEFFROI_REGISTRY_SMALL_COUNT": "2", "BEFFROI_DATA_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "beffroi.cli", "registry", "init-key"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "BEFFROI_REGISTRY_SMALL_COUNT" in result.stderr


def test_cell_ids_say_nothing_finer_than_the_grid():
    a = disclosure.cell_of(2.18, 48.87, 200)
    b = disclosure.cell_of(2.18005, 48.87005, 200)  # ~5 m away
    assert a.startswith("200:") and b.startswith("200:")
    size, col, row = a.split(":")
    x, y = TO_L93.transform(2.18, 48.87)
    assert int(col) == int(x // 200) and int(row) == int(y // 200)
    assert disclosure.cell_of(None, None) == ""


def test_reindex_cells_fills_rows_written_before_the_cells(territory, capsys):
    from beffroi.cli import main as cli

    populate(3)
    expected = dict(Person.objects.values_list("public_id", "cell"))
    Person.objects.update(cell="")
    assert cli(["registry", "reindex-cells"]) == 0
    assert "3 inscription(s)" in capsys.readouterr().out
    assert dict(Person.objects.values_list("public_id", "cell")) == expected
