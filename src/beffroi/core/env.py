"""Typed reading of environment variables.

Settings fail loudly: a malformed value or a secret missing in server mode raises
``ConfigurationError`` naming the variable, before Django starts serving anything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dj_email_url


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


def env_float(name: str, default: float, *, environ: Mapping[str, str] | None = None) -> float:
    """A number (``2.5``); refused when negative, since every such setting is a rate or a duration."""
    value = env_str(name, environ=environ)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {value!r}.") from None
    if number < 0 or number != number:
        raise ConfigurationError(f"{name} must be a positive number or 0, got {value!r}.")
    return number


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


EMAIL_SCHEMES = ("smtp", "smtps", "submission", "console", "file", "memory", "dummy")


def email_settings_from_url(url: str) -> dict[str, Any]:
    """Django's mail settings from ``BEFFROI_EMAIL_URL``, parsed by dj-email-url.

    Forms: ``smtp://user:pass@host:port`` (``?tls=1`` for STARTTLS, ``?ssl=1`` for implicit TLS),
    ``submission://…`` (STARTTLS on 587), ``smtps://…`` (implicit TLS on 465, as mail providers mean
    it; dj-email-url reads it as STARTTLS), ``console://``, ``file:///absolute/path``, ``memory://``.
    """
    parts = urlsplit(url)
    if parts.scheme not in EMAIL_SCHEMES:
        raise ConfigurationError(
            f"BEFFROI_EMAIL_URL scheme must be one of {', '.join(EMAIL_SCHEMES)}, got {parts.scheme!r}."
        )
    if parts.scheme == "smtps":
        url = urlunsplit(("smtp", parts.netloc, parts.path, parts.query, parts.fragment))
    try:
        conf = dj_email_url.parse(url)
    except ValueError as exc:  # a port that is not a number
        raise ConfigurationError(f"BEFFROI_EMAIL_URL is not a mail URL: {exc}") from None
    if parts.scheme == "smtps":
        conf.update(EMAIL_USE_SSL=True, EMAIL_USE_TLS=False, EMAIL_PORT=parts.port or 465)
    if parts.scheme == "file":
        conf["EMAIL_FILE_PATH"] = parts.path  # dj-email-url drops the leading slash
    if conf.get("EMAIL_BACKEND", "").endswith("smtp.EmailBackend"):
        conf["EMAIL_HOST_USER"] = conf.get("EMAIL_HOST_USER") or ""
        conf["EMAIL_HOST_PASSWORD"] = conf.get("EMAIL_HOST_PASSWORD") or ""
        conf["EMAIL_TIMEOUT"] = conf.get("EMAIL_TIMEOUT") or 20
    else:
        conf = {k: v for k, v in conf.items() if k in ("EMAIL_BACKEND", "EMAIL_FILE_PATH")}
        if parts.scheme != "file":
            conf.pop("EMAIL_FILE_PATH", None)
    return conf
