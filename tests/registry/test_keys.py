"""Keys that cannot mix: a wrong key refuses everything (nothing written), a missing key file is never
replaced by a new key, and a rotation with a row under an unknown key reports it and finishes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from beffroi.cli import main as cli
from beffroi.registry import crypto
from beffroi.registry.checks import registry_key
from beffroi.registry.models import KeyVerifier, Person

from ..conftest import login_client
from .test_people import register

FIXTURES = Path(__file__).parent.parent / "fixtures" / "registry"


@pytest.fixture
def wrong_key(settings, agent, person_raw):
    """A registry written under the fixture's key, then a different key configured."""
    register(agent, person_raw)
    settings.REGISTRY_KEY = crypto.generate_key()
    return settings.REGISTRY_KEY


def test_the_key_is_registered_by_its_verifier(agent, person_raw, registry_key):
    register(agent, person_raw)
    row = KeyVerifier.objects.get(current=True)
    key = crypto._decode_key(registry_key, "t")
    assert row.key_id == crypto.key_id_of(key) and row.verifier == crypto.verifier_of(key)
    assert registry_key not in row.verifier


def test_wrong_key_import_exits_2_in_french_and_writes_nothing(territory, wrong_key, capsys):
    before = Person.objects.count()
    code = cli(["registry", "import", str(FIXTURES / "registre-ccas.csv"), "--commune", "92063"])
    err = capsys.readouterr().err
    assert code == 2
    assert "ne correspond pas aux données" in err and "Traceback" not in err
    assert Person.objects.count() == before
    assert KeyVerifier.objects.count() == 1


def test_wrong_key_registration_writes_nothing(wrong_key, agent, person_raw):
    with pytest.raises(crypto.RegistryKeyError):
        register(agent, {**person_raw, "first_names": "Autre"})
    assert Person.objects.count() == 1


def test_wrong_key_web_page_is_a_french_503_not_a_500(wrong_key, agent, client):
    login_client(client, agent)
    response = client.get(reverse("registry:people", args=["92063"]))
    assert response.status_code == 503
    assert "ne correspond pas aux données" in response.content.decode()


def test_wrong_key_api_answers_a_json_problem(wrong_key, agent, client):
    login_client(client, agent)
    response = client.get("/api/registry/communes/92063/people")
    assert response.status_code == 503
    assert "ne correspond pas aux données" in response.json()["detail"]


def test_wrong_key_fails_the_system_check(wrong_key):
    errors = registry_key()
    assert [e.id for e in errors] == ["registry.E002"]


def test_missing_key_file_is_never_regenerated(settings, tmp_path, capsys, territory):
    settings.REGISTRY_KEY = None
    path = tmp_path / "elsewhere" / "registry.keys"
    settings.REGISTRY_KEY_FILE = str(path)
    with pytest.raises(crypto.RegistryKeyError) as exc:
        crypto.keyring()
    assert "init-key" in exc.value.message and "introuvable" in exc.value.message
    assert not path.exists()
    assert cli(["registry", "import", str(FIXTURES / "registre-ccas.csv"), "--commune", "92063"]) == 2
    assert not path.exists() and Person.objects.count() == 0
    assert [w.id for w in registry_key()] == ["registry.W001"]
    assert cli(["registry", "init-key"]) == 0
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert cli(["registry", "init-key"]) == 2  # never over an existing file
    assert "existe déjà" in capsys.readouterr().err


def test_init_key_refuses_when_data_exist_under_another_key(settings, tmp_path, agent, person_raw):
    register(agent, person_raw)
    settings.REGISTRY_KEY = None
    settings.REGISTRY_KEY_FILE = str(tmp_path / "registry.keys")
    with pytest.raises(crypto.RegistryKeyError):
        crypto.init_key_file()
    assert not (tmp_path / "registry.keys").exists()


def test_rotate_key_reports_a_row_under_an_unknown_key_and_finishes_the_others(
    settings, agent, person_raw, registry_key, capsys
):
    people = [register(agent, {**person_raw, "first_names": f"P{i}"}) for i in range(3)]
    stray = people[1]
    Person.objects.filter(pk=stray.pk).update(key_id="0badbeef")  # written under a key nobody has
    new_key = crypto.generate_key()
    settings.REGISTRY_KEY = f"{new_key},{registry_key}"
    code = cli(["registry", "rotate-key"])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    assert "1 inscription(s) sous une clé inconnue" in captured.err and stray.public_id in captured.err
    assert "Zorglubienne" not in captured.err + captured.out
    new_id = crypto.key_id_of(crypto._decode_key(new_key, "t"))
    ids = dict(Person.objects.values_list("public_id", "key_id"))
    assert ids[stray.public_id] == "0badbeef"
    assert [ids[p.public_id] for p in (people[0], people[2])] == [new_id, new_id]
    assert KeyVerifier.objects.get(current=True).key_id == new_id
    settings.REGISTRY_KEY = new_key  # the old key can go: everything readable is under the new one
    assert crypto.keyring().current_id == new_id


def test_rotate_key_with_the_key_file_never_adds_a_key_by_itself(settings, tmp_path, territory):
    settings.REGISTRY_KEY = None
    settings.REGISTRY_KEY_FILE = str(tmp_path / "registry.keys")
    crypto.init_key_file()
    before = json.loads((tmp_path / "registry.keys").read_text())["keys"]
    assert cli(["registry", "rotate-key"]) == 0
    assert json.loads((tmp_path / "registry.keys").read_text())["keys"] == before
    assert cli(["registry", "rotate-key", "--new-key"]) == 0
    after = json.loads((tmp_path / "registry.keys").read_text())["keys"]
    assert len(after) == 1 and after != before  # the new key, the unused old one pruned


def test_rotate_key_refuses_without_the_registered_key(wrong_key, capsys):
    assert cli(["registry", "rotate-key"]) == 2
    assert "rien n'a été modifié" in capsys.readouterr().err
