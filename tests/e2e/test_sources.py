"""The crisis cell sees the catalogue with each source's state and imports a file with a preview."""

import pyarrow as pa
import pytest

from beffroi.core.actors import SystemActor
from beffroi.sources.actions import do_add_source, do_store_dataframe_dataset
from beffroi.sources.models import Source
from tests.conftest import PASSWORD
from tests.e2e.conftest import login


@pytest.mark.django_db(transaction=True)
def test_catalogue_and_upload_with_preview(page, screenshot, make_user, settings, tmp_path):
    settings.DATASETS_DIR = tmp_path / "data"
    do_store_dataframe_dataset(
        "population-iris",
        pa.table({"iris": ["920630101"], "pop": [2431.5]}),
        title="Population par IRIS (RP)",
        origin="https://www.insee.fr/fr/statistiques/3137409",
        licence="Licence Ouverte 2.0",
        actor=SystemActor("cli"),
    )
    src = do_add_source("hubeau-marne", "hubeau", config={"stations": "F664000104"}, actor=SystemActor("cli"))
    Source.objects.filter(pk=src.pk).update(
        consecutive_failures=1,
        last_error="pas de réseau : impossible de résoudre hubeau.eaufrance.fr (Name or service not known)",
    )
    user = make_user("cellule_crise")
    login(page, user.username, PASSWORD)
    page.goto("/donnees/")
    assert page.get_by_role("heading", name="Données publiques").is_visible()
    assert page.get_by_text("en échec").first.is_visible()
    screenshot("sources-catalogue")

    csv = tmp_path / "erp.csv"
    csv.write_bytes(
        "nom;capacité;ouverture\nGymnase Michelet;450;01/09/2015\nÉcole du Centre;320,5;02/09/2019\n".encode(
            "latin-1"
        )
    )
    page.get_by_label("Fichier (CSV, XLSX, GeoJSON, GeoPackage, Shapefile zippé)").set_input_files(str(csv))
    page.get_by_label("Nom du jeu de données").fill("erp-rueil")
    page.get_by_role("button", name="Vérifier et prévisualiser").click()
    assert page.get_by_text("Gymnase Michelet").is_visible()
    assert page.get_by_text("latin-1").first.is_visible()
    screenshot("sources-import-preview")
    page.get_by_role("button", name="Confirmer l'import").click()
    assert page.get_by_role("heading", name="erp-rueil").is_visible()
    screenshot("sources-dataset")
    assert page.js_errors == []
