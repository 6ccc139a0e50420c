from __future__ import annotations

import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.db import connection

from beffroi.cli import main as cli
from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.registry import access, exports
from beffroi.registry.importer import import_file
from beffroi.registry.models import AccessLog, Person

from .conftest import verified

FIXTURES = Path(__file__).parent.parent / "fixtures" / "registry"
SECRETS = [
    "Quibbleworth",
    "Ambroisine",
    "Zanzibarre",
    "Plumeterre",
    "Hérissons Bleus",
    "Pélican Rose",
    "Lucioles",
    "01 47 08 11 22",
    "0147081122",
    "06 12 34 56 78",
    "47 99 88 77",
    "diabétique",
]


def test_import_csv_is_validated_and_encrypted(territory):
    report = import_file(FIXTURES / "registre-ccas.csv", "92063", actor=SystemActor("cli"))
    assert report.imported == 3
    assert report.ignored_columns == ["Observations"]  # a free-text health column is never stored
    assert Person.objects.count() == 3
    sources = sorted(Person.objects.values_list("source", flat=True))
    assert sources == ["legal_rep", "self", "self"]


def test_import_errors_name_line_and_column_and_nothing_is_kept(territory):
    with pytest.raises(UserError) as exc:
        import_file(FIXTURES / "registre-erreurs.csv", "92063", actor=SystemActor("cli"))
    where = {(p.line, p.field) for p in exc.value.problems}
    assert (3, "Date de naissance") in where
    assert (4, "Téléphone") in where and (4, "Qualité") in where
    assert (5, "Nom") in where  # duplicate of line 2
    assert Person.objects.count() == 0


def test_cli_import_exit_codes(territory, capsys):
    assert cli(["registry", "import", str(FIXTURES / "registre-erreurs.csv"), "--commune", "92063"]) == 2
    err = capsys.readouterr().err
    assert "Ligne 3, colonne « Date de naissance », valeur « 1931-13-45 »" in err
    assert "Traceback" not in err and "--mapping" not in err
    assert (
        cli(["registry", "import", str(FIXTURES / "registre-ccas.csv"), "--commune", "92063", "--dry-run"])
        == 0
    )
    assert Person.objects.count() == 0
    assert cli(["registry", "import", str(FIXTURES / "registre-ccas.csv"), "--commune", "92063"]) == 0
    assert Person.objects.count() == 3
    out = capsys.readouterr().out
    assert "Quibbleworth" not in out  # the preview masks names


def test_xlsx_with_an_explicit_mapping(territory, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Identité", "Prénoms", "Né(e) le", "Catégorie", "Adresse", "Joindre au"])
    sheet.append(
        ["Quibbleworth", "Ambroisine", "03/04/1931", "65+", "12 rue des Hérissons Bleus", "0147081122"]
    )
    path = tmp_path / "registre.xlsx"
    book.save(path)
    with pytest.raises(UserError):
        import_file(path, "92063", actor=SystemActor("cli"))
    report = import_file(
        path,
        "92063",
        actor=SystemActor("cli"),
        mapping=["Identité=last_name", "Joindre au=phone"],
    )
    assert report.imported == 1


def test_addresses_are_matched_against_the_address_layer(territory):
    import pyarrow as pa

    from beffroi.sources.actions import do_store_dataframe_dataset

    table = pa.table(
        {
            "numero": [12, 4],
            "rep": ["", ""],
            "nom_voie": ["Rue des Hérissons Bleus", "Avenue du Pélican Rose"],
            "code_insee": ["92063", "92063"],
            "lon": [2.181, 2.19],
            "lat": [48.876, 48.87],
        }
    )
    do_store_dataframe_dataset(
        "ban-92063",
        table,
        title="BAN test",
        origin="test",
        licence="Licence Ouverte",
        synthetic=True,
        actor=SystemActor("cli"),
    )
    report = import_file(FIXTURES / "registre-ccas.csv", "92063", actor=SystemActor("cli"), dry_run=True)
    assert report.address_layer == "ban-92063"
    assert report.addresses_located == 2 and report.addresses_not_found == [4]


def _database_bytes(tmp_path) -> bytes:
    """The database as a file (VACUUM INTO copies every page of the test database) plus its SQL dump."""
    path = tmp_path / "copy.sqlite3"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(path)])
    dump = "\n".join(sqlite3.connect(path).iterdump()).encode()
    return path.read_bytes() + dump


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite file check")
@pytest.mark.django_db(transaction=True)
def test_no_imported_name_phone_or_street_in_the_sqlite_file(territory, tmp_path):
    import_file(FIXTURES / "registre-ccas.csv", "92063", actor=SystemActor("cli"))
    blob = _database_bytes(tmp_path)
    assert b"92063" in blob  # the check can find clear text: the commune code is there
    for secret in SECRETS:
        for encoding in ("utf-8", "utf-16-le", "latin-1"):
            try:
                assert secret.encode(encoding) not in blob, secret
            except UnicodeEncodeError:
                continue


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_imported_name_phone_or_street_in_a_pg_dump(territory):
    import_file(FIXTURES / "registre-ccas.csv", "92063", actor=SystemActor("cli"))
    db = connection.settings_dict
    env = {"PGPASSWORD": db.get("PASSWORD") or ""}
    cmd = [
        "pg_dump",
        "-h",
        db.get("HOST") or "localhost",
        "-p",
        str(db.get("PORT") or 5432),
        "-U",
        db["USER"],
        db["NAME"],
    ]
    dump = subprocess.run(
        cmd, capture_output=True, env={**__import__("os").environ, **env}, check=True
    ).stdout
    assert b"registry_person" in dump
    for secret in SECRETS:
        assert secret.encode() not in dump, secret


