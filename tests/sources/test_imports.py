"""Importing the files an agent has on their desk."""

import json
import zipfile
from datetime import date

import pyarrow.parquet as pq
import pytest
import shapely
from django.utils import translation

from beffroi.cli import main as beffroi
from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.sources import selectors
from beffroi.sources.exports import dataset_csv, neutralise, to_csv
from beffroi.sources.imports import import_file, stage_file

pytestmark = pytest.mark.django_db

FRENCH = (
    "code_insee;commune;population;surface_km2;date_maj;remarque\n"
    "92063;Rueil-Malmaison;78794;14,7;01/02/2024;Hôtel de ville\n"
    "92033;Garches;18036;2,69;15/03/2023;Église\n"
    "01001;L'Abergement-Clémenciat;832;15,95;31/12/2022;\n"
)


def _rows(name):
    return pq.read_table(selectors.get_dataset(name).parquet_path).to_pylist()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "cp1252"])
def test_french_csv_is_read_whatever_its_encoding(tmp_path, encoding):
    path = tmp_path / "communes.csv"
    path.write_bytes(
        FRENCH.replace("Église", "Église – œuvre" if encoding == "cp1252" else "Église").encode(encoding)
    )
    dataset, staged = import_file(path, "communes", actor=SystemActor("cli"))
    rows = _rows("communes")
    assert dataset.row_count == 3
    assert rows[0]["commune"] == "Rueil-Malmaison" and rows[1]["remarque"].startswith("Église")
    assert rows[2]["code_insee"] == "01001"  # identifiers keep their leading zero
    assert rows[0]["surface_km2"] == pytest.approx(14.7)  # decimal comma
    assert rows[0]["population"] == 78794
    assert rows[1]["date_maj"] == date(2023, 3, 15)  # French date
    assert staged.separator == ";"
    assert (
        staged.encoding
        == {"utf-8-sig": "utf-8-sig", "utf-8": "utf-8", "latin-1": "latin-1", "cp1252": "cp1252"}[encoding]
    )


@pytest.mark.parametrize("sep", [",", "\t", "|"])
def test_other_separators_are_detected(tmp_path, sep):
    path = tmp_path / "t.csv"
    path.write_text(f'nom{sep}valeur{sep}quand\n"a{sep}b"{sep}1.5{sep}2024-01-02\nc{sep}2{sep}2024-02-03\n')
    _, staged = import_file(path, "t", actor=SystemActor("cli"))
    rows = _rows("t")
    assert staged.separator == sep
    assert rows[0] == {"nom": f"a{sep}b", "valeur": 1.5, "quand": date(2024, 1, 2)}


