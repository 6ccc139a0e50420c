"""Saved crossings become map layers and are recomputed when their datasets change."""

import pytest
from django.core.exceptions import PermissionDenied

from beffroi.core.actors import SystemActor
from beffroi.crossing import demo
from beffroi.crossing.actions import do_save_crossing
from beffroi.crossing.selectors import saved_crossings, stale_crossings
from beffroi.crossing.tasks import recompute_stale

AREA = {
    "type": "Polygon",
    "coordinates": [[[2.170, 48.860], [2.205, 48.860], [2.205, 48.885], [2.170, 48.885], [2.170, 48.860]]],
}


@pytest.fixture
def catalogue(territory):
    demo.load(["92063", "92033", "94052"])


def test_save_list_and_recompute_when_a_dataset_changes(catalogue, make_user, client_for):
    user = make_user("cellule_crise")
    saved = do_save_crossing("Adresses au centre de Rueil", AREA, ["addresses"], actor=user)
    before = saved.result["layers"][0]["figures"]["total"]
    assert before > 0 and stale_crossings() == []

    # The address layer is replaced by a smaller one: the saved crossing is stale, then recomputed.
    import pyarrow.parquet as pq

    from beffroi.sources.actions import do_store_dataframe_dataset
    from beffroi.sources.selectors import get_dataset

    table = pq.read_table(get_dataset("addresses").parquet_path)
    do_store_dataframe_dataset(
        "addresses",
        table.slice(0, table.num_rows // 2),
        title="half",
        origin="test",
        licence="",
        synthetic=True,
        geometry_column="geometry",
        actor=SystemActor("cli"),
    )
    assert [s.pk for s in stale_crossings()] == [saved.pk]
    assert recompute_stale() == 1
    saved.refresh_from_db()
    assert 0 < saved.result["layers"][0]["figures"]["total"] < before
    assert stale_crossings() == []

    client = client_for("lecteur")
    layer = client.get("/api/crossing/saved").json()
    assert layer["features"][0]["properties"]["name"] == "Adresses au centre de Rueil"
    assert layer["features"][0]["geometry"]["type"] == "Polygon"


def test_readers_cannot_save_and_other_communes_do_not_see(catalogue, make_user, client_for):
    with pytest.raises(PermissionDenied):
        do_save_crossing("x", AREA, None, actor=make_user("lecteur"))
    do_save_crossing("Rueil", AREA, ["addresses"], actor=make_user("cellule_crise"))
    assert saved_crossings(user=make_user("lecteur", communes=["94052"])) == []
    client = client_for("cellule_crise")
    response = client.post(
        "/api/crossing/saved",
        {"name": "Via l'API", "area": AREA, "layers": ["addresses"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["properties"]["addresses"] > 0