def test_prefect_export_is_sealed_field_filtered_and_logged(agent, territory):
    import_file(FIXTURES / "registre-ccas.csv", "92063", actor=SystemActor("cli"))
    name, sealed = exports.do_export_prefect(
        "92063",
        fields=["last_name", "phone"],
        passphrase="a long passphrase",
        reason="demande du préfet du 01/07",
        actor=verified(agent),
    )
    assert b"Quibbleworth" not in sealed and name.endswith(".bfrseal")
    with pytest.raises(UserError):
        exports.open_sealed(sealed, "wrong passphrase!")
    header, plain = exports.open_sealed(sealed, "a long passphrase")
    text = plain.decode("utf-8-sig")
    assert "Quibbleworth" in text and "Hérissons" not in text  # address not asked for
    assert text.splitlines()[0] == "Nom;Téléphone"
    log = AccessLog.objects.get(action="export_prefect")
    assert log.record_count == 3 and log.reason.startswith("demande du préfet")


def test_cli_export_and_open(territory, tmp_path, capsys):
    import_file(FIXTURES / "registre-ccas.csv", "92063", actor=SystemActor("cli"))
    secret = tmp_path / "pass.txt"
    secret.write_text("correct horse battery")
    out = tmp_path / "export.bfrseal"
    assert (
        cli(
            [
                "registry",
                "export-prefect",
                "--commune",
                "92063",
                "--reason",
                "préfet",
                "--out",
                str(out),
                "--passphrase-file",
                str(secret),
            ]
        )
        == 0
    )
    clear = tmp_path / "clear.csv"
    assert (
        cli(["registry", "open-export", str(out), "--out", str(clear), "--passphrase-file", str(secret)]) == 0
    )
    assert "Zanzibarre" in clear.read_text(encoding="utf-8-sig")


def test_subject_access_export_holds_only_that_record(agent, territory):
    import_file(FIXTURES / "registre-ccas.csv", "92063", actor=SystemActor("cli"))
    people = list(Person.objects.all())
    name, body = exports.do_subject_access_export(
        people[0].public_id, reason="demande d'accès", actor=verified(agent)
    )
    text = body.decode()
    names = [access.decrypt_person(p).last_name for p in people]
    assert sum(n in text for n in names) == 1
    assert AccessLog.objects.filter(action="export_subject", record_ids=[people[0].public_id]).exists()


def test_prefect_export_neutralises_formulas(agent, territory):
    from beffroi.registry.actions import do_register_person

    do_register_person(
        "92063",
        {
            "last_name": '=HYPERLINK("http://127.0.0.1/","x")',
            "first_names": "=1+1",
            "birth_date": "1938-03-12",
            "category": "65+",
            "address": "1 rue de l'Essai",
            "phone": "01 47 32 98 76",
        },
        source="self",
        request_date=date(2025, 1, 1),
        actor=SystemActor("cli"),
    )
    _name, sealed = exports.do_export_prefect(
        "92063",
        fields=["last_name", "first_names"],
        passphrase="a long passphrase",
        reason="demande du préfet",
        actor=verified(agent),
    )
    _header, plain = exports.open_sealed(sealed, "a long passphrase")
    line = plain.decode("utf-8-sig").splitlines()[1]
    assert line.startswith("\"'=HYPERLINK(") and line.endswith(";'=1+1")