def test_a_column_with_one_odd_value_stays_text(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a;b\n" + "".join(f"{i};{i}\n" for i in range(3000)) + "x;3000\n")
    _, staged = import_file(path, "t", actor=SystemActor("cli"))
    assert staged.types == {"a": "string", "b": "integer"}


def test_table_schema_gives_the_types(tmp_path):
    (tmp_path / "s.json").write_text(
        json.dumps(
            {
                "fields": [
                    {"name": "code", "type": "string"},
                    {"name": "montant", "type": "number", "decimalChar": ","},
                    {"name": "jour", "type": "date", "format": "%d/%m/%Y"},
                    {"name": "ouvert", "type": "boolean", "trueValues": ["oui"], "falseValues": ["non"]},
                ]
            }
        )
    )
    (tmp_path / "d.csv").write_text(
        "code;montant;jour;ouvert\n0042;12,5;01/02/2024;oui\n0043;3;02/02/2024;non\n"
    )
    import_file(tmp_path / "d.csv", "d", schema_path=tmp_path / "s.json", actor=SystemActor("cli"))
    assert _rows("d")[0] == {"code": "0042", "montant": 12.5, "jour": date(2024, 2, 1), "ouvert": True}


def test_xlsx_first_sheet_is_imported(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Établissement", "Capacité", "Ouverture"])
    ws.append(["Gymnase", 120, date(2020, 5, 1)])
    ws.append(["École", 80.5, date(2019, 9, 2)])
    wb.save(tmp_path / "lieux.xlsx")
    dataset, staged = import_file(tmp_path / "lieux.xlsx", "lieux", actor=SystemActor("cli"))
    assert dataset.row_count == 2
    assert _rows("lieux")[1]["Établissement"] == "École"
    assert staged.types["Capacité"] == "double"


def _fc(features, crs=None):
    doc = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc)


def test_geojson_in_lambert93_is_reprojected_to_wgs84(tmp_path):
    path = tmp_path / "mairie.geojson"
    path.write_text(
        _fc(
            [
                {
                    "type": "Feature",
                    "properties": {"nom": "Mairie", "n": 1},
                    "geometry": {"type": "Point", "coordinates": [644500.0, 6866500.0]},
                }
            ],
            "urn:ogc:def:crs:EPSG::2154",
        )
    )
    dataset, _ = import_file(path, "mairie", actor=SystemActor("cli"))
    info = selectors.get_dataset("mairie")
    assert info.geometry_column == "geometry"
    point = shapely.from_wkb(_rows("mairie")[0]["geometry"])
    assert 2.0 < point.x < 2.4 and 48.7 < point.y < 49.0


def test_invalid_geometry_is_repaired_only_when_asked(tmp_path):
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[2.1, 48.8], [2.2, 48.9], [2.2, 48.8], [2.1, 48.9], [2.1, 48.8]]],
    }
    path = tmp_path / "zone.geojson"
    path.write_text(_fc([{"type": "Feature", "properties": {}, "geometry": bowtie}]))
    with pytest.raises(UserError, match="entité 1 : géométrie invalide .* utilisez --repair"):
        import_file(path, "zone", actor=SystemActor("cli"))
    _, staged = import_file(path, "zone", repair=True, actor=SystemActor("cli"))
    assert "1 géométrie réparée" in staged.notes
    assert shapely.from_wkb(_rows("zone")[0]["geometry"]).is_valid


def test_unclosed_ring_is_refused_with_its_feature_number_or_closed_with_repair(tmp_path):
    closed = {"type": "Polygon", "coordinates": [[[2.1, 48.8], [2.2, 48.8], [2.2, 48.9], [2.1, 48.8]]]}
    unclosed = {"type": "Polygon", "coordinates": [[[2.1, 48.8], [2.2, 48.8], [2.2, 48.9], [2.1, 48.9]]]}
    multi = {"type": "MultiPolygon", "coordinates": [unclosed["coordinates"], unclosed["coordinates"]]}
    features = [
        {"type": "Feature", "properties": {"n": i}, "geometry": g}
        for i, g in enumerate((closed, unclosed, multi))
    ]
    path = tmp_path / "zones.geojson"
    path.write_text(_fc(features))
    with pytest.raises(UserError) as refused:
        import_file(path, "zones", actor=SystemActor("cli"))
    text = str(refused.value)
    assert "entité 2 : 1 anneau(x) non fermé(s)" in text and "entité 3 : 2 anneau(x)" in text
    assert "entité 1 " not in text and "--repair" in text
    _, staged = import_file(path, "zones", repair=True, actor=SystemActor("cli"))
    assert "3 anneau(x) non fermé(s) refermé(s) (dernier point ajouté, égal au premier)" in staged.notes
    ring = shapely.from_wkb(_rows("zones")[1]["geometry"]).exterior.coords
    assert ring[0] == ring[-1] and len(ring) == 5


def _gdal_write(path, driver):
    from beffroi.sources.imports.duck import connect

    con = connect(spatial=True)
    con.execute(
        f"COPY (SELECT 'Nogent' AS nom, ST_Point(658000, 6859000) AS geom) TO '{path}' "
        f"WITH (FORMAT GDAL, DRIVER '{driver}', SRS 'EPSG:2154')"
    )


