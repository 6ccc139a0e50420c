"""Settings fail loudly, naming the variable, and the embedded mode needs no external service."""

import os
import subprocess
import sys

import pytest

from beffroi.core.env import ConfigurationError, env_bool, env_choice, env_int, env_list
from beffroi.core.mailurl import email_settings_from_url


def _start(env_overrides: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEFFROI_")}
    env.update({"BEFFROI_DATA_DIR": str(tmp_path), **env_overrides})
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


def test_email_url_becomes_smtp_settings():
    conf = email_settings_from_url("smtp://user%40x:p%40ss@mail.example.fr:587?tls=1")
    assert conf["EMAIL_HOST"] == "mail.example.fr"
    assert conf["EMAIL_PORT"] == 587
    assert conf["EMAIL_HOST_USER"] == "user@x"
    assert conf["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert conf["EMAIL_USE_TLS"] is True
    with pytest.raises(ConfigurationError, match="BEFFROI_EMAIL_URL"):
        email_settings_from_url("ftp://nope")
