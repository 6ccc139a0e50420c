"""Every refusal of the API has one shape, located and in French (English on request)."""

from __future__ import annotations

import pytest

from beffroi.accounts.actions import do_create_token
from beffroi.core.actors import SystemActor


@pytest.fixture
def headers(make_user):
    user = make_user("communication", ["92063"])
    return {"HTTP_AUTHORIZATION": f"Bearer {do_create_token(user, 'test', actor=SystemActor('cli'))}"}


def _post(client, path, body, headers, **extra):
    return client.post(path, body, content_type="application/json", **headers, **extra)


def test_alert_texts_given_as_a_string_is_a_located_400_not_a_500(client, headers):
    response = _post(
        client, "/api/alerts/", {"hazard": "canicule", "communes": ["92063"], "texts": "x"}, headers
    )
    assert response.status_code == 400
    body = response.json()
    assert body["located"] == [
        {"message": "objet JSON attendu", "field": "texts", "file": None, "line": None}
    ]
    assert body["problems"] == ["champ « texts » : objet JSON attendu"]
    assert body["detail"].startswith("Requête refusée")


def test_unknown_field_and_empty_communes_are_refused_by_the_schema(client, headers):
    response = _post(client, "/api/alerts/", {"hazard": "canicule", "communes": [], "colour": "red"}, headers)
    assert response.status_code == 400
    assert {p["field"] for p in response.json()["located"]} == {"communes", "colour"}


def test_nested_fields_are_located_by_their_path(client, headers):
    texts = {"fr": {"headline": "x" * 141}}
    response = _post(
        client, "/api/alerts/", {"hazard": "canicule", "communes": ["92063"], "texts": texts}, headers
    )
    assert response.status_code == 400
    assert response.json()["located"][0]["field"] == "texts.fr.headline"
    assert "140" in response.json()["located"][0]["message"]


def test_server_refusals_have_the_same_shape(client, headers):
    response = _post(
        client, "/api/alerts/", {"hazard": "canicule", "communes": ["92063"], "web": "ftp://x"}, headers
    )
    assert response.status_code == 400
    assert response.json()["located"][0]["field"] == "web"


def test_unreadable_body_bad_path_parameter_and_missing_token(client, headers):
    broken = client.post("/api/alerts/", "{", content_type="application/json", **headers)
    assert broken.status_code == 400 and "illisible" in broken.json()["detail"]
    bad_id = client.get("/api/crisis/abc/entries", **headers)
    assert bad_id.status_code == 400 and bad_id.json()["located"][0]["field"] == "crisis_id"
    anonymous = client.get("/api/crisis/")
    assert anonymous.status_code == 401 and anonymous.json()["detail"].startswith("Authentification requise")


def test_messages_are_english_on_request(client, headers):
    response = _post(
        client,
        "/api/alerts/",
        {"hazard": "canicule", "communes": ["92063"], "texts": "x"},
        headers,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.json()["located"][0]["message"] == "JSON object expected"


def test_unknown_crisis_is_refused_before_the_database(client, headers):
    response = _post(
        client, "/api/alerts/", {"hazard": "canicule", "communes": ["92063"], "crisis_id": 999}, headers
    )
    assert response.status_code == 400 and response.json()["located"][0]["field"] == "crisis_id"


def test_every_operation_documents_its_errors_with_the_shared_schema(client, headers):
    spec = client.get("/api/openapi.json", **headers).json()
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert operations
    for op in operations:
        assert "401" in op["responses"], op["operationId"]
        assert any(code.startswith("2") for code in op["responses"]), op["operationId"]
        for code, response in op["responses"].items():
            if code.startswith("4"):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (op["operationId"], code)


def test_text_the_databases_cannot_store_is_refused_with_a_400(client, headers):
    """A lone UTF-16 surrogate or a NUL byte is valid JSON but cannot be stored or sent back."""
    for text in ("Crue\\udb31", "Crue\\u0000"):
        body = '{"hazard": "inondation", "communes": ["92063"], "contact": "' + text + '"}'
        response = client.post("/api/alerts/", body, content_type="application/json", **headers)
        assert response.status_code == 400, response.content
        assert "illisible" in response.json()["detail"]
