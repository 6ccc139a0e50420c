"""Every ``beffroi`` command, given bad arguments or bad files, exits 2 with a message naming what is
wrong (file, line, field where there is one) and no traceback — never 1 (internal error).

``CASES`` is a table of command lines; ``test_every_command_is_walked`` reads the argument parser,
so a new subcommand without a row here (or a reason in ``NOT_WALKED``) fails.
"""

from __future__ import annotations

import argparse
import json
import logging

import pytest

from beffroi.cli import build_parser, main

UNCLOSED = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"n": 1},
            "geometry": {"type": "Point", "coordinates": [2.18, 48.84]},
        },
        {
            "type": "Feature",
            "properties": {"n": 2},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[2.18, 48.84], [2.19, 48.84], [2.19, 48.85], [2.18, 48.85]]],
            },
        },
    ],
}

FILES = {
    "ragged.csv": "a;b\n1;2\n3\n",
    "unclosed.geojson": json.dumps(UNCLOSED),
    "not_json.json": "{ceci n'est pas du JSON",
    "points.json": json.dumps({"points": [{"series": "s", "at": "hier", "value": "x"}]}),
    "corrupt.sealed": "BEFFROI-SEALED-1\nce fichier est abîmé\n",
    "garbage.sealed": "\x00\x01\x02 pas un export",
    "bad.yaml": "name: [unterminated\n",
    "scenario.yaml": "name: x\n",  # a scenario without hazard, communes or injects
    "cap.xml": "<alert>pas du CAP</alert>",
    "registry.csv": "nom;prénom\nDupont\n",
    "pass.txt": "une phrase de passe",
}

