"""Selector, API and CLI give the same figures; rights and communes are enforced; bad areas refused."""

import json
from datetime import date

import pytest

from beffroi.cli import main
from beffroi.core.errors import UserError
from beffroi.crossing import demo
from beffroi.crossing.exposure import flatten
from beffroi.crossing.selectors import exposure, scenario, territorial_profile
from beffroi.registry.actions import do_register_person as register_person
from tests.registry.conftest import PERSON, nominate, registry_key, verified  # noqa: F401 - fixtures

AREA = {
    "type": "Feature",
    "properties": {},
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [[2.170, 48.860], [2.205, 48.860], [2.205, 48.885], [2.170, 48.885], [2.170, 48.860]]
        ],
    },
}
FIGURES = lambda result: {(r["layer"], r["figure"]): r["value"] for r in flatten(result)}  # noqa: E731


@pytest.fixture
def catalogue(territory):
    demo.load(["92063", "92033", "94052"])


def test_api_cli_and_selector_give_the_same_figures(catalogue, client_for, tmp_path, capsys):
    client = client_for("cellule_crise")
    user = client.session  # noqa: F841 - logged in
    response = client.post("/api/crossing/exposure", {"area": AREA}, content_type="application/json")
    assert response.status_code == 200, response.content
    api = response.json()
    figures = FIGURES(api)
    assert figures[("residents", "total")] > 1000
    assert figures[("addresses", "total")] > 100
    assert ("facilities", "total") in figures
    assert api["area"]["communes"] == ["92063"]
    assert all(
        s["synthetic"]
        for layer in api["layers"]
        if layer["layer"] not in ("registry", "subscribers")
        for s in layer["sources"]
    )
    assert figures[("subscribers", "total")] >= 0  # alerts' count_subscribers_in_area

    path = tmp_path / "area.geojson"
    path.write_text(json.dumps(AREA))
    assert (
        main(["crossing", "exposure", "--area", str(path), "--format", "json", "--user", "cellule_crise1"])
        == 0
    )
    cli = json.loads(capsys.readouterr().out)
    assert FIGURES(cli) == figures
    assert (
        main(["crossing", "exposure", "--area", str(path), "--format", "csv", "--user", "cellule_crise1"])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "layer,figure,value,method,sources" and len(lines) == len(figures) + 1


def test_area_is_limited_to_the_users_communes(catalogue, make_user):
    garches_only = make_user("lecteur", communes=["92033"])
    with pytest.raises(UserError, match="hors de"):
        exposure(AREA, None, user=garches_only)
    everyone = make_user("lecteur")
    result = exposure(AREA, ["addresses"], user=everyone)
    assert [layer["layer"] for layer in result["layers"]] == ["addresses"]


def test_bad_areas_get_a_clear_400_and_cli_exit_2(catalogue, client_for, tmp_path, capsys):
    client = client_for("lecteur")
    unclosed = {"type": "Polygon", "coordinates": [[[2.17, 48.86], [2.2, 48.86], [2.2, 48.88]]]}
    response = client.post("/api/crossing/exposure", {"area": unclosed}, content_type="application/json")
    assert response.status_code == 400 and "anneau fermé" in response.json()["detail"]
    far = {"type": "Polygon", "coordinates": [[[5, 45], [5.1, 45], [5.1, 45.1], [5, 45]]]}
    response = client.post("/api/crossing/exposure", {"area": far}, content_type="application/json")
    assert response.status_code == 400 and "hors de" in response.json()["detail"]
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[2.17, 48.86], [2.2, 48.88], [2.2, 48.86], [2.17, 48.88], [2.17, 48.86]]],
    }
    assert (
        client.post("/api/crossing/exposure", {"area": bowtie}, content_type="application/json").status_code
        == 400
    )
    ok = client.post(
        "/api/crossing/exposure", {"area": bowtie, "repair": True}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["area"]["repaired"]
    point = client.post(
        "/api/crossing/exposure",
        {"area": {"type": "Point", "coordinates": [2.19, 48.87]}, "buffer_m": 300},
        content_type="application/json",
    )
    assert point.status_code == 200 and point.json()["area"]["km2"] == pytest.approx(0.2827, rel=0.02)
    path = tmp_path / "bad.geojson"
    path.write_text("{not json")
    assert main(["crossing", "exposure", "--area", str(path)]) == 2
    assert "bad.geojson" in capsys.readouterr().err


def test_users_without_a_role_are_refused(catalogue, client):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", password="x")
    client.force_login(nobody)
    response = client.post("/api/crossing/exposure", {"area": AREA}, content_type="application/json")
    assert response.status_code == 403


def test_registry_people_appear_as_a_count_only(catalogue, make_user, nominate, settings):  # noqa: F811
    """The registry layer counts the registered people located in the area, and gives no name.

    The small-count threshold is set to its lowest allowed value (3) so that the three people in the
    area are shown as an exact count; below it the registry would release « moins de 3 »."""
    settings.REGISTRY_SMALL_COUNT = 3
    agent = verified(nominate())
    # Well inside AREA (counts go by 200 m cells, whose centre must be in the area); the last is west of it.
    located = [(2.18, 48.87), (2.19, 48.875), (2.195, 48.868), (2.15, 48.87)]
    for n, (lon, lat) in enumerate(located):
        raw = {**PERSON, "first_names": f"Personne {n}", "lon": lon, "lat": lat}
        register_person("92063", raw, source="self", request_date=date(2026, 1, 6), actor=agent)
    unlocated = {**PERSON, "first_names": "Sans adresse localisée", "lon": None, "lat": None}
    register_person("92063", unlocated, source="self", request_date=date(2026, 1, 6), actor=agent)

    result = exposure(AREA, ["registry"], user=make_user("communication"))
    assert result["layers"] == [{**result["layers"][0], "layer": "registry", "figures": {"total": 3}}]
    assert PERSON["last_name"] not in json.dumps(result, default=str)


def test_profile_and_scenario(catalogue, make_user):
    user = make_user("maire")
    profile = territorial_profile(user=user)
    rows = {r["code"]: r for r in profile["communes"]}
    assert set(rows) == {"92063", "92033", "94052"}
    assert sum(
        r[b]
        for b in ("pop_00_14", "pop_15_29", "pop_30_44", "pop_45_59", "pop_60_74", "pop_75_plus")
        for r in rows.values()
    ) == sum(r["population"] for r in rows.values())
    assert rows["92033"]["flood_share"] == 0 and rows["94052"]["flood_share"] > 0
    assert rows["92033"]["risks"] == [] and "Marne" in rows["94052"]["risks"][0]
    assert max(r["vulnerability_index"] for r in rows.values()) <= 100
    heavier = territorial_profile(
        user=user, weights={"share_75_plus": 1, "share_00_14": 0, "flood_share": 0, "registry_per_1000": 0}
    )
    top = max(heavier["communes"], key=lambda r: r["share_75_plus"])
    assert top["vulnerability_index"] == 100.0
    marne = scenario("flood-zones-marne", user=user)
    residents = [lvl["summary"]["residents"] for lvl in marne["levels"]]
    assert len(residents) == 4 and residents == sorted(residents) and residents[0] > 0


def test_areas_from_a_commune_iris_or_flood_level(catalogue, client_for, capsys):
    client = client_for("cellule_crise")
    post = lambda body: client.post("/api/crossing/exposure", body, content_type="application/json")  # noqa: E731
    commune = post({"commune": "94052", "layers": ["residents"]}).json()
    assert commune["layers"][0]["figures"]["total"] == pytest.approx(32851, rel=0.002)
    iris = post({"iris": ["940520001", "940520002"], "layers": ["residents"]}).json()
    import pyarrow.parquet as pq

    from beffroi.sources.selectors import get_dataset

    table = pq.read_table(get_dataset("iris-population").parquet_path).to_pylist()
    expected = sum(r["pop_total"] for r in table if r["iris_code"] in ("940520001", "940520002"))
    assert iris["layers"][0]["figures"]["total"] == pytest.approx(expected, abs=3)
    zone = post({"zone_dataset": "flood-zones-seine", "zone_level": 8.62, "layers": ["addresses"]})
    assert zone.status_code == 200 and zone.json()["layers"][0]["figures"]["total"] > 0
    bad = post({"zone_dataset": "flood-zones-seine", "zone_level": 3})
    assert bad.status_code == 400 and "8.62" in bad.json()["detail"]
    assert post({"commune": "94052", "iris": ["x"]}).status_code == 400
    assert (
        main(
            [
                "crossing",
                "exposure",
                "--zone",
                "flood-zones-seine:8.62",
                "--layers",
                "addresses",
                "--format",
                "json",
            ]
        )
        == 0
    )
    cli = json.loads(capsys.readouterr().out)
    assert cli["layers"][0]["figures"] == zone.json()["layers"][0]["figures"]


def test_scenario_inside_a_drawn_area(catalogue, client_for):
    client = client_for("cellule_crise")
    marne = client.get("/api/crossing/scenario/flood-zones-marne").json()
    whole = [lvl["summary"]["residents"] for lvl in marne["levels"]]
    nogent = {"commune": "94052"}
    # The whole commune as the drawn area: same figures as the zones themselves.
    area = client.post(
        "/api/crossing/exposure", {**nogent, "layers": ["addresses"]}, content_type="application/json"
    ).json()["area"]["geometry"]
    inside = client.post(
        "/api/crossing/scenario/flood-zones-marne", {"area": area}, content_type="application/json"
    ).json()
    assert inside["in_area"] is True
    assert [lvl["summary"]["residents"] for lvl in inside["levels"]] == pytest.approx(whole, abs=2)
    # An area in Rueil: the Marne never reaches it, every level is zero.
    rueil = client.post(
        "/api/crossing/scenario/flood-zones-marne", {"area": AREA}, content_type="application/json"
    ).json()
    assert len(rueil["levels"]) == 4 and all(lvl["summary"]["residents"] == 0 for lvl in rueil["levels"])


def test_scenario_cli_matches_the_api(catalogue, client_for, capsys):
    client = client_for("cellule_crise", username="cellule_crise_cli")
    api = client.get("/api/crossing/scenario/flood-zones-seine").json()
    assert (
        main(["crossing", "scenario", "flood-zones-seine", "--format", "csv", "--user", "cellule_crise_cli"])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "level,label,residents,75+,addresses,facilities,registry"
    assert [float(line.split(",")[0]) for line in lines[1:]] == [lv["level"] for lv in api["levels"]]
    assert [int(line.split(",")[2]) for line in lines[1:]] == [
        lv["summary"]["residents"] for lv in api["levels"]
    ]
    assert main(["crossing", "scenario", "nope"]) == 2
