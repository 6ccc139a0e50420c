import pytest

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.core.models import AuditEvent
from beffroi.territory import reference
from beffroi.territory.actions import do_add_communes
from beffroi.territory.models import Commune


def test_reference_has_real_commune_data(reference_communes):
    rueil = reference_communes["92063"]
    assert rueil.name == "Rueil-Malmaison"
    assert rueil.department == "92"
    assert rueil.population and rueil.population > 70000
    geometry = rueil.geometry_geojson()
    assert geometry["type"] in {"Polygon", "MultiPolygon"}
    lon, lat = (
        geometry["coordinates"][0][0][0]
        if geometry["type"] == "MultiPolygon"
        else geometry["coordinates"][0][0]
    )
    assert 2.0 < lon < 2.3 and 48.8 < lat < 48.95


def test_added_communes_carry_boundary_population_and_town_hall(territory):
    garches = Commune.objects.get(code="92033")
    assert garches.name == "Garches"
    assert garches.town_hall_phone
    assert garches.boundary["type"] in {"Polygon", "MultiPolygon"}
    assert AuditEvent.objects.filter(action="territory.add_commune", object_id="92033").exists()


@pytest.mark.django_db
def test_wrong_code_names_it_suggests_matches_and_changes_nothing():
    with pytest.raises(UserError) as caught:
        do_add_communes(["92033", "92603"], actor=SystemActor("cli"))
    text = str(caught.value)
    assert "'92603'" in text
    assert "Codes proches" in text
    assert Commune.objects.count() == 0  # all or nothing: Garches was not added either


def test_suggestions_by_name_fold_accents():
    codes = [code for code, _name, _dep in reference.suggest("nogent sur marne")]
    assert "94052" in codes