# (command line, text the message must hold); {tmp} is the folder holding FILES.
CASES: list[tuple[list[str], str]] = [
    (["territory", "add", "00000"], "00000"),
    (
        [
            "users",
            "create",
            "alice",
            "--role",
            "godzilla",
            "--commune",
            "92033",
            "--password-env",
            "BEFFROI_TEST_PW",
        ],
        "godzilla",
    ),
    (
        [
            "users",
            "create",
            "alice",
            "--role",
            "lecteur",
            "--commune",
            "00000",
            "--password-env",
            "BEFFROI_TEST_PW",
        ],
        "00000",
    ),
    (
        [
            "users",
            "create",
            "a" * 151,
            "--role",
            "lecteur",
            "--commune",
            "92033",
            "--password-env",
            "BEFFROI_TEST_PW",
        ],
        "Identifiant",
    ),
    (["tokens", "create", "--user", "nobody"], "nobody"),
    (["tokens", "create", "--user", "nobody", "--days", "abc"], "--days"),
    (["sources", "import", "{tmp}/missing.csv", "--dataset", "x"], "missing.csv"),
    (["sources", "import", "{tmp}/ragged.csv", "--dataset", "x"], "ligne 3"),
    (["sources", "import", "{tmp}/ragged.csv", "--dataset", "Pas Un Nom"], "Pas Un Nom"),
    (["sources", "import", "{tmp}/unclosed.geojson", "--dataset", "zones"], "entité 2"),
    (
        ["sources", "import", "{tmp}/ragged.csv", "--dataset", "x", "--schema", "{tmp}/missing.json"],
        "missing.json",
    ),
    (["sources", "show", "inconnu"], "inconnu"),
    (["sources", "add", "godzilla", "--name", "x"], "godzilla"),
    (["sources", "add", "hubeau", "--name", "x", "--option", "sans-egal"], "sans-egal"),
    (["sources", "run", "inconnu"], "inconnu"),
    (["sources", "layers", "build", "abc"], "ABC"),
    (["crossing", "exposure", "--area", "{tmp}/missing.geojson"], "missing.geojson"),
    (["crossing", "exposure", "--area", "{tmp}/not_json.json"], "not_json.json"),
    (["crossing", "exposure", "--commune", "00000"], "00000"),
    (["crossing", "exposure", "--commune", "92033", "--hour", "25"], "--hour"),
    (["crossing", "scenario", "inconnu"], "inconnu"),
    (["crossing", "profile", "--user", "nobody"], "nobody"),
    (["monitoring", "ingest", "{tmp}/missing.json"], "missing.json"),
    (["monitoring", "ingest", "{tmp}/not_json.json"], "not_json.json"),
    (["monitoring", "ingest", "{tmp}/points.json"], "points[0]"),
    (["crisis", "verify-log", "abc"], "abc"),
    (["crisis", "verify-log", "999999"], "999999"),
    (["crisis", "verify-log", "{crisis}", "--head", "pas-un-hash"], "pas-un-hash"),
    (["crisis", "anchor", "abc"], "abc"),
    (["exercise", "run", "{tmp}/missing.yaml", "--check"], "missing.yaml"),
    (["exercise", "run", "{tmp}/bad.yaml", "--check"], "bad.yaml"),
    (["exercise", "run", "{tmp}/scenario.yaml", "--check"], "scenario.yaml"),
    (["exercise", "run", "{tmp}/scenario.yaml", "--speed", "abc"], "--speed"),
    (["alerts", "reach", "abc"], "abc"),
    (["alerts", "reach", "999999"], "999999"),
    (["alerts", "fralert", "999999"], "999999"),
    (["alerts", "verify-cap", "{tmp}/missing.xml"], "missing.xml"),
    (["alerts", "verify-cap", "{tmp}/cap.xml"], "cap.xml"),
    (["alerts", "dispatch", "--interval", "abc"], "--interval"),
    (["registry", "import", "{tmp}/missing.csv", "--commune", "92033"], "missing.csv"),
    (["registry", "import", "{tmp}/registry.csv", "--commune", "00000"], "00000"),
    (
        ["registry", "import", "{tmp}/registry.csv", "--commune", "92033", "--mapping", "sans-egal"],
        "sans-egal",
    ),
    (["registry", "export-prefect", "--commune", "00000", "--reason", "x", "--out", "{tmp}/out"], "00000"),
    (
        [
            "registry",
            "open-export",
            "{tmp}/missing.sealed",
            "--out",
            "{tmp}/o",
            "--passphrase-file",
            "{tmp}/pass.txt",
        ],
        "missing.sealed",
    ),
    (
        [
            "registry",
            "open-export",
            "{tmp}/corrupt.sealed",
            "--out",
            "{tmp}/o",
            "--passphrase-file",
            "{tmp}/pass.txt",
        ],
        "corrupt.sealed",
    ),
    (
        [
            "registry",
            "open-export",
            "{tmp}/garbage.sealed",
            "--out",
            "{tmp}/o",
            "--passphrase-file",
            "{tmp}/pass.txt",
        ],
        "garbage.sealed",
    ),
    (
        [
            "registry",
            "open-export",
            "{tmp}/corrupt.sealed",
            "--out",
            "{tmp}/o",
            "--passphrase-file",
            "{tmp}/nope.txt",
        ],
        "nope.txt",
    ),
    (
        [
            "registry",
            "nominate",
            "--user",
            "nobody",
            "--commune",
            "92033",
            "--signer",
            "M",
            "--decision-date",
            "2026-01-05",
        ],
        "nobody",
    ),
    (
        [
            "registry",
            "nominate",
            "--user",
            "agent",
            "--commune",
            "92033",
            "--signer",
            "M",
            "--decision-date",
            "hier",
        ],
        "--decision-date",
    ),
    (["reports", "pcs", "--out", "{tmp}/pcs.pdf", "--commune", "00000"], "00000"),
    (["reports", "retex", "abc", "--out", "{tmp}/r.pdf"], "abc"),
    (["reports", "retex", "999999", "--out", "{tmp}/r.pdf"], "999999"),
    (["demo", "--port", "abc"], "--port"),
    (["serve", "--port", "abc"], "--port"),
    (["worker", "--threads", "abc"], "--threads"),
]

