"""beffroi sources layers build: residents, addresses and facilities from files in the official formats."""

from __future__ import annotations

import csv
import gzip
import hashlib
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.sources.models import Dataset
from beffroi.sources.selectors import get_dataset
from beffroi.sources.territory_layers import build, provenance

FIXTURES = Path(__file__).parent.parent / "fixtures" / "territory_layers"
COMMUNES = ["92063", "92033", "94052"]
OFFICIAL = [
    "base-ic-evol-struct-pop-2021.csv",
    "contours-iris.geojson",
    "adresses-92.csv",
    "adresses-94.csv",
    "bpe21_ensemble_xy.csv",
    "etalab-cs1100507-stock-20240105-0342.csv",
]

CLI = SystemActor("cli")


@pytest.fixture
def folder(tmp_path):
    out = tmp_path / "downloads"
    out.mkdir()
    for name in OFFICIAL:
        shutil.copy(FIXTURES / name, out / name)
    return out


def rows(name):
    info = get_dataset(name)
    return pq.read_table(info.parquet_path).to_pylist()


@pytest.mark.django_db
def test_build_stores_the_three_layers_with_their_provenance(folder):
    report = build(COMMUNES, folder=folder, actor=CLI)
    assert report.datasets == {"iris-population": 8, "addresses": 15, "facilities": 12}
    pop = provenance(get_dataset("iris-population").parquet_path)
    files = {f["role"]: f for f in pop["files"]}
    assert files["population"]["name"] == "base-ic-evol-struct-pop-2021.csv"
    assert files["population"]["vintage"] == "2021"
    assert files["population"]["origin"] == "file:base-ic-evol-struct-pop-2021.csv"
    assert files["population"]["licence"].startswith("Licence Ouverte")
    digest = hashlib.sha256((FIXTURES / "base-ic-evol-struct-pop-2021.csv").read_bytes()).hexdigest()
    assert files["population"]["sha256"] == digest
    assert Dataset.objects.get(name="iris-population").raw_sha256 == digest
    assert pop["communes"] == sorted(COMMUNES) and pop["build_id"] == report.build_id
    fac = provenance(get_dataset("facilities").parquet_path)
    assert {f["role"]: f["vintage"] for f in fac["files"]} == {"bpe": "2021", "finess": "2024-01-05"}
    assert not Dataset.objects.get(name="addresses").synthetic


@pytest.mark.django_db
def test_iris_populations_sum_to_the_insee_commune_population(folder):
    build(COMMUNES, folder=folder, only=["residents"], actor=CLI)
    with open(FIXTURES / "base-cc-evol-struct-pop-2021.csv", encoding="utf-8") as fh:
        communes = {r["CODGEO"]: r for r in csv.DictReader(fh, delimiter=";")}
    sums: dict[str, dict[str, float]] = {}
    for r in rows("iris-population"):
        agg = sums.setdefault(r["commune_code"], {})
        for k in ("pop_total", "pop_00_14", "pop_75_plus"):
            agg[k] = agg.get(k, 0.0) + r[k]
    assert set(sums) == set(COMMUNES)
    for code, agg in sums.items():
        assert agg["pop_total"] == pytest.approx(float(communes[code]["P21_POP"]), abs=1e-6)
        assert agg["pop_00_14"] == pytest.approx(float(communes[code]["P21_POP0014"]), abs=1e-6)
        assert agg["pop_75_plus"] == pytest.approx(float(communes[code]["P21_POP75P"]), abs=1e-6)


@pytest.mark.django_db
def test_layers_have_the_roles_and_columns_crossing_reads(folder):
    from beffroi.crossing.layers import role_of
    from beffroi.crossing.synthetic import BANDS

    build(COMMUNES, folder=folder, actor=CLI)
    assert {n: role_of(get_dataset(n)) for n in ("iris-population", "addresses", "facilities")} == {
        "iris-population": "residents",
        "addresses": "addresses",
        "facilities": "facilities",
    }
    iris = rows("iris-population")
    assert set(BANDS) <= set(iris[0]) and {"iris_code", "commune_code", "pop_total", "geometry"} <= set(
        iris[0]
    )
    import shapely

    geom = shapely.from_wkb(iris[0]["geometry"])
    lon, lat = geom.centroid.x, geom.centroid.y
    assert 2.0 < lon < 2.6 and 48.7 < lat < 49.0  # reprojected from Lambert-93


