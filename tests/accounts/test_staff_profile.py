from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.accounts.actions import do_update_staff_profile
from beffroi.accounts.models import StaffProfile
from beffroi.core.audit import AuditEvent
from beffroi.core.errors import UserError
from tests.conftest import login_client

pytestmark = pytest.mark.django_db


def test_staff_member_sets_their_numbers_on_their_profile_page(client, make_user):
    user = make_user("cellule_crise")
    login_client(client, user)
    assert client.get("/accounts/profil/").status_code == 200
    response = client.post("/accounts/profil/", {"mobile": "06 12 34 56 78", "phone": "01.45.67.89.10"})
    assert response.status_code == 200 and "enregistrés" in response.content.decode()
    profile = StaffProfile.objects.get(user=user)
    assert (profile.mobile, profile.phone) == ("+33612345678", "+33145678910")
    event = AuditEvent.objects.filter(action="user.staff_profile").get()
    assert event.detail == {"changed": ["mobile", "phone"]} and "612345678" not in str(event.detail)


def test_bad_number_is_a_french_error_on_the_field(client, make_user):
    login_client(client, make_user("maire"))
    response = client.post("/accounts/profil/", {"mobile": "12ab", "phone": ""})
    assert response.status_code == 400
    assert "Numéro de téléphone invalide" in response.context["form"].errors["mobile"][0]
    overlong = client.post("/accounts/profil/", {"mobile": "0" * 300, "phone": ""})
    assert overlong.status_code == 400 and not StaffProfile.objects.exists()


def test_profile_page_needs_a_login(client, territory):
    assert client.get("/accounts/profil/").status_code == 302


def test_only_the_user_or_an_administrator_changes_a_profile(make_user):
    user, colleague, admin = (
        make_user("cellule_crise"),
        make_user("cellule_crise"),
        make_user("administrateur"),
    )
    with pytest.raises(PermissionDenied):
        do_update_staff_profile(user, mobile="0612345678", phone="", actor=colleague)
    do_update_staff_profile(user, mobile="0612345678", phone="", actor=admin)
    assert StaffProfile.objects.get(user=user).mobile == "+33612345678"
    with pytest.raises(UserError):
        do_update_staff_profile(user, mobile="+0", phone="", actor=admin)


def test_administrator_edits_profiles_in_the_admin_through_the_action(client, make_user, django_user_model):
    user = make_user("maire")
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 20)
    TOTPDevice.objects.create(user=root, name="totp", confirmed=True)
    login_client(client, root)  # the admin needs a session confirmed with the second factor
    response = client.post(
        "/admin/accounts/staffprofile/add/", {"user": user.pk, "mobile": "07 11 22 33 44", "phone": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert StaffProfile.objects.get(user=user).mobile == "+33711223344"
    assert AuditEvent.objects.filter(action="user.staff_profile", actor=root).exists()
