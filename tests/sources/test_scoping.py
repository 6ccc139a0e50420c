"""Each commune sees its own data: datasets, their preview, their CSV export and the API are cut
to the reader's communes; an administrator can show a dataset whole to every commune."""

from __future__ import annotations

import pyarrow as pa
import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from beffroi.core.actors import SystemActor
from beffroi.core.audit import AuditEvent
from beffroi.sources.actions import do_store_dataframe_dataset
from beffroi.sources.models import Dataset

pytestmark = pytest.mark.django_db

GARCHES, NOGENT, RUEIL = "92033", "94052", "92063"


def _addresses():
    """BAN-like addresses of the three communes (a commune column the BAN calls « code_insee »)."""
    return do_store_dataframe_dataset(
        "adresses",
        pa.table(
            {
                "numero": ["1", "2", "3", "4"],
                "nom_voie": ["rue de Garches", "rue de Nogent", "Grande Rue", "rue de Rueil"],
                "code_insee": [GARCHES, NOGENT, NOGENT, RUEIL],
            }
        ),
        title="Adresses",
        origin="BAN",
        licence="LO 2.0",
        actor=SystemActor("cli"),
    )


def _zones(territory):
    """A zone inside each commune: rows placed by their geometry (no commune column)."""
    by_code = {c.code: shapely.geometry.shape(c.boundary) for c in territory}
    names, wkb = [], []
    for code in (GARCHES, NOGENT):
        names.append(f"zone {code}")
        wkb.append(shapely.to_wkb(by_code[code].representative_point().buffer(0.001)))
    return do_store_dataframe_dataset(
        "zones",
        pa.table({"nom": names, "geom": wkb}),
        title="Zones",
        origin="test",
        licence="LO 2.0",
        geometry_column="geom",
        actor=SystemActor("cli"),
    )


def test_the_communes_of_a_dataset_come_from_its_commune_column_or_its_geometry(territory):
    addresses, zones = _addresses(), _zones(territory)
    assert (addresses.communes, addresses.commune_column, addresses.territory_wide) == (
        sorted([GARCHES, NOGENT, RUEIL]),
        "code_insee",
        False,
    )
    assert (zones.communes, zones.commune_column) == (sorted([GARCHES, NOGENT]), "")


def test_a_garches_reader_sees_only_garches_rows_everywhere(client_for, territory):
    _addresses()
    _zones(territory)
    client = client_for("lecteur", [GARCHES])
    page = client.get(reverse("sources:dataset", args=["adresses"])).content.decode()
    assert "rue de Garches" in page and "rue de Nogent" not in page and "rue de Rueil" not in page
    export = b"".join(client.get(reverse("sources:export", args=["adresses"])).streaming_content).decode()
    assert "rue de Garches" in export and "Nogent" not in export and "Rueil" not in export
    zones = b"".join(client.get(reverse("sources:export", args=["zones"])).streaming_content).decode()
    assert "zone 92033" in zones and "zone 94052" not in zones
    listed = {d["name"]: d for d in client.get("/api/sources/datasets").json()}
    assert set(listed) == {"adresses", "zones"}


def test_a_dataset_of_another_commune_is_not_even_named(client_for, territory):
    do_store_dataframe_dataset(
        "nogent-seul",
        pa.table({"code_insee": [NOGENT], "nom": ["Salle Émile-Zola"]}),
        title="Salles de Nogent",
        origin="test",
        licence="LO 2.0",
        actor=SystemActor("cli"),
    )
    client = client_for("lecteur", [GARCHES])
    assert "Salles de Nogent" not in client.get(reverse("sources:index")).content.decode()
    assert client.get(reverse("sources:dataset", args=["nogent-seul"])).status_code == 404
    assert client.get(reverse("sources:export", args=["nogent-seul"])).status_code == 404
    assert client.get("/api/sources/datasets/nogent-seul").status_code == 404
    assert "nogent-seul" not in {d["name"] for d in client.get("/api/sources/datasets").json()}
    nogent = client_for("lecteur", [NOGENT])
    assert nogent.get(reverse("sources:dataset", args=["nogent-seul"])).status_code == 200


def test_a_file_without_places_belongs_to_the_communes_of_whoever_imported_it(client_for, territory):
    cell = client_for("cellule_crise", [NOGENT])
    staged = cell.post(
        reverse("sources:upload"),
        {
            "file": SimpleUploadedFile("stock.csv", "objet;quantité\nlits;40\n".encode(), "text/csv"),
            "dataset": "stock",
            "licence": "interne",
        },
    )
    cell.post(staged["Location"], {"action": "confirm"})
    assert Dataset.objects.get(name="stock").communes == [NOGENT]
    assert client_for("lecteur", [GARCHES]).get(reverse("sources:dataset", args=["stock"])).status_code == 404
    assert client_for("lecteur", [NOGENT]).get(reverse("sources:dataset", args=["stock"])).status_code == 200


def test_an_administrator_shows_a_dataset_whole_to_every_commune(client_for, territory):
    _addresses()
    garches = client_for("lecteur", [GARCHES])
    assert (
        garches.post(reverse("sources:dataset", args=["adresses"]), {"territory_wide": "1"}).status_code
        == 403
    )
    admin = client_for("administrateur", [])
    response = admin.post(reverse("sources:dataset", args=["adresses"]), {"territory_wide": "1"})
    assert response.status_code == 302 and Dataset.objects.get(name="adresses").territory_wide
    assert AuditEvent.objects.filter(action="sources.territory_wide").exists()
    export = b"".join(garches.get(reverse("sources:export", args=["adresses"])).streaming_content).decode()
    assert "rue de Nogent" in export and "rue de Rueil" in export
    _addresses()  # a new version of the file keeps the administrator's decision
    assert Dataset.objects.get(name="adresses").territory_wide


def test_data_fetched_for_the_territory_without_places_is_territory_wide(territory):
    dataset = do_store_dataframe_dataset(
        "vigilance",
        pa.table({"departement": ["92"], "couleur": ["jaune"]}),
        title="Vigilance",
        origin="Météo-France",
        licence="LO 2.0",
        actor=SystemActor("demo"),
    )
    assert dataset.territory_wide and dataset.communes == []