@pytest.mark.django_db
def test_only_the_chosen_communes_and_the_sensitive_types_are_kept(folder):
    build(COMMUNES, folder=folder, only=["addresses", "facilities"], actor=CLI)
    addresses = rows("addresses")
    assert {a["code_insee"] for a in addresses} == set(COMMUNES)  # not Sucy nor Nanterre
    assert "14 Boulevard de Strasbourg 94130 Nogent-sur-Marne" in {a["label"] for a in addresses}
    facilities = {f["id"]: f for f in rows("facilities")}
    kinds = sorted((f["commune_code"], f["type"], f["source"]) for f in facilities.values())
    assert kinds == sorted(
        [
            ("94052", "ecole", "BPE"),
            ("94052", "ecole", "BPE"),
            ("94052", "college", "BPE"),
            ("94052", "creche", "BPE"),
            ("94052", "ehpad", "FINESS"),
            ("94052", "had", "FINESS"),
            ("92063", "ecole", "BPE"),
            ("92033", "ecole", "BPE"),
            ("92063", "lycee", "BPE"),
            ("92063", "creche", "BPE"),
            ("92063", "hopital", "FINESS"),
            ("92063", "dialyse", "FINESS"),
        ]
    )
    assert facilities["finess-940000011"]["name"] == "EHPAD LES TILLEULS"
    assert "hébergement" in facilities["finess-940000011"]["code_label"]  # read as ISO-8859-1
    notes = provenance(get_dataset("facilities").parquet_path)["notes"]
    assert any("BPE : 1" in n for n in notes) and any("FINESS : 1" in n for n in notes)


@pytest.mark.django_db
def test_a_second_build_replaces_the_datasets_with_a_new_version(folder, django_capture_on_commit_callbacks):
    first = build(COMMUNES, folder=folder, actor=CLI)
    before = {d.name: d.parquet_file for d in Dataset.objects.all()}
    with django_capture_on_commit_callbacks(execute=True):
        second = build(COMMUNES, folder=folder, actor=CLI)
    after = {d.name: d.parquet_file for d in Dataset.objects.all()}
    assert set(before) == set(after) and all(before[n] != after[n] for n in before)
    assert first.build_id != second.build_id and first.datasets == second.datasets
    assert provenance(get_dataset("addresses").parquet_path)["build_id"] == second.build_id
    from beffroi.sources import storage

    assert not any(storage.absolute(p).exists() for p in before.values())  # old versions removed


@pytest.mark.django_db
def test_a_bad_value_names_file_line_and_column_and_stores_nothing(folder):
    build(COMMUNES, folder=folder, actor=CLI)
    before = {d.name: d.parquet_file for d in Dataset.objects.all()}
    path = folder / "base-ic-evol-struct-pop-2021.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(";")
    cells[14] = "beaucoup"  # P21_POP75P of the third IRIS
    lines[3] = ";".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(UserError) as exc:
        build(COMMUNES, folder=folder, actor=CLI)
    problem = exc.value.problems[0]
    assert (problem.file, problem.line, problem.field) == (
        "base-ic-evol-struct-pop-2021.csv",
        4,
        "P21_POP75P",
    )
    assert "rien n'a été enregistré" in exc.value.message
    assert {d.name: d.parquet_file for d in Dataset.objects.all()} == before


@pytest.mark.django_db
def test_a_late_failure_keeps_every_dataset_of_the_build_unchanged(folder):
    (folder / "etalab-cs1100507-stock-20240105-0342.csv").write_bytes(
        b"finess;etalab;100;2024-01-05\nstructureet;940000011;tronque\n"
    )
    with pytest.raises(UserError) as exc:
        build(COMMUNES, folder=folder, actor=CLI)
    assert exc.value.problems[0].line == 2
    assert not Dataset.objects.exists()  # residents and addresses were fine, but not stored alone


