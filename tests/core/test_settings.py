"""Settings fail loudly, naming the variable, and the embedded mode needs no external service."""

import json
import os
import subprocess
import sys

import pytest

from beffroi.core.env import (
    ConfigurationError,
    email_settings_from_url,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
)


def _start(env_overrides: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEFFROI_")}
    env.update(
        {"BEFFROI_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "beffroi.settings", **env_overrides}
    )
    return subprocess.run(
        [sys.executable, "-m", "beffroi.cli", "territory", "show"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_server_mode_without_secret_key_stops_naming_the_variable(tmp_path):
    result = _start(
        {
            "BEFFROI_MODE": "server",
            "BEFFROI_ALLOWED_HOSTS": "x.fr",
            "BEFFROI_REDIS_URL": "redis://127.0.0.1:6379/0",
        },
        tmp_path,
    )
    assert result.returncode == 2
    assert "BEFFROI_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_server_mode_without_allowed_hosts_stops_naming_the_variable(tmp_path):
    result = _start({"BEFFROI_MODE": "server", "BEFFROI_SECRET_KEY": "k" * 50}, tmp_path)
    assert result.returncode == 2
    assert "BEFFROI_ALLOWED_HOSTS" in result.stderr


def test_malformed_boolean_is_refused_with_its_name():
    with pytest.raises(ConfigurationError, match="BEFFROI_DEBUG"):
        env_bool("BEFFROI_DEBUG", False, environ={"BEFFROI_DEBUG": "peut-être"})


def test_typed_readers_parse_values():
    environ = {"A": "12", "B": "x, y ,,z", "C": "server"}
    assert env_int("A", 0, environ=environ) == 12
    assert env_list("B", [], environ=environ) == ["x", "y", "z"]
    assert env_choice("C", "embedded", ("embedded", "server"), environ=environ) == "server"
    with pytest.raises(ConfigurationError, match="A must be an integer"):
        env_int("A", 0, environ={"A": "douze"})


def test_rates_are_positive_numbers_named_when_wrong():
    assert env_float("R", 0.0, environ={"R": "2.5"}) == 2.5
    assert env_float("R", 7.0, environ={}) == 7.0
    with pytest.raises(ConfigurationError, match="BEFFROI_SMS_RATE must be a number"):
        env_float("BEFFROI_SMS_RATE", 0.0, environ={"BEFFROI_SMS_RATE": "vite"})
    with pytest.raises(ConfigurationError, match="BEFFROI_SMS_RATE must be a positive number"):
        env_float("BEFFROI_SMS_RATE", 0.0, environ={"BEFFROI_SMS_RATE": "-1"})


def test_email_url_becomes_smtp_settings():
    conf = email_settings_from_url("smtp://user%40x:p%40ss@mail.example.fr:587?tls=1")
    assert conf["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert conf["EMAIL_HOST"] == "mail.example.fr"
    assert conf["EMAIL_PORT"] == 587
    assert conf["EMAIL_HOST_USER"] == "user@x"
    assert conf["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert conf["EMAIL_USE_TLS"] is True
    assert conf["EMAIL_USE_SSL"] is False
    assert conf["EMAIL_TIMEOUT"] == 20
    with pytest.raises(ConfigurationError, match="BEFFROI_EMAIL_URL"):
        email_settings_from_url("ftp://nope")


def test_plain_smtp_url_defaults_to_port_25_without_credentials():
    conf = email_settings_from_url("smtp://127.0.0.1")
    assert (conf["EMAIL_HOST"], conf["EMAIL_PORT"]) == ("127.0.0.1", 25)
    assert (conf["EMAIL_HOST_USER"], conf["EMAIL_HOST_PASSWORD"]) == ("", "")
    assert conf["EMAIL_USE_TLS"] is False and conf["EMAIL_USE_SSL"] is False


def test_smtps_url_means_implicit_tls_on_port_465():
    conf = email_settings_from_url("smtps://u:p@mail.example.fr")
    assert conf["EMAIL_PORT"] == 465
    assert conf["EMAIL_USE_SSL"] is True
    assert conf["EMAIL_USE_TLS"] is False
    assert email_settings_from_url("smtps://u:p@mail.example.fr:2465")["EMAIL_PORT"] == 2465


def test_console_and_file_urls_pick_the_local_backends():
    assert email_settings_from_url("console://") == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }
    conf = email_settings_from_url("file:///var/spool/beffroi-mail")
    assert conf == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": "/var/spool/beffroi-mail",
    }


def test_malformed_mail_port_is_refused_with_the_variable_name():
    with pytest.raises(ConfigurationError, match="BEFFROI_EMAIL_URL"):
        email_settings_from_url("smtp://mail.example.fr:douze")


def test_test_settings_keep_tasks_immediate_and_mail_in_memory(settings):
    # The suite's own module (tests/settings.py), not a test switch inside beffroi.settings.
    assert settings.SETTINGS_MODULE == "tests.settings"
    assert settings.HUEY["immediate"] is True
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"


def test_real_settings_queue_tasks_and_write_mail_to_files(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEFFROI_")}
    env.update({"BEFFROI_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "beffroi.settings"})
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.HUEY['immediate'], s.EMAIL_BACKEND, s.DATABASES['default']['CONN_MAX_AGE'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    assert out == ["False", "django.core.mail.backends.filebased.EmailBackend", "60"]


def test_source_urls_and_keys_come_from_their_variables(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEFFROI_")}
    env.update(
        {
            "BEFFROI_DATA_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "beffroi.settings",
            "BEFFROI_HUBEAU_URL": "http://127.0.0.1:9/hubeau",
            "BEFFROI_DATAGOUV_TABULAR_URL": "http://127.0.0.1:9/tabular",
            "BEFFROI_PRIM_API_KEY": "pr1m",
        }
    )
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SOURCE_URLS, s.SOURCE_API_KEYS]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True
    ).stdout
    urls, keys = json.loads(out)
    assert urls == {"hubeau": "http://127.0.0.1:9/hubeau", "datagouv_tabular": "http://127.0.0.1:9/tabular"}
    assert keys == {"BEFFROI_PRIM_API_KEY": "pr1m"}
