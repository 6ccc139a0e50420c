"""Encryption at rest of the registry's personal data (AES-256-GCM, one key id per row).

Keys come from ``settings.REGISTRY_KEY`` (env ``BEFFROI_REGISTRY_KEY``): one or more urlsafe-base64
32-byte keys separated by commas, the first being the current one (the others are kept only to read
rows not yet re-encrypted by ``beffroi registry rotate-key``). In embedded mode without the variable, a
key file ``registry.keys`` is generated in ``settings.DATA_DIR`` with mode 0600 (and a warning is
logged); in server mode the variable is required.

A ciphertext is ``nonce (12 bytes) || AES-GCM(ciphertext + tag)``; the associated data binds it to its
row and purpose, so a value cannot be swapped between rows. The key id is the first 8 hex digits of
SHA-256(key), stored beside each row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from beffroi.core.errors import UserError

log = logging.getLogger(__name__)

KEY_FILE_NAME = "registry.keys"


class RegistryKeyError(RuntimeError):
    """No usable key for a row (key removed before rotation finished, or wrong key)."""


def key_id_of(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _decode_key(text: str, origin: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise UserError(
            f"{origin}: a registry key must be 32 bytes in urlsafe base64 "
            '(generate one with: python -c "import os,base64;print(base64.urlsafe_b64encode(os.urandom(32)).decode())")'  # noqa: E501
        )
    return raw


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]
    origin: str  # "env" or the key file path

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


_cache: dict[tuple, Keyring] = {}


def key_file() -> Path:
    return Path(settings.DATA_DIR) / KEY_FILE_NAME


def _read_key_file(path: Path) -> list[str]:
    data = json.loads(path.read_text())
    return list(data["keys"])


def _write_key_file(path: Path, keys: list[str]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(
            {"keys": keys, "note": "Beffroi registry keys; first = current. Keep a copy offline."}, handle
        )
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def keyring() -> Keyring:
    configured = getattr(settings, "REGISTRY_KEY", None)
    if configured:
        cache_key: tuple[Any, ...] = ("env", configured)
        if cache_key not in _cache:
            raw = [
                _decode_key(part, "BEFFROI_REGISTRY_KEY") for part in configured.split(",") if part.strip()
            ]
            _cache[cache_key] = Keyring(key_id_of(raw[0]), {key_id_of(k): k for k in raw}, "env")
        return _cache[cache_key]
    if getattr(settings, "SERVER_MODE", False):
        raise UserError(
            "BEFFROI_REGISTRY_KEY must be set in server mode (it encrypts the vulnerable-people registry)."
        )
    path = key_file()
    stat = path.stat() if path.exists() else None
    cache_key = ("file", str(path), stat.st_mtime_ns if stat else None)
    if cache_key in _cache:
        return _cache[cache_key]
    if stat is None:
        _write_key_file(path, [generate_key()])
        log.warning(
            "registry: no BEFFROI_REGISTRY_KEY; generated the key file %s (mode 0600). "
            "Back it up apart from the database: without it the registry cannot be read.",
            path,
        )
        return keyring()
    raw = [_decode_key(k, str(path)) for k in _read_key_file(path)]
    ring = Keyring(key_id_of(raw[0]), {key_id_of(k): k for k in raw}, str(path))
    _cache[cache_key] = ring
    return ring


def encrypt(plaintext: bytes, *, aad: str, ring: Keyring | None = None) -> tuple[str, str]:
    """Return (key_id, urlsafe-base64 token)."""
    ring = ring or keyring()
    nonce = os.urandom(12)
    sealed = AESGCM(ring.current).encrypt(nonce, plaintext, aad.encode())
    return ring.current_id, base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str, *, key_id: str, aad: str, ring: Keyring | None = None) -> bytes:
    ring = ring or keyring()
    key = ring.keys.get(key_id)
    if key is None:
        raise RegistryKeyError(f"registry key {key_id} is not configured")
    blob = base64.urlsafe_b64decode(token)
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], aad.encode())
    except InvalidTag:
        raise RegistryKeyError("registry record failed authentication (tampered or wrong key)") from None


def encrypt_json(data: dict, *, aad: str, ring: Keyring | None = None) -> tuple[str, str]:
    return encrypt(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), aad=aad, ring=ring)


def decrypt_json(token: str, *, key_id: str, aad: str, ring: Keyring | None = None) -> dict:
    return json.loads(decrypt(token, key_id=key_id, aad=aad, ring=ring))


def blind_index(value: str, *, ring: Keyring | None = None) -> str:
    """A keyed hash for duplicate detection: equal inputs match, the value cannot be recovered."""
    ring = ring or keyring()
    index_key = hmac.new(ring.current, b"beffroi-registry-blind-index", hashlib.sha256).digest()
    return hmac.new(index_key, value.encode(), hashlib.sha256).hexdigest()[:32]


def add_file_key() -> Keyring:
    """Embedded mode rotation: put a fresh key first in the key file, keep the old ones to read."""
    path = key_file()
    keys = _read_key_file(path) if path.exists() else []
    _write_key_file(path, [generate_key(), *keys])
    return keyring()


def prune_file_keys(used: set[str]) -> None:
    """After rotation, drop from the key file every key no row uses any more."""
    path = key_file()
    keys = _read_key_file(path)
    current = keys[0]
    kept = [k for i, k in enumerate(keys) if i == 0 or key_id_of(_decode_key(k, str(path))) in used]
    if kept != keys:
        _write_key_file(path, kept)
    assert kept[0] == current
