"""Typed reading of environment variables.

Settings fail loudly: a malformed value or a secret missing in server mode raises
``ConfigurationError`` naming the variable, before Django starts serving anything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def env_str(name: str, default: str | None = None, *, environ: Mapping[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    value = environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_required(name: str, why: str, *, environ: Mapping[str, str] | None = None) -> str:
    value = env_str(name, environ=environ)
    if value is None:
        raise ConfigurationError(f"{name} must be set ({why}).")
    return value


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    value = env_str(name, environ=environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be a boolean (true/false), got {value!r}.")


def env_int(name: str, default: int, *, environ: Mapping[str, str] | None = None) -> int:
    value = env_str(name, environ=environ)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {value!r}.") from None


def env_list(name: str, default: list[str], *, environ: Mapping[str, str] | None = None) -> list[str]:
    value = env_str(name, environ=environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(
    name: str, default: str, choices: tuple[str, ...], *, environ: Mapping[str, str] | None = None
) -> str:
    value = env_str(name, default, environ=environ) or default
    if value not in choices:
        raise ConfigurationError(f"{name} must be one of {', '.join(choices)}, got {value!r}.")
    return value
