from django.contrib.auth.models import Group

from beffroi.accounts.actions import do_create_token
from beffroi.accounts.models import ApiToken
from beffroi.accounts.roles import ROLES
from beffroi.core.actors import SystemActor


def test_every_role_exists_as_a_group_with_permissions(territory):
    for name in ROLES:
        group = Group.objects.get(name=name)
        assert group.permissions.filter(codename="view_commune").exists()


def test_token_is_stored_hashed_and_authenticates_the_api(client, make_user):
    user = make_user("cellule_crise", ["92063"])
    raw = do_create_token(user, "capteur", actor=SystemActor("cli"))
    stored = ApiToken.objects.get(user=user)
    assert raw not in (stored.digest, stored.prefix)
    response = client.get("/api/territory/communes", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert [c["code"] for c in response.json()] == ["92063"]
    assert client.get("/api/territory/communes", HTTP_AUTHORIZATION="Bearer bf_forged").status_code == 401


def test_every_declared_grant_names_an_existing_permission(db):
    from beffroi.accounts.roles import sync_roles

    assert sync_roles() == set()