@pytest.mark.django_db
def test_a_missing_file_says_which_official_file_is_expected(folder):
    (folder / "adresses-94.csv").unlink()
    with pytest.raises(UserError) as exc:
        build(COMMUNES, folder=folder, only=["addresses"], actor=CLI)
    assert "adresses-94.csv" in str(exc.value)


@pytest.mark.django_db
def test_a_missing_iris_contour_is_refused_with_its_line(folder):
    import json

    path = folder / "contours-iris.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"] = [f for f in doc["features"] if f["properties"]["code_iris"] != "940520102"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(UserError) as exc:
        build(COMMUNES, folder=folder, only=["residents"], actor=CLI)
    assert exc.value.problems[0].line == 8 and "940520102" in exc.value.problems[0].message


@pytest.mark.django_db
def test_a_commune_not_split_into_iris_takes_the_commune_boundary(folder):
    from beffroi.territory.models import Commune

    with pytest.raises(UserError):
        build(["78451"], folder=folder, only=["residents"], actor=CLI)  # no contour, no boundary known
    square = [[1.83, 48.93], [1.85, 48.93], [1.85, 48.95], [1.83, 48.95], [1.83, 48.93]]
    Commune.objects.create(
        code="78451", name="Nézel", department="78", boundary={"type": "Polygon", "coordinates": [square]}
    )
    build(["78451"], folder=folder, only=["residents"], actor=CLI)
    (row,) = rows("iris-population")
    assert (
        row["iris_code"] == "784510000"
        and row["iris_type"] == "Z"
        and row["pop_total"] == pytest.approx(892.0)
    )


@pytest.mark.django_db
def test_official_compressed_names_are_accepted(folder):
    import zipfile

    src = folder / "base-ic-evol-struct-pop-2021.csv"
    with zipfile.ZipFile(folder / "base-ic-evol-struct-pop-2021_csv.zip", "w") as z:
        z.write(src, "base-ic-evol-struct-pop-2021.CSV")
    src.unlink()
    ban = folder / "adresses-94.csv"
    (folder / "adresses-94.csv.gz").write_bytes(gzip.compress(ban.read_bytes()))
    ban.unlink()
    report = build(COMMUNES, folder=folder, only=["residents", "addresses"], actor=CLI)
    assert report.datasets == {"iris-population": 8, "addresses": 15}


@pytest.mark.django_db
def test_online_downloads_go_through_the_http_client(folder, server):
    from tests.sources.fakeserver import Route

    for dep in ("92", "94"):
        body = gzip.compress((FIXTURES / f"adresses-{dep}.csv").read_bytes())
        server.routes.append(
            (f"/ban/adresses-{dep}.csv.gz", Route(body=body, headers={"Content-Type": "application/gzip"}))
        )
    build(COMMUNES, only=["addresses"], urls={"ban": server.url + "/ban/adresses-{dep}.csv.gz"}, actor=CLI)
    files = provenance(get_dataset("addresses").parquet_path)["files"]
    assert [f["origin"] for f in files] == [server.url + f"/ban/adresses-{d}.csv.gz" for d in ("92", "94")]
    assert len(rows("addresses")) == 15


@pytest.mark.django_db
def test_the_command_exits_2_on_a_bad_file(folder, capsys):
    from beffroi.cli import main

    (folder / "bpe21_ensemble_xy.csv").write_text("DEPCOM;TYPEQU\n94052;C101\n", encoding="utf-8")
    code = main(["sources", "layers", "build", *COMMUNES, "--from", str(folder)])
    assert code == 2
    assert "LAMBERT_X" in capsys.readouterr().err
    assert main(["sources", "layers", "build", "94052", "--from", str(folder), "--only", "addresses"]) == 0
    out = capsys.readouterr().out
    assert "addresses: 8 rows" in out
