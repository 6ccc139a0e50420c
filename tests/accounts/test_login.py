from django.core.cache import cache
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.core.models import AuditEvent
from tests.conftest import PASSWORD


def _login(client, username, password=PASSWORD):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR="10.0.0.1"
    )


def _code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_every_page_but_public_ones_requires_login(client, territory):
    assert client.get("/").status_code == 302
    assert client.get("/audit/").status_code == 302
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 200


def test_password_login_for_a_role_without_second_factor(client, make_user):
    user = make_user("cellule_crise")
    response = _login(client, user.username)
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.login", actor=user).exists()


def test_wrong_password_is_refused_without_saying_which_part(client, make_user):
    user = make_user("lecteur")
    response = _login(client, user.username, "wrong password")
    assert response.status_code == 200
    assert "incorrect" in response.content.decode()


def test_lockout_is_per_username_and_ip_and_spares_other_users(client, make_user, settings):
    cache.clear()
    target = make_user("cellule_crise")
    colleague = make_user("cellule_crise")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, target.username, "wrong password")
    locked = _login(client, target.username)
    assert locked.status_code == 429
    # The rest of the cell, on the same workstation, can still log in during the crisis.
    assert _login(client, colleague.username).status_code == 302


def test_registry_role_must_enrol_totp_then_log_in_verified(client, make_user):
    agent = make_user("agent_ccas")
    response = _login(client, agent.username)
    assert response.status_code == 302 and response["Location"].endswith("/accounts/login/otp/")
    page = client.get("/accounts/login/otp/")
    assert b"QR" in page.content
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    response = client.post("/accounts/login/otp/", {"token": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").wsgi_request.user.is_verified()


def test_wrong_totp_code_does_not_log_in(client, make_user):
    mayor = make_user("maire", totp=True)
    _login(client, mayor.username)
    response = client.post("/accounts/login/otp/", {"token": "000000"})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_logout_needs_post_and_ends_the_session(client, make_user):
    user = make_user("lecteur")
    _login(client, user.username)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302
