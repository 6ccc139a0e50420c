"""The ``beffroi`` console command.

Exit codes: 0 success, 2 a user's bad input (message names file/line/field), 1 internal failure.
Each domain app may add subcommands in ``beffroi/<app>/cli.py`` with ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from beffroi import commands

APPS_WITH_CLI = (
    "accounts",
    "territory",
    "sources",
    "crossing",
    "monitoring",
    "crisis",
    "alerts",
    "public",
    "registry",
    "reports",
)
SERVER_COMMANDS = {"serve", "worker"}


def _select_mode(argv: list[str]) -> None:
    # serve and worker are the server-mode entry points unless told otherwise.
    if argv and argv[0] in SERVER_COMMANDS and "--embedded" not in argv:
        os.environ.setdefault("BEFFROI_MODE", "server")


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beffroi.settings")
    import django

    django.setup()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="beffroi", description="Beffroi: crisis cockpit for French communes, built on public open data."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.register(subparsers)
    for app in APPS_WITH_CLI:
        try:
            module = importlib.import_module(f"beffroi.{app}.cli")
        except ModuleNotFoundError as exc:
            if exc.name != f"beffroi.{app}.cli":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _select_mode(argv)
    from beffroi.core.env import ConfigurationError
    from beffroi.core.errors import UserError

    try:
        _setup_django()
    except ConfigurationError as exc:
        print(f"beffroi: configuration error: {exc}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    from beffroi.core.request_context import Origin, set_origin

    set_origin(Origin(channel="cli"))
    try:
        result = args.handler(args)
    except UserError as exc:
        print(f"beffroi: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:
        logging.getLogger("beffroi.cli").exception("command %s failed", args.command)
        print("beffroi: internal error (the traceback above is for the maintainers).", file=sys.stderr)
        return 1
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
