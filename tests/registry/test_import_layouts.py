"""Spreadsheets as CCAS keep them: three layouts with French headers, xlsx and csv, UTF-8 and Latin-1,
the legal wordings of the category and of the requester, every phone and contact column R121-4 allows."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from beffroi.cli import main as cli
from beffroi.core.actors import SystemActor
from beffroi.core.audit import AuditEvent
from beffroi.registry import access
from beffroi.registry.importer import ImportRejected, describe, import_file, prepare, recognise_header
from beffroi.registry.models import Person
from beffroi.registry.schema import interpret_category, interpret_requester

from ..conftest import login_client

CLI = SystemActor("cli")

# Layout 1: the CCAS's own xlsx, one column per R121-4 field, legal wordings.
LAYOUT_1_HEADER = [
    "NOM",
    "Prénom",
    "Né(e) le",
    "Adresse",
    "Qualité",
    "Tél. fixe",
    "Portable",
    "Personne à prévenir",
    "Tél. personne à prévenir",
    "Service d'aide à domicile",
    "Demandeur",
    "Médecin traitant",
    "Observations",
]
LAYOUT_1_ROWS = [
    [
        "QUIBBLEWORTH",
        "Ambroisine",
        date(1931, 4, 3),
        "12 rue des Hérissons Bleus, 92500 Rueil-Malmaison",
        "Personne âgée de 65 ans et plus",
        "01 47 08 11 22",
        "06 12 34 56 78",
        "Mme Fictive (fille)",
        "06 11 22 33 44",
        "SAAD Les Mimosas",
        "l'intéressée",
        "Dr Imaginaire",
        "diabétique",
    ],
    [
        "ZANZIBARRE",
        "Théodule",
        "21/11/1946",
        "4 avenue du Pélican Rose, 92500 Rueil-Malmaison",
        "Personne adulte handicapée bénéficiaire de l'AAH",
        "",
        "0612345679",
        "",
        "",
        "",
        "tuteur (UDAF 92)",
        "",
        "",
    ],
    [
        "PLUMETERRE",
        "Honorine",
        "30/09/1962",
        "88 bis allée des Lucioles, 92500 Rueil-Malmaison",
        "Personne de plus de 60 ans reconnue inapte au travail",
        "+33 1 47 99 88 77",
        "",
        "",
        "",
        "",
        "Département (APA)",
        "",
        "",
    ],
    [
        "GRUMBLEDORE",
        "Séraphin",
        "14/02/1936",
        "3 impasse du Narval, 92500 Rueil-Malmaison",
        "65+",
        "01.47.51.00.01",
        "",
        "M. Voisin",
        "01 47 51 00 02",
        "SSIAD Croix-Bleue",
        "voisin (M. Lampion)",
        "",
        "",
    ],
]


def _xlsx(path: Path, header, rows) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Registre canicule"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _csv(path: Path, header, rows, *, encoding: str, delimiter: str) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.fixture
def layout_1(tmp_path):
    return _xlsx(tmp_path / "registre-ccas-2026.xlsx", LAYOUT_1_HEADER, LAYOUT_1_ROWS)


@pytest.fixture
def layout_2(tmp_path):
    """Another order and wording, UTF-8 csv with commas, address split over three columns."""
    header = [
        "Date d'inscription",
        "Nom de famille",
        "Prénoms",
        "Date de naissance",
        "N° et rue",
        "Code postal",
        "Ville",
        "Catégorie",
        "Téléphone",
        "Mobile",
        "Contact d'urgence",
        "Téléphone du contact",
        "Service intervenant à domicile",
        "Tél. du service",
        "Inscrit à la demande de",
        "Nom du tiers",
    ]
    rows = [
        [
            "02/06/2025",
            "Vermicelle",
            "Anatole",
            "1939-07-14",
            "7 rue du Colibri",
            "92500",
            "Rueil-Malmaison",
            "65 ans et +",
            "0147000001",
            "",
            "Fils Vermicelle",
            "0600000001",
            "ADMR",
            "0147000009",
            "fils",
            "Paul Vermicelle",
        ],
        [
            "03/06/2025",
            "Tartinette",
            "Odile",
            "1970-01-02",
            "9 rue du Colibri",
            "92500",
            "Rueil-Malmaison",
            "PH",
            "",
            "07 00 00 00 02",
            "",
            "",
            "",
            "",
            "Lui-même",
            "",
        ],
        [
            "04/06/2025",
            "Chaudron",
            "Basile",
            "1958-05-05",
            "11 rue du Colibri",
            "92500",
            "Rueil-Malmaison",
            "60+ inapte",
            "01 47 00 00 03",
            "",
            "",
            "",
            "",
            "",
            "curatrice (ATMP 92)",
            "",
        ],
    ]
    return _csv(tmp_path / "inscrits.csv", header, rows, encoding="utf-8", delimiter=",")


@pytest.fixture
def layout_3(tmp_path):
    """The spreadsheet exported by an old tool: Latin-1 (Windows-1252), semicolons, dd/mm/yyyy dates."""
    header = [
        "Nom",
        "Prénom(s)",
        "Né(e) le",
        "Adresse",
        "Qualité",
        "Tél.",
        "GSM",
        "Personne à prévenir (nom et tél.)",
        "Aide à domicile",
        "Origine de la demande",
        "Remarques",
    ]
    rows = [
        [
            "Éléonore",
            "Hélène",
            "14/03/1938",
            "5 place de l'Église, 92500 Rueil-Malmaison",
            "âgée",
            "01 47 11 11 11",
            "",
            "Neveu : M. Crémieux 06 22 22 22 22",
            "",
            "CCAS",
            "sourde, parler fort",
        ],
        [
            "Lefèvre",
            "François",
            "01/12/1950",
            "2 chemin des Prés, 92500 Rueil-Malmaison",
            "RQTH",
            "01 47 11 11 12",
            "06 33 33 33 33",
            "",
            "Aides & Présence",
            "L'intéressé(e)",
            "",
        ],
    ]
    return _csv(tmp_path / "export-logiciel.csv", header, rows, encoding="cp1252", delimiter=";")


# --- the wordings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wording, category",
    [
        ("Personne âgée de 65 ans et plus", "age_65"),
        ("PERSONNE AGEE DE 65 ANS ET PLUS", "age_65"),
        ("65+", "age_65"),
        ("+ de 65 ans", "age_65"),
        ("âgé(e)", "age_65"),
        ("Personne de plus de 60 ans reconnue inapte au travail", "age_60_unfit"),
        ("personne de plus de 60 ans inapte au travail", "age_60_unfit"),
        ("60+ inapte", "age_60_unfit"),
        ("Inapte au travail", "age_60_unfit"),
        ("Personne adulte handicapée", "disabled"),
        ("adulte handicapé(e) - bénéficiaire AAH", "disabled"),
        ("ACTP", "disabled"),
        ("carte d'invalidité", "disabled"),
        ("Pension d'invalidité", "disabled"),
        ("RQTH", "disabled"),
        ("PH", "disabled"),
        ("handicap", "disabled"),
        ("age_65", "age_65"),
        ("disabled", "disabled"),
    ],
)
def test_category_wordings_are_read(wording, category):
    assert interpret_category(wording) == (category, "")


@pytest.mark.parametrize("wording", ["60+", "plus de 60 ans", "65 ans handicapée", "malvoyante", ""])
def test_ambiguous_or_unknown_categories_say_why(wording):
    category, why = interpret_category(wording)
    assert category is None and why
    assert "qualité" in why


@pytest.mark.parametrize(
    "wording, source, name, capacity",
    [
        ("l'intéressée", "self", "", ""),
        ("L'intéressé(e)", "self", "", ""),
        ("Lui-même", "self", "", ""),
        ("", "self", "", ""),
        ("tuteur (UDAF 92)", "legal_rep", "UDAF 92", "tuteur"),
        ("curatrice (ATMP 92)", "legal_rep", "ATMP 92", "curatrice"),
        ("Département (APA)", "departement", "", "Département (APA)"),
        ("CARSAT", "carsat", "", "CARSAT"),
        ("fille (Mme Durand)", "third_party", "Mme Durand", "fille"),
        ("Voisin : M. Martin", "third_party", "M. Martin", "Voisin"),
        ("SAAD Les Mimosas", "third_party", "SAAD Les Mimosas", "service d'aide à domicile"),
        ("SSIAD", "third_party", "SSIAD", "service de soins infirmiers à domicile"),
        ("CCAS", "third_party", "CCAS", "centre communal d'action sociale"),
    ],
)
def test_requester_wordings_are_read(wording, source, name, capacity):
    requester, why = interpret_requester(wording)
    assert why == "" and requester is not None
    assert (requester.source, requester.name, requester.capacity) == (source, name, capacity)


@pytest.mark.parametrize(
    "header, target",
    [
        ("NOM", "last_name"),
        ("Nom d'usage", "last_name"),
        ("Prénom(s)", "first_names"),
        ("Né(e) le", "birth_date"),
        ("Date de naissance", "birth_date"),
        ("Qualité", "category"),
        ("Tél. fixe", "phone"),
        ("Téléphone", "phone"),
        ("Portable", "mobile"),
        ("GSM", "mobile"),
        ("Personne à prévenir", "emergency_contact"),
        ("Personne à prévenir (nom et tél.)", "emergency_contact"),
        ("Tél. personne à prévenir", "emergency_contact_phone"),
        ("Service d'aide à domicile", "home_care_service"),
        ("Tél. du service", "home_care_service_phone"),
        ("Demandeur", "source"),
        ("Origine de la demande", "source"),
        ("Nom du tiers", "third_party_name"),
        ("Qualité du demandeur", "third_party_capacity"),
        ("Date de la demande", "request_date"),
        ("Code postal", "postcode"),
    ],
)
def test_french_ccas_headers_are_recognised(header, target):
    assert recognise_header(header) == (target, "")


@pytest.mark.parametrize("header", ["Médecin traitant", "Observations", "GIR", "Pathologie"])
def test_columns_the_law_does_not_allow_are_named_as_never_kept(header):
    target, note = recognise_header(header)
    assert target is None and "R121-4" in note


# --- whole files --------------------------------------------------------------------------------


def test_layout_1_xlsx_imports_in_one_go_with_every_phone_and_contact(territory, layout_1):
    report = import_file(layout_1, "92063", actor=CLI, proofs_on_paper=True)
    assert report.imported == 4
    ignored = {c.title: c.note for c in report.column_list if not c.target}
    assert set(ignored) == {"Médecin traitant", "Observations"}
    assert all("R121-4" in note for note in ignored.values())
    readings = {r.value: r.code for r in report.categories}
    assert readings == {
        "Personne âgée de 65 ans et plus": "age_65",
        "Personne adulte handicapée bénéficiaire de l'AAH": "disabled",
        "Personne de plus de 60 ans reconnue inapte au travail": "age_60_unfit",
        "65+": "age_65",
    }
    by_name = {
        access.decrypt_person(p).last_name: (p, access.decrypt_person(p)) for p in Person.objects.all()
    }
    person, data = by_name["QUIBBLEWORTH"]
    assert (data.phone, data.mobile) == ("01 47 08 11 22", "06 12 34 56 78")
    assert (data.emergency_contact, data.emergency_contact_phone) == ("Mme Fictive (fille)", "06 11 22 33 44")
    assert data.home_care_service == "SAAD Les Mimosas" and person.source == "self"
    assert "Imaginaire" not in str(data.to_dict()) and "diabétique" not in str(data.to_dict())
    person, data = by_name["ZANZIBARRE"]
    assert data.phone == "06 12 34 56 79" and data.mobile == ""  # a mobile only is the number called
    assert person.source == "legal_rep"
    assert (data.third_party_capacity, data.third_party_name) == ("tuteur", "UDAF 92")
    person, data = by_name["PLUMETERRE"]
    assert person.source == "departement" and data.third_party_capacity == "Département (APA)"
    assert person.consent == "awaiting"
    person, data = by_name["GRUMBLEDORE"]
    assert person.source == "third_party" and person.proofs.count() == 1
    assert (data.third_party_capacity, data.third_party_name) == ("voisin", "M. Lampion")
    assert data.home_care_service == "SSIAD Croix-Bleue" and data.emergency_contact_phone == "01 47 51 00 02"


def test_layout_2_utf8_csv_other_order_and_split_address(territory, layout_2):
    report = import_file(layout_2, "92063", actor=CLI, proofs_on_paper=True)
    assert report.imported == 3 and report.ignored_columns == []
    people = {access.decrypt_person(p).last_name: (p, access.decrypt_person(p)) for p in Person.objects.all()}
    person, data = people["Vermicelle"]
    assert data.address == "7 rue du Colibri, 92500 Rueil-Malmaison"
    assert person.request_date == date(2025, 6, 2) and person.source == "third_party"
    assert (data.third_party_name, data.third_party_capacity) == ("Paul Vermicelle", "fils")
    assert data.home_care_service_phone == "01 47 00 00 09"
    assert (
        people["Tartinette"][1].category == "disabled" and people["Tartinette"][1].phone == "07 00 00 00 02"
    )
    assert people["Chaudron"][0].source == "legal_rep" and people["Chaudron"][1].category == "age_60_unfit"


def test_layout_3_latin1_semicolons(territory, layout_3):
    report = import_file(layout_3, "92063", actor=CLI, proofs_on_paper=True)
    assert report.imported == 2
    assert [c.title for c in report.column_list if not c.target] == ["Remarques"]
    people = {
        access.decrypt_person(p).first_names: (p, access.decrypt_person(p)) for p in Person.objects.all()
    }
    person, data = people["Hélène"]
    assert data.last_name == "Éléonore" and data.birth_date == "1938-03-14"
    assert data.emergency_contact == "Neveu : M. Crémieux 06 22 22 22 22"
    assert person.source == "third_party" and data.third_party_capacity == "centre communal d'action sociale"
    person, data = people["François"]
    assert data.mobile == "06 33 33 33 33" and data.home_care_service == "Aides & Présence"
    assert person.source == "self"


def test_layout_1_as_latin1_csv_gives_the_same_people(territory, tmp_path):
    rows = [[v.strftime("%d/%m/%Y") if isinstance(v, date) else v for v in row] for row in LAYOUT_1_ROWS]
    path = _csv(tmp_path / "registre.csv", LAYOUT_1_HEADER, rows, encoding="cp1252", delimiter=";")
    assert import_file(path, "92063", actor=CLI, proofs_on_paper=True).imported == 4
    names = sorted(access.decrypt_person(p).first_names for p in Person.objects.all())
    assert names == ["Ambroisine", "Honorine", "Séraphin", "Théodule"]


def test_ambiguous_values_are_named_by_line_column_and_value_and_nothing_is_kept(territory, tmp_path):
    rows = [list(r) for r in LAYOUT_1_ROWS]
    rows[1][4] = "60+"
    rows[2][10] = "martien"
    rows[3][6] = "06 12"
    path = _xlsx(tmp_path / "registre.xlsx", LAYOUT_1_HEADER, rows)
    with pytest.raises(ImportRejected) as exc:
        import_file(path, "92063", actor=CLI, proofs_on_paper=True)
    lines = [describe(p) for p in exc.value.problems]
    assert any(
        line.startswith("Ligne 3, colonne « Qualité », valeur « 60+ » : qualité ambiguë") for line in lines
    ), lines
    assert any(
        line.startswith("Ligne 4, colonne « Demandeur », valeur « martien » : demandeur non reconnu")
        for line in lines
    ), lines
    assert any(line.startswith("Ligne 5, colonne « Portable », valeur « 06 12 » : numéro") for line in lines)
    assert Person.objects.count() == 0
    assert exc.value.report is not None and {r.value for r in exc.value.report.categories} >= {"60+"}


def test_the_agent_resolves_an_ambiguous_category_without_editing_the_file(territory, tmp_path):
    rows = [list(r) for r in LAYOUT_1_ROWS]
    rows[2][4] = "60 ans et plus"  # Plumeterre, born 1962: could only be the unfit criterion
    path = _xlsx(tmp_path / "registre.xlsx", LAYOUT_1_HEADER, rows)
    with pytest.raises(ImportRejected):
        prepare(path, "92063", proofs_on_paper=True)
    report, ready = prepare(
        path, "92063", proofs_on_paper=True, categories={"60 ans et plus": "age_60_unfit"}
    )
    assert len(ready) == 4
    assert next(r for r in report.categories if r.value == "60 ans et plus").chosen


def test_a_third_party_without_a_name_is_refused_with_the_way_to_fix_it(territory, tmp_path):
    rows = [list(r) for r in LAYOUT_1_ROWS]
    rows[3][10] = "voisin"
    path = _xlsx(tmp_path / "registre.xlsx", LAYOUT_1_HEADER, rows)
    with pytest.raises(ImportRejected) as exc:
        import_file(path, "92063", actor=CLI, proofs_on_paper=True)
    assert any(
        "Ligne 5, colonne « Demandeur »" in describe(p) and "nom" in p.message for p in exc.value.problems
    )


def test_a_column_can_be_ignored_or_redirected_by_choice(territory, layout_1):
    columns = {
        LAYOUT_1_HEADER.index("Personne à prévenir"): "ignore",
        LAYOUT_1_HEADER.index("Service d'aide à domicile"): "emergency_contact",
    }
    report, ready = prepare(layout_1, "92063", proofs_on_paper=True, columns=columns)
    assert "Personne à prévenir" in report.ignored_columns
    contacts = [data.emergency_contact for _l, _s, _d, data, _e in ready]
    assert contacts == ["SAAD Les Mimosas", "", "", "SSIAD Croix-Bleue"]
    assert all(data.home_care_service == "" for _l, _s, _d, data, _e in ready)


def test_ignoring_the_only_phone_of_a_person_is_refused(territory, layout_1):
    columns = {LAYOUT_1_HEADER.index("Portable"): "ignore"}
    with pytest.raises(ImportRejected) as exc:
        prepare(layout_1, "92063", proofs_on_paper=True, columns=columns)
    assert [p.line for p in exc.value.problems] == [3]  # Zanzibarre has only a mobile


def test_cli_french_error_and_exit_2(territory, tmp_path, capsys):
    path = _xlsx(
        tmp_path / "r.xlsx", ["Nom", "Prénom", "Naissance", "Adresse"], [["A", "B", "01/01/1930", "x"]]
    )
    assert cli(["registry", "import", str(path), "--commune", "92063"]) == 2
    err = capsys.readouterr().err
    assert "aucune colonne pour « Qualité au titre de laquelle la personne est inscrite »" in err
    assert "aucune colonne de téléphone" in err and "Traceback" not in err
    assert Person.objects.count() == 0


def test_cli_shows_readings_and_ignored_columns_masked(territory, layout_1, capsys):
    assert (
        cli(["registry", "import", str(layout_1), "--commune", "92063", "--proofs-on-paper", "--dry-run"])
        == 0
    )
    out = capsys.readouterr().out
    assert "Médecin traitant" in out and "R121-4" in out
    assert "Qualités lues" in out and "QUIBBLEWORTH" not in out
    assert Person.objects.count() == 0


# --- the web page -------------------------------------------------------------------------------


def _page(client, commune="92063"):
    return reverse("registry:import", args=[commune])


def _form_choices(report_html: str) -> dict:
    """The select and hidden values of the form, as a browser would post them back."""
    import re

    data = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', report_html):
        data[name] = value
    for select in re.findall(r'<select id="[^"]+" name="([^"]+)">(.*?)</select>', report_html, re.S):
        name, options = select
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        data[name] = chosen.group(1) if chosen else ""
    return data


def test_web_preview_in_clear_confirm_then_import(agent, client, layout_1):
    login_client(client, agent)
    with layout_1.open("rb") as handle:
        response = client.post(_page(client), {"file": handle, "proofs_on_paper": "1", "action": "preview"})
    html = response.content.decode()
    assert response.status_code == 200, html
    assert "QUIBBLEWORTH" in html and "06 11 22 33 44" in html  # in clear for the nominated agent
    assert "Médecin traitant" in html and "non prévue par l&#x27;article R121-4" in html
    assert "Personne âgée de 65 ans et plus" in html and "Confirmer et importer 4 personnes" in html
    assert Person.objects.count() == 0
    data = {**_form_choices(html), "proofs_on_paper": "1", "action": "preview"}
    html = client.post(_page(client), data).content.decode()  # checked again: nothing changes
    assert html.count("reconnue d'après l'en-tête") == 11 and "votre choix" not in html
    data = {**_form_choices(html), "proofs_on_paper": "1", "action": "import"}
    response = client.post(_page(client), data)
    assert response.status_code == 302 and Person.objects.count() == 4
    assert AuditEvent.objects.filter(action="registry.import").count() == 1
    assert "registry_import" not in client.session  # the file is dropped once imported


def test_web_import_needs_the_previewed_choices(agent, client, layout_1):
    login_client(client, agent)
    with layout_1.open("rb") as handle:
        html = client.post(_page(client), {"file": handle, "proofs_on_paper": "1"}).content.decode()
    data = {**_form_choices(html), "proofs_on_paper": "1", "action": "import"}
    data[f"col-{LAYOUT_1_HEADER.index('Service d' + chr(39) + 'aide à domicile')}"] = "ignore"  # changed
    response = client.post(_page(client), data)
    assert response.status_code == 200 and Person.objects.count() == 0
    assert "Les choix ont changé depuis l" in response.content.decode()
    data = {**_form_choices(response.content.decode()), "proofs_on_paper": "1", "action": "import"}
    assert client.post(_page(client), data).status_code == 302
    assert Person.objects.count() == 4


def test_web_errors_are_french_and_the_mapping_is_kept_between_attempts(agent, client, tmp_path):
    header = ["Identité", "Prénom", "Né(e) le", "Adresse", "Qualité", "Joindre au"]
    rows = [["Vermicelle", "Anatole", "14/07/1939", "7 rue du Colibri", "65+", "0147000001"]]
    path = _xlsx(tmp_path / "r.xlsx", header, rows)
    login_client(client, agent)
    with path.open("rb") as handle:
        response = client.post(_page(client), {"file": handle})
    html = response.content.decode()
    assert response.status_code == 422
    assert "aucune colonne pour « Nom »" in html and "--mapping" not in html and "missing column" not in html
    data = _form_choices(html)
    assert data["col-0"] == "ignore"
    data.update({"col-0": "last_name", "col-5": "phone", "action": "preview"})
    response = client.post(_page(client), data)  # no re-upload: the file was kept, encrypted
    html = response.content.decode()
    assert response.status_code == 200, html
    assert "Vermicelle" in html
    assert _form_choices(html)["col-0"] == "last_name"
    # A corrected file with the same headers gets the same choices, without choosing again.
    rows.append(["Tartinette", "Odile", "02/01/1950", "9 rue du Colibri", "PH", "0147000002"])
    path = _xlsx(tmp_path / "r2.xlsx", header, rows)
    with path.open("rb") as handle:
        response = client.post(_page(client), {"file": handle, "token": data["token"]})
    html = response.content.decode()
    assert response.status_code == 200, html
    assert "Tartinette" in html and _form_choices(html)["col-5"] == "phone"


def test_web_row_errors_name_line_column_and_value(agent, client, tmp_path):
    rows = [list(r) for r in LAYOUT_1_ROWS]
    rows[0][2] = "31/02/1931"
    path = _xlsx(tmp_path / "r.xlsx", LAYOUT_1_HEADER, rows)
    login_client(client, agent)
    with path.open("rb") as handle:
        response = client.post(_page(client), {"file": handle, "proofs_on_paper": "1"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Ligne 2, colonne « Né(e) le », valeur « 31/02/1931 » : date attendue au format JJ/MM/AAAA" in html
    assert "Confirmer et importer" not in html and Person.objects.count() == 0


def test_the_kept_file_is_encrypted_in_the_session(agent, client, layout_2, make_user):
    import base64

    from beffroi.registry import crypto

    login_client(client, agent)
    with layout_2.open("rb") as handle:
        client.post(_page(client), {"file": handle, "proofs_on_paper": "1"})
    entry = client.session["registry_import"]
    assert b"Vermicelle" in layout_2.read_bytes()  # the file itself is plain text
    assert b"Vermicelle" not in base64.urlsafe_b64decode(entry["sealed"])
    assert "Vermicelle" not in str(dict(client.session))
    aad = f"registry.upload:{agent.pk}:92063:{entry['token']}"
    assert crypto.decrypt(entry["sealed"], key_id=entry["key_id"], aad=aad) == layout_2.read_bytes()
    with pytest.raises(crypto.RegistryKeyError):  # bound to the agent: not readable as anyone else
        crypto.decrypt(entry["sealed"], key_id=entry["key_id"], aad=aad.replace(f":{agent.pk}:", ":999999:"))


def test_another_agent_cannot_use_the_token(agent, nominate, client, layout_1, make_user):
    login_client(client, agent)
    with layout_1.open("rb") as handle:
        html = client.post(_page(client), {"file": handle, "proofs_on_paper": "1"}).content.decode()
    data = {**_form_choices(html), "proofs_on_paper": "1", "action": "import"}
    other = nominate()
    client.logout()
    login_client(client, other)
    response = client.post(_page(client), data)
    assert response.status_code == 400 and Person.objects.count() == 0


# --- editing phones and contacts ----------------------------------------------------------------


def test_phones_and_emergency_contact_are_edited_from_the_person_page(agent, client, layout_1):
    import_file(layout_1, "92063", actor=CLI, proofs_on_paper=True)
    person = next(p for p in Person.objects.all() if access.decrypt_person(p).last_name == "ZANZIBARRE")
    login_client(client, agent)
    page = client.get(reverse("registry:person", args=[person.public_id])).content.decode()
    assert 'name="emergency_contact_phone"' in page and 'name="mobile"' in page
    response = client.post(
        reverse("registry:person_action", args=[person.public_id]),
        {
            "action": "update_contacts",
            "phone": "01 47 00 00 10",
            "mobile": "06 12 34 56 79",
            "emergency_contact": "Mme Sœur Fictive",
            "emergency_contact_phone": "0611111111",
            "home_care_service": "SAAD du Parc",
            "home_care_service_phone": "",
        },
    )
    assert response.status_code == 302
    data = access.decrypt_person(Person.objects.get(pk=person.pk))
    assert (data.phone, data.mobile, data.emergency_contact_phone) == (
        "01 47 00 00 10",
        "06 12 34 56 79",
        "06 11 11 11 11",
    )
    event = AuditEvent.objects.filter(action="registry.update").latest("id")
    assert event.detail["fields"] == [
        "emergency_contact",
        "emergency_contact_phone",
        "home_care_service",
        "mobile",
        "phone",
    ]
    assert "Sœur" not in str(event.detail)


def test_a_bad_phone_on_the_person_page_is_refused_in_french(agent, client, layout_1):
    import_file(layout_1, "92063", actor=CLI, proofs_on_paper=True)
    person = Person.objects.first()
    before = person.payload
    login_client(client, agent)
    response = client.post(
        reverse("registry:person_action", args=[person.public_id]),
        {"action": "update_contacts", "phone": "01 47", "mobile": ""},
        follow=True,
    )
    assert "numéro de téléphone français attendu" in response.content.decode()
    assert Person.objects.get(pk=person.pk).payload == before


def test_a_caller_cannot_edit_contacts(nominate, client, layout_1):
    import_file(layout_1, "92063", actor=CLI, proofs_on_paper=True)
    caller = nominate(scope="caller")
    person = Person.objects.first()
    before = person.payload
    login_client(client, caller)
    response = client.post(
        reverse("registry:person_action", args=[person.public_id]),
        {"action": "update_contacts", "phone": "01 47 00 00 10"},
    )
    assert response.status_code == 403
    assert Person.objects.get(pk=person.pk).payload == before


def test_phone_numbers_typed_as_numbers_in_excel_keep_their_leading_zero(territory, tmp_path):
    header = ["Nom", "Prénom", "Né(e) le", "Adresse", "Qualité", "Tél. fixe", "Tél. personne à prévenir"]
    rows = [["Vermicelle", "Anatole", date(1939, 7, 14), "7 rue du Colibri", "65+", 147000001, 611223344]]
    import_file(_xlsx(tmp_path / "r.xlsx", header, rows), "92063", actor=CLI)
    data = access.decrypt_person(Person.objects.get())
    assert (data.phone, data.emergency_contact_phone) == ("01 47 00 00 01", "06 11 22 33 44")


def test_cli_reads_an_ambiguous_wording_as_told(territory, tmp_path, capsys):
    header = ["Nom", "Prénom", "Né(e) le", "Adresse", "Qualité", "Téléphone"]
    rows = [["Chaudron", "Basile", "05/05/1958", "11 rue du Colibri", "60+", "0147000003"]]
    path = _xlsx(tmp_path / "r.xlsx", header, rows)
    assert cli(["registry", "import", str(path), "--commune", "92063"]) == 2
    assert "Ligne 2, colonne « Qualité », valeur « 60+ » : qualité ambiguë" in capsys.readouterr().err
    assert cli(["registry", "import", str(path), "--commune", "92063", "--category", "60+=age_60_unfit"]) == 0
    assert access.decrypt_person(Person.objects.get()).category == "age_60_unfit"
    assert cli(["registry", "import", str(path), "--commune", "92063", "--category", "60+=vieux"]) == 2


def test_callers_and_route_sheets_get_the_emergency_contacts_phone(agent, nominate, layout_1):
    from beffroi.registry import outreach

    from .conftest import verified

    import_file(layout_1, "92063", actor=CLI, proofs_on_paper=True)
    caller = verified(nominate(scope="caller"))
    campaign = outreach.do_start_campaign("92063", hazard="canicule", callers=[caller], actor=verified(agent))
    rows = {r.name: r for r in access.caller_share(caller, campaign)}
    assert rows["QUIBBLEWORTH Ambroisine"].emergency_contact == "Mme Fictive (fille) · 06 11 22 33 44"
    assert rows["ZANZIBARRE Théodule"].emergency_contact == ""
