"""The header's FR / EN switch: the page answers in the language chosen, the choice is kept on the
staff member's profile and comes back at their next login, on any browser."""

from __future__ import annotations

import pytest

from beffroi.accounts.models import StaffProfile
from beffroi.core.audit import AuditEvent
from tests.conftest import PASSWORD, login_client

pytestmark = pytest.mark.django_db


def test_switching_to_english_answers_in_english_and_is_remembered(client, make_user):
    user = make_user("cellule_crise")
    login_client(client, user)
    assert "Se déconnecter" in client.get("/").content.decode()
    response = client.post("/i18n/langue/", {"language": "en", "next": "/veille/"})
    assert response.status_code == 302 and response["Location"] == "/veille/"
    assert response.cookies["django_language"].value == "en"
    page = client.get("/").content.decode()
    assert "Log out" in page and 'lang="en"' in page
    assert StaffProfile.objects.get(user=user).language == "en"
    assert AuditEvent.objects.filter(action="user.language", actor=user).exists()


def test_the_choice_comes_back_at_the_next_login_on_another_browser(client, make_user, django_user_model):
    from django.test import Client

    user = make_user("cellule_crise")
    StaffProfile.objects.create(user=user, language="en")
    other = Client()
    response = other.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    assert "Log out" in other.get("/").content.decode()


def test_the_login_page_has_the_switch_and_an_unknown_language_is_refused(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'action="/i18n/langue/"' in page and 'value="en"' in page
    response = client.post("/i18n/langue/", {"language": "de"})
    assert response.status_code == 400 and "Langue inconnue" in response.content.decode()
    english = client.post("/i18n/langue/", {"language": "en", "next": "/accounts/login/"})
    assert english.status_code == 302
    assert "Log in to Beffroi" in client.get("/accounts/login/").content.decode()


def test_the_next_address_never_leaves_the_site(client):
    response = client.post("/i18n/langue/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"
