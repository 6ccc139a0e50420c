"""System checks at start: the disclosure settings, and the registry key against the data."""

from __future__ import annotations

from django.core.checks import Error, Warning, register
from django.db import DatabaseError

from beffroi.registry import crypto


@register()
def disclosure_settings(app_configs=None, **kwargs):
    # Imported when the checks run, not when they are registered (every process, at start-up):
    # the disclosure control brings numpy and pyproj, which an outbox worker never uses.
    from beffroi.registry import disclosure

    return [Error(message, id="registry.E001") for message in disclosure.configuration_errors()]


@register()
def registry_key(app_configs=None, **kwargs):
    """A key that does not match the stored verifier stops the start (registry.E002). A missing key
    file is only a warning: a new install creates it with ``beffroi registry init-key``."""
    try:
        ring = crypto.load_keyring()
    except crypto.RegistryKeyError as exc:
        return [Warning(exc.message, id="registry.W001")]
    try:
        crypto.verify(ring, register=False)
    except crypto.RegistryKeyError as exc:
        return [Error(exc.message, id="registry.E002")]
    except DatabaseError:
        return []  # tables not migrated yet: nothing to check against
    return []