# Commands without input a user could get wrong (they read only the database and settings).
NOT_WALKED = {
    "territory show",
    "sources list",
    "monitoring list",
    "monitoring check-stale",
    "monitoring publish-pages",
    "monitoring sync-derived",
    "crisis list",
    "alerts list",
    "public build-site",
    "registry rotate-key",
    "registry init-key",
    "registry reindex-cells",
    "crossing profile",
    "manage",  # Django's own commands
}


@pytest.fixture(autouse=True)
def django_already_set_up(monkeypatch):
    """``main()`` would set Django up again, and with it the logging handlers, bound to the stream
    pytest captures for this test only (closed afterwards: later log lines would fail)."""
    monkeypatch.setattr("beffroi.cli._setup_django", lambda: None)


@pytest.fixture
def bad_files(tmp_path):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refuses a malformed command line with exit 2
        code = exc.code if isinstance(exc.code, int) else 2
    captured = capsys.readouterr()
    return code, captured.err, captured.out


@pytest.mark.django_db
@pytest.mark.parametrize("argv,expected", CASES, ids=[" ".join(a)[:70] for a, _ in CASES])
def test_bad_input_exits_2_with_a_located_message_and_no_traceback(
    argv, expected, bad_files, territory, settings, capsys, caplog, monkeypatch
):
    import base64
    import os

    settings.REGISTRY_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
    settings.DATASETS_DIR = bad_files / "data"
    settings.PUBLIC_ROOT = bad_files / "public"
    from beffroi.accounts.actions import do_create_user
    from beffroi.core.actors import SystemActor
    from beffroi.crisis.actions import do_open_crisis

    monkeypatch.setenv("BEFFROI_TEST_PW", "une phrase de passe assez longue")
    cli = SystemActor("cli")
    do_create_user("agent", role="agent_ccas", communes=["92033"], password=None, actor=cli, validate=False)
    crisis = (
        do_open_crisis(
            hazard="inondation", communes=["92033"], level=2, exercise=True, title="Crue", actor=cli
        )
        if "{crisis}" in argv
        else None
    )
    argv = [
        a.replace("{tmp}", str(bad_files)).replace("{crisis}", str(getattr(crisis, "pk", ""))) for a in argv
    ]
    had_mode = "BEFFROI_MODE" in os.environ
    try:
        with caplog.at_level(logging.ERROR):
            code, err, _out = _run(argv, capsys)
    finally:
        # ``serve``/``worker`` select the server mode in the environment (cli._select_mode): it must
        # not leak into the commands later tests start as subprocesses.
        if not had_mode:
            os.environ.pop("BEFFROI_MODE", None)
    assert code == 2, (code, err, caplog.text)
    assert expected in err, err
    assert "Traceback" not in err and not any(r.exc_info for r in caplog.records), caplog.text


@pytest.mark.django_db
def test_an_unclosed_ring_is_closed_with_repair_and_the_command_says_so(
    bad_files, territory, settings, capsys
):
    settings.DATASETS_DIR = bad_files / "data"
    argv = ["sources", "import", str(bad_files / "unclosed.geojson"), "--dataset", "zones", "--repair"]
    code, err, out = _run(argv, capsys)
    assert code == 0, err
    assert "1 anneau(x) non fermé(s) refermé(s)" in out + err


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return [c for name, sub in action.choices.items() for c in _commands(sub, (*prefix, name))]
    return [" ".join(prefix)]


def test_every_command_is_walked():
    walked = {" ".join(a[: 2 if len(a) > 1 and not a[1].startswith("-") else 1]) for a, _ in CASES}
    walked |= {" ".join(a[:3]) for a, _ in CASES}
    missing = [c for c in _commands(build_parser()) if c not in walked and c not in NOT_WALKED]
    assert not missing, f"commands without bad-input cases: {missing}"