def test_geopackage_in_lambert93_is_imported(tmp_path):
    _gdal_write(tmp_path / "zones.gpkg", "GPKG")
    _, staged = import_file(tmp_path / "zones.gpkg", "zones", actor=SystemActor("cli"))
    assert "reprojeté depuis EPSG:2154" in staged.notes
    row = _rows("zones")[0]
    assert row["nom"] == "Nogent" and 2.3 < shapely.from_wkb(row["geometry"]).x < 2.6


def test_zipped_shapefile_is_imported(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    _gdal_write(folder / "zones.shp", "ESRI Shapefile")
    with zipfile.ZipFile(tmp_path / "zones.zip", "w") as z:
        for f in folder.iterdir():
            z.write(f, f.name)
    dataset, _ = import_file(tmp_path / "zones.zip", "zones", actor=SystemActor("cli"))
    assert dataset.row_count == 1 and _rows("zones")[0]["nom"] == "Nogent"


def test_replace_keeps_the_old_dataset_when_the_new_file_is_bad(tmp_path):
    good = tmp_path / "a.csv"
    good.write_text("a;b\n1;2\n")
    import_file(good, "a", actor=SystemActor("cli"))
    bad = tmp_path / "b.csv"
    bad.write_text("a;b\n1;2;3\n")
    with pytest.raises(UserError):
        import_file(bad, "a", replace=True, actor=SystemActor("cli"))
    assert _rows("a") == [{"a": 1, "b": 2}]


def test_a_crash_while_registering_keeps_the_catalogue_unchanged(tmp_path, monkeypatch, datasets_dir):
    path = tmp_path / "a.csv"
    path.write_text("a;b\n1;2\n")
    import_file(path, "a", actor=SystemActor("cli"))
    before = selectors.get_dataset("a").parquet_path

    def boom(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr("beffroi.sources.actions.record", boom)
    path.write_text("a;b\n5;6\n7;8\n")
    with pytest.raises(RuntimeError):
        import_file(path, "a", replace=True, actor=SystemActor("cli"))
    info = selectors.get_dataset("a")
    assert info.parquet_path == before and info.row_count == 1
    assert sorted(p.name for p in (datasets_dir / "a").iterdir()) == [before.name]


def test_cli_import_exit_codes(tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_bytes("nom;valeur\nété;1,5\n".encode("latin-1"))
    assert beffroi(["sources", "import", str(path), "--dataset", "ete"]) == 0
    assert "ete : 1 ligne importée depuis a.csv (csv ; encodage " in capsys.readouterr().out
    assert beffroi(["sources", "import", str(path), "--dataset", "ete"]) == 2
    path.write_text("a;b\n1\n")
    assert beffroi(["sources", "import", str(path), "--dataset", "x"]) == 2
    err = capsys.readouterr().err
    assert "a.csv, ligne 2, champ « b » : pas assez de champs sur cette ligne" in err
    assert "Traceback" not in err


def test_cli_list_and_show(tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_text("a;b\n1;2\n")
    import_file(path, "a", licence="Licence Ouverte 2.0", actor=SystemActor("cli"))
    assert beffroi(["sources", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["datasets"][0]["licence"] == "Licence Ouverte 2.0"
    assert beffroi(["sources", "show", "a"]) == 0
    assert "file:a.csv" in capsys.readouterr().out
    assert beffroi(["sources", "show", "nope"]) == 2


def test_exports_neutralise_formulas(tmp_path):
    assert neutralise('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [neutralise(v) for v in ("+33", "-1", "@SUM", "ok", 3, -2.5)] == [
        "'+33",
        "'-1",
        "'@SUM",
        "ok",
        3,
        -2.5,
    ]
    assert to_csv(["a"], [["=1+1"]]).splitlines()[1] == "'=1+1"
    path = tmp_path / "f.csv"
    path.write_text("nom;formule\nx;=cmd|' /C calc'!A0\n")
    import_file(path, "f", actor=SystemActor("cli"))
    assert "'=cmd" in dataset_csv(selectors.get_dataset("f").parquet_path)


def test_preview_before_confirm_does_not_touch_the_catalogue(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("a;b\n1;x\n2;y\n")
    staged = stage_file(path)
    names, rows = staged.preview(1)
    assert names == ["a", "b"] and rows == [[1, "x"]]
    assert selectors.list_datasets() == []
    staged.discard()


def test_a_converted_column_with_a_late_misfit_falls_back_to_text(tmp_path):
    path = tmp_path / "t.csv"
    lines = "".join(f"{i},5;{i}.25;2024-01-0{1 + i % 9}\n" for i in range(2500))
    path.write_text("virgule;point;iso\n" + lines + "7,5;pas un nombre;2024-13-45\n")
    _, staged = import_file(path, "t", actor=SystemActor("cli"))
    assert staged.types == {"virgule": "number_comma", "point": "string", "iso": "string"}
    assert _rows("t")[-1] == {"virgule": 7.5, "point": "pas un nombre", "iso": "2024-13-45"}


def test_gtfs_stops_become_a_layer_with_the_lines_serving_them(tmp_path):
    feed = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nA,Bus Rueil,https://x,Europe/Paris\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon,location_type\nS1,Gare RER,48.8777,2.1856,0\n"
        "S2,Hôtel de Ville,48.8768,2.1894,0\nS3,Dépôt,48.87,2.17,0\n",
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\nR1,A,158,,3\nR2,A,244,,3\n",  # noqa: E501
        "trips.txt": "route_id,service_id,trip_id\nR1,SEM,T1\nR2,SEM,T2\n",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "T1,08:00:00,08:00:00,S1,1\nT1,08:05:00,08:05:00,S2,2\nT2,09:00:00,09:00:00,S1,1\n",
    }
    with zipfile.ZipFile(tmp_path / "gtfs.zip", "w") as z:
        for name, text in feed.items():
            z.writestr(name, text)
    dataset, staged = import_file(tmp_path / "gtfs.zip", "bus", actor=SystemActor("cli"))
    assert staged.format == "gtfs" and dataset.row_count == 3
    by_id = {r["stop_id"]: r for r in _rows("bus")}
    assert (
        by_id["S1"]["routes"] == "158, 244"
        and by_id["S2"]["routes"] == "158"
        and by_id["S3"]["routes"] is None
    )
    assert shapely.from_wkb(by_id["S2"]["geometry"]).y == pytest.approx(48.8768)


def test_an_import_error_is_said_in_the_readers_language(tmp_path):
    path = tmp_path / "zones.geojson"
    path.write_text(_fc([{"type": "Feature", "properties": {}, "geometry": {"type": "Circle"}}]))
    with pytest.raises(UserError) as err:
        import_file(path, "zones", actor=SystemActor("cli"))
    assert "  - zones.geojson, champ « geometry » : entité 1 : type de géométrie inconnu « Circle »" in str(
        err.value
    )
    with translation.override("en"):
        with pytest.raises(UserError) as err:
            import_file(path, "zones", actor=SystemActor("cli"))
        text = str(err.value)
    assert text.startswith("zones.geojson: 1 geometry problem; nothing was stored.")
    assert "  - zones.geojson, field 'geometry': feature 1: unknown geometry type 'Circle'" in text


def test_nesting_is_measured_before_parsing_and_brackets_in_strings_do_not_count():
    from beffroi.sources.imports.safety import MAX_NESTING, too_deep

    polygon = {
        "type": "MultiPolygon",
        "coordinates": [[[[2.1, 48.8], [2.2, 48.8], [2.1, 48.9], [2.1, 48.8]]]],
    }
    collection = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": polygon}]}
    assert not too_deep(json.dumps(collection).encode())
    assert not too_deep(json.dumps({"name": "[" * 500, "escaped": '\\"[[[[' * 100}).encode())
    assert too_deep(b"[" * (MAX_NESTING + 1) + b"]" * (MAX_NESTING + 1))
    assert not too_deep(b"[" * MAX_NESTING + b"]" * MAX_NESTING)
    assert not too_deep(b"")
