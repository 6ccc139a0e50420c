"""Server mode refuses to start without mail, registry key, public address or SMS gateway."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
from django.core.checks import run_checks

from beffroi.core.checks import server_mode_requirements

KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
COMPLETE = {
    "SERVER_MODE": True,
    "EMAIL_URL": "smtp://127.0.0.1:25",
    "REGISTRY_KEY": KEY,
    "PUBLIC_URL": "https://beffroi.example.fr",
    "SMS_URL": "http://127.0.0.1:9/sms",
    "SMS_SUBSCRIPTIONS": True,
}


def _errors(settings, **changes):
    for name, value in {**COMPLETE, **changes}.items():
        setattr(settings, name, value)
    return {e.id: e.msg for e in server_mode_requirements()}


def test_complete_server_configuration_passes(settings):
    assert _errors(settings) == {}


def test_embedded_mode_needs_none_of_them(settings):
    assert _errors(settings, SERVER_MODE=False, EMAIL_URL=None, REGISTRY_KEY=None, SMS_URL="") == {}


def test_missing_mail_url_is_named(settings):
    errors = _errors(settings, EMAIL_URL=None)
    assert list(errors) == ["beffroi.E001"]
    assert "BEFFROI_EMAIL_URL is not set" in errors["beffroi.E001"]


def test_missing_registry_key_is_named(settings):
    errors = _errors(settings, REGISTRY_KEY=None)
    assert list(errors) == ["beffroi.E002"]
    assert "BEFFROI_REGISTRY_KEY" in errors["beffroi.E002"]


@pytest.mark.parametrize("key", ["pas-une-clé!", base64.urlsafe_b64encode(b"short").decode()])
def test_malformed_registry_key_is_named(settings, key):
    errors = _errors(settings, REGISTRY_KEY=f"{KEY},{key}")
    assert list(errors) == ["beffroi.E003"]
    assert errors["beffroi.E003"].startswith("BEFFROI_REGISTRY_KEY")


@pytest.mark.parametrize("url", ["http://localhost:8000", "http://localhost:8000/"])
def test_default_public_url_is_refused(settings, url):
    errors = _errors(settings, PUBLIC_URL=url)
    assert list(errors) == ["beffroi.E004"]
    assert "BEFFROI_PUBLIC_URL" in errors["beffroi.E004"]


def test_sms_gateway_is_required_only_when_sms_subscriptions_are_offered(settings):
    errors = _errors(settings, SMS_URL="")
    assert list(errors) == ["beffroi.E005"]
    assert "BEFFROI_SMS_URL" in errors["beffroi.E005"]
    assert _errors(settings, SMS_URL="", SMS_SUBSCRIPTIONS=False) == {}


def test_the_checks_run_with_check_deploy(settings):
    _errors(settings, EMAIL_URL=None)
    ids = {e.id for e in run_checks(include_deployment_checks=True, tags=["beffroi"])}
    assert "beffroi.E001" in ids
    assert "beffroi.E001" not in {e.id for e in run_checks(tags=["beffroi"])}  # deploy-only


def _server_env(tmp_path, **overrides):
    # The e2e conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright's event loop; a server never has it.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BEFFROI_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "beffroi.settings",
            "BEFFROI_DATA_DIR": str(tmp_path),
            "BEFFROI_MODE": "server",
            "BEFFROI_SECRET_KEY": "k" * 50,
            "BEFFROI_ALLOWED_HOSTS": "beffroi.example.fr",
            "BEFFROI_REDIS_URL": "redis://127.0.0.1:6379/2",
            "BEFFROI_SSL_REDIRECT": "true",
            **overrides,
        }
    )
    return env


def test_worker_refuses_to_start_naming_every_missing_variable(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "beffroi.cli", "worker"],
        env=_server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    for name in ("BEFFROI_EMAIL_URL", "BEFFROI_REGISTRY_KEY", "BEFFROI_PUBLIC_URL", "BEFFROI_SMS_URL"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_check_deploy_passes_with_the_makefile_values(tmp_path):
    env = _server_env(
        tmp_path,
        BEFFROI_EMAIL_URL="smtp://127.0.0.1:25",
        BEFFROI_REGISTRY_KEY=KEY,
        BEFFROI_PUBLIC_URL="https://beffroi.example.fr",
        BEFFROI_SMS_URL="http://127.0.0.1:9/sms",
        BEFFROI_SECRET_KEY=base64.b64encode(os.urandom(48)).decode(),
    )
    result = subprocess.run(
        [sys.executable, "-m", "beffroi.cli", "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_public_form_offers_sms_only_when_sms_subscriptions_are_on(client, settings, territory):
    settings.SMS_URL = "brevo://key@/?sender=MAIRIE"  # a provider: SMS is offered only with one
    assert 'value="sms"' in client.get("/public/abonnement/").content.decode()
    settings.SMS_SUBSCRIPTIONS = False
    assert 'value="sms"' not in client.get("/public/abonnement/").content.decode()
