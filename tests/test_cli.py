"""The console command: help for every subcommand, exit codes, clear messages for bad input."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from beffroi.cli import build_parser, main


def _run(*args, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEFFROI_")}
    env["BEFFROI_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "beffroi.settings"  # the real settings, not the suite's
    return subprocess.run(
        [sys.executable, "-m", "beffroi.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_help_lists_every_foundation_command():
    parser = build_parser()
    helptext = parser.format_help()
    for command in ("demo", "serve", "worker", "territory", "users", "tokens", "manage"):
        assert command in helptext


def test_every_subcommand_has_help_text():
    parser = build_parser()
    subactions = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"][0]
    for choice in subactions._choices_actions:
        assert choice.help, f"{choice.dest} has no help text"


def test_unknown_insee_code_exits_2_with_suggestions_and_no_traceback(tmp_path):
    result = _run("territory", "add", "92603", data_dir=tmp_path)  # typo for 92063
    assert result.returncode == 2, result.stderr
    assert "'92603'" in result.stderr
    assert "Codes proches" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_users_create_needs_a_known_commune(territory):
    os.environ["BEFFROI_TEST_PW"] = "une phrase de passe assez longue"
    try:
        assert (
            main(
                [
                    "users",
                    "create",
                    "alice",
                    "--role",
                    "lecteur",
                    "--commune",
                    "75056",
                    "--password-env",
                    "BEFFROI_TEST_PW",
                ]
            )
            == 2
        )
        assert (
            main(
                [
                    "users",
                    "create",
                    "alice",
                    "--role",
                    "pompier",
                    "--commune",
                    "92063",
                    "--password-env",
                    "BEFFROI_TEST_PW",
                ]
            )
            == 2
        )
        assert (
            main(
                [
                    "users",
                    "create",
                    "alice",
                    "--role",
                    "lecteur",
                    "--commune",
                    "92063",
                    "--password-env",
                    "BEFFROI_TEST_PW",
                ]
            )
            == 0
        )
    finally:
        del os.environ["BEFFROI_TEST_PW"]
    from django.contrib.auth.models import User

    alice = User.objects.get(username="alice")
    assert alice.check_password("une phrase de passe assez longue")
    assert list(alice.commune_memberships.values_list("commune_code", flat=True)) == ["92063"]
