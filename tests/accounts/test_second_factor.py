"""Administrators and whoever records nominations work in sessions confirmed with a TOTP code."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.accounts.roles import requires_totp
from beffroi.registry.actions import do_nominate
from beffroi.registry.models import Nomination
from tests.conftest import login_client

pytestmark = pytest.mark.django_db


def test_an_administrator_logs_in_through_the_totp_step(client, make_user):
    admin = make_user("administrateur", [])
    admin.set_password("un mot de passe assez long")
    admin.save()
    response = client.post(
        "/accounts/login/", {"username": admin.username, "password": "un mot de passe assez long"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/login/otp/"
    assert "_auth_user_id" not in client.session  # not logged in before the code


def test_superusers_and_staff_need_the_second_factor(django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 20)
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    plain = django_user_model.objects.create_user("plain")
    assert requires_totp(root) and requires_totp(staff) and not requires_totp(plain)


def test_the_admin_sends_an_unconfirmed_session_to_beffroi_s_login(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 20)
    client.force_login(root)  # password only: no TOTP device confirmed in this session
    response = client.get("/admin/accounts/staffprofile/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=/admin/accounts/staffprofile/")
    assert 'name="otp_token"' not in response.content.decode()  # Beffroi's login, not a second form


def test_the_admin_opens_for_a_confirmed_session(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 20)
    TOTPDevice.objects.create(user=root, name="totp", confirmed=True)
    login_client(client, root)
    assert client.get("/admin/accounts/staffprofile/").status_code == 200


def test_a_mayor_without_the_second_factor_cannot_record_a_nomination(make_user):
    mayor = make_user("maire", ["92063"])  # a session object without is_verified()
    agent = make_user("agent_ccas", ["92063"])
    with pytest.raises(PermissionDenied, match="otp"):
        do_nominate(agent, "92063", decision_date=date(2026, 1, 5), signer="Le maire", actor=mayor)
    assert not Nomination.objects.exists()


def test_the_nomination_page_explains_the_missing_second_factor(client, make_user):
    mayor = make_user("maire", ["92063"])
    agent = make_user("agent_ccas", ["92063"])
    client.force_login(mayor)  # logged in without confirming a code
    response = client.post(
        "/registre/nominations/",
        {"user": agent.pk, "commune": "92063", "decision_date": "2026-01-05", "signer": "Le maire"},
    )
    assert response.status_code == 403
    assert "second facteur" in response.content.decode()
    assert not Nomination.objects.exists()


def test_a_confirmed_mayor_records_the_nomination_from_the_page(client, make_user):
    mayor = make_user("maire", ["92063"], totp=True)
    agent = make_user("agent_ccas", ["92063"])
    login_client(client, mayor)
    response = client.post(
        "/registre/nominations/",
        {"user": agent.pk, "commune": "92063", "decision_date": "2026-01-05", "signer": "Le maire"},
    )
    assert response.status_code == 302
    assert Nomination.objects.get().user == agent
