"""Catalogue pages, upload with preview then confirm, API, polling and the demo loader."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from beffroi.core.actors import SystemActor
from beffroi.sources import selectors
from beffroi.sources.actions import do_add_source, do_store_dataframe_dataset
from beffroi.sources.models import Source

pytestmark = pytest.mark.django_db


def _csv(text, name="erp.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def test_catalogue_lists_datasets_and_sources_with_freshness(client_for):
    import pyarrow as pa

    do_store_dataframe_dataset(
        "pop",
        pa.table({"a": [1]}),
        title="Population IRIS",
        origin="https://insee.fr",
        licence="LO 2.0",
        actor=SystemActor("cli"),
    )
    src = do_add_source("hub", "hubeau", config={"stations": "F664000104"}, actor=SystemActor("cli"))
    Source.objects.filter(pk=src.pk).update(
        consecutive_failures=2, last_error="pas de réseau : impossible de résoudre hubeau.eaufrance.fr"
    )
    page = client_for("lecteur").get(reverse("sources:index"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Population IRIS" in html and "LO 2.0" in html and "en échec" in html and "pas de réseau" in html
    assert "Importer un fichier" not in html  # a reader cannot import
    assert client_for("lecteur").get(reverse("sources:dataset", args=["pop"])).status_code == 200
    assert client_for("lecteur").get(reverse("sources:source", args=["hub"])).status_code == 200


def test_upload_shows_a_preview_and_stores_only_on_confirm(client_for):
    client = client_for("cellule_crise")
    response = client.post(
        reverse("sources:upload"),
        {
            "file": _csv("nom;capacité\nGymnase’;450\nÉcole;1,5\n", encoding="cp1252"),
            "dataset": "erp",
            "licence": "LO",
        },
    )
    assert response.status_code == 302
    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert "Gymnase" in html and "cp1252" in html and "nombre décimal (virgule)" in html
    assert selectors.get_dataset("erp") is None
    done = client.post(response["Location"], {"action": "confirm"})
    assert done.status_code == 302 and selectors.get_dataset("erp").row_count == 2


def test_upload_cancel_keeps_nothing(client_for, datasets_dir):
    client = client_for("administrateur")
    response = client.post(reverse("sources:upload"), {"file": _csv("a;b\n1;2\n"), "dataset": "x"})
    client.post(response["Location"], {"action": "cancel"})
    assert selectors.get_dataset("x") is None
    assert [p for p in (datasets_dir / ".staging").iterdir()] == []


def test_upload_of_a_bad_file_lists_the_problems(client_for):
    response = client_for("cellule_crise").post(
        reverse("sources:upload"), {"file": _csv("a;b\n1\n2;3;4\n"), "dataset": "x"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    # in French (the default language), located: the file, the line, the field
    assert "ligne 2, champ « b » : pas assez de champs sur cette ligne" in html, html
    assert "too few fields" not in html and "nothing was stored" not in html
    assert selectors.get_dataset("x") is None


def test_upload_of_a_bad_file_in_english_lists_the_problems_in_english(client_for, settings):
    client = client_for("cellule_crise")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("sources:upload"), {"file": _csv("a;b\n1\n2;3;4\n"), "dataset": "x"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "erp.csv, line 2, field &#x27;b&#x27;: too few fields on this line" in html, html
    assert "pas assez de champs" not in html and "rien n&#x27;a été enregistré" not in html


def test_reader_cannot_upload_or_run(client_for):
    client = client_for("lecteur")
    assert (
        client.post(reverse("sources:upload"), {"file": _csv("a;b\n1;2\n"), "dataset": "x"}).status_code
        == 403
    )
    do_add_source("hub", "hubeau", config={"stations": "X"}, actor=SystemActor("cli"))
    assert client.post(reverse("sources:run", args=["hub"])).status_code == 403


def test_export_neutralises_formulas(client_for):
    import pyarrow as pa

    do_store_dataframe_dataset(
        "f",
        pa.table({"nom": ['=HYPERLINK("http://evil")', "ok"]}),
        title="",
        origin="",
        licence="",
        actor=SystemActor("cli"),
    )
    response = client_for("lecteur").get(reverse("sources:export", args=["f"]))
    body = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK" in body and "\nok" in body.replace("\r", "")


def test_api_lists_datasets_and_runs_a_source(client_for, server, settings):
    import pyarrow as pa

    do_store_dataframe_dataset(
        "pop", pa.table({"a": [1, 2]}), title="P", origin="o", licence="l", actor=SystemActor("cli")
    )
    reader = client_for("lecteur")
    data = reader.get("/api/sources/datasets").json()
    assert data[0]["name"] == "pop" and data[0]["row_count"] == 2 and data[0]["columns"][0]["name"] == "a"
    server.route("/observations_tr", "hubeau/empty.json")
    do_add_source(
        "hub",
        "hubeau",
        config={"stations": "X", "grandeurs": "H", "base_url": server.url},
        actor=SystemActor("cli"),
    )
    assert reader.post("/api/sources/sources/hub/run").status_code == 403
    run = client_for("cellule_crise").post("/api/sources/sources/hub/run").json()
    assert run["status"] == "ok"
    assert reader.get("/api/sources/sources").json()[0]["freshness"] == "fresh"


def test_polling_runs_only_due_sources_and_claims_them(server):
    from beffroi.sources.tasks import claim_due_sources, poll_sources

    server.route("/observations_tr", "hubeau/empty.json")
    due = do_add_source(
        "due",
        "hubeau",
        config={"stations": "X", "grandeurs": "H", "base_url": server.url},
        actor=SystemActor("cli"),
    )
    later = do_add_source(
        "later", "hubeau", config={"stations": "X", "base_url": server.url}, actor=SystemActor("cli")
    )
    Source.objects.filter(pk=later.pk).update(next_run_at=timezone.now() + timedelta(hours=1))
    poll_sources.call_local()
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.last_success_at is not None and later.last_run_at is None
    assert due.next_run_at > timezone.now() + timedelta(seconds=500)
    assert claim_due_sources() == []  # nothing due any more


def test_demo_sources_show_their_real_state_offline(client_for, monkeypatch, settings):
    import socket

    def offline(*a, **k):
        raise socket.gaierror(-3, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    settings.SOURCE_API_KEYS = {}
    from beffroi.sources.demo import load

    load(["92063", "92033", "94052"])
    load(["92063", "92033", "94052"])  # idempotent
    sources = {s.name: s for s in selectors.sources()}
    assert len(sources) == 9 and all(s.freshness == "failing" for s in sources.values())
    assert "pas de réseau" in sources["vigicrues-catalogue"].last_error
    assert "pas de réseau" in sources["hubeau-seine-marne"].last_error
    assert "BEFFROI_METEOFRANCE_API_KEY" in sources["meteofrance-vigilance"].last_error
    assert client_for("maire").get(reverse("sources:index")).status_code == 200
    assert client_for("maire").get(reverse("sources:source", args=["hubeau-seine-marne"])).status_code == 200


def test_cli_add_and_run(server, capsys):
    from beffroi.cli import main as beffroi

    server.route("/InfoVigiCru.jsonld", "vigicrues/InfoVigiCru_section.jsonld")
    assert (
        beffroi(
            [
                "sources",
                "add",
                "vigicrues",
                "--name",
                "vc",
                "-o",
                "sections=IF5",
                "-o",
                f"base_url={server.url}",
            ]
        )
        == 0
    )
    assert beffroi(["sources", "add", "vigicrues", "--name", "vc2", "-o", "nope=1"]) == 2
    assert beffroi(["sources", "add", "martian", "--name", "m"]) == 2
    assert beffroi(["sources", "run", "vc"]) == 0
    assert "vc: ok rows=1" in capsys.readouterr().out
    assert beffroi(["sources", "run", "--all", "--dry-run"]) == 0
    assert beffroi(["sources", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert listed["sources"][0]["freshness"] == "fresh"


def test_latitude_and_longitude_columns_become_points_and_the_preview_says_so(client_for):
    client = client_for("cellule_crise")
    text = (
        "Nom;Latitude;Longitude\n"
        "Gymnase Watteau;48,8370;2,4830\n"
        "École du Centre;48,8770;2,1790\n"
        "Sans adresse;;\n"
    )
    response = client.post(
        reverse("sources:upload"),
        {"file": _csv(text, name="equipements.csv"), "dataset": "eq", "licence": "LO"},
    )
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert (
        "<code>Longitude</code> (longitude) et <code>Latitude</code> (latitude) deviennent des points" in html
    )
    assert "2 lignes localisées, 1 sans coordonnées" in html
    client.post(response["Location"], {"action": "confirm"})
    dataset = selectors.get_dataset("eq")
    assert dataset.geometry_column == "geometry"
    import pyarrow.parquet as pq
    import shapely

    table = pq.read_table(dataset.parquet_path)
    points = [shapely.from_wkb(g) if g else None for g in table.column("geometry").to_pylist()]
    assert (points[0].x, points[0].y) == (2.483, 48.837) and points[2] is None
    assert table.column("Latitude").to_pylist()[:2] == [48.837, 48.877]  # the columns are kept


def test_projected_x_y_columns_make_no_geometry_and_the_preview_says_why(client_for):
    client = client_for("cellule_crise")
    text = "nom,x,y\nMairie,643210.5,6862345.2\n"
    response = client.post(
        reverse("sources:upload"), {"file": _csv(text, name="l93.csv"), "dataset": "l93", "licence": "LO"}
    )
    html = client.get(response["Location"]).content.decode()
    assert "hors des bornes longitude/latitude" in html and "Reprojetez" in html
    assert "Aucune géométrie" in html


def test_upload_of_an_unclosed_ring_is_refused_unless_repair_is_ticked(client_for):
    client = client_for("cellule_crise")
    ring = [[2.1, 48.8], [2.2, 48.8], [2.2, 48.9], [2.1, 48.9]]
    doc = '{"type": "Polygon", "coordinates": [' + str(ring) + "]}"

    def geojson():
        return SimpleUploadedFile("zone.geojson", doc.encode(), content_type="application/geo+json")

    refused = client.post(reverse("sources:upload"), {"file": geojson(), "dataset": "zone"})
    html = refused.content.decode()
    assert refused.status_code == 400 and "entité 1" in html and "non fermé" in html
    assert selectors.get_dataset("zone") is None
    staged = client.post(reverse("sources:upload"), {"file": geojson(), "dataset": "zone", "repair": "on"})
    assert staged.status_code == 302
    preview = client.get(staged["Location"]).content.decode()
    assert "1 anneau(x) non fermé(s) refermé(s)" in preview
    done = client.post(staged["Location"], {"action": "confirm"})
    assert done.status_code == 302 and selectors.get_dataset("zone").row_count == 1
