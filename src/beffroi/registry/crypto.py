"""Encryption at rest of the registry's personal data (AES-256-GCM, one key id per row).

Keys come from ``settings.REGISTRY_KEY`` (env ``BEFFROI_REGISTRY_KEY``): one or more urlsafe-base64
32-byte keys separated by commas, the first being the current one (the others are kept only to read
rows not yet re-encrypted by ``beffroi registry rotate-key``). In embedded mode without the variable,
keys are read from the key file ``settings.REGISTRY_KEY_FILE`` (env ``BEFFROI_REGISTRY_KEY_FILE``,
default ``registry.keys`` in the data folder), which only ``beffroi registry init-key`` creates: a
missing file is an error, never a new key (a new key would silently start a second registry that
cannot read the first). In server mode the variable is required.

Keys cannot mix: a *verifier* (HMAC-SHA256 of a constant under the key, ``KeyVerifier`` row) is
stored with the data. Before any read or write, ``keyring()`` checks that the configured current key
is the registered one, and refuses with ``RegistryKeyError`` (a ``UserError``: exit 2 in the CLI, a
French 503 page on the web, a JSON problem in the API) so nothing is written under a wrong key. The
first use of an empty registry registers its key.

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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from beffroi.core.errors import Problem, UserError

log = logging.getLogger(__name__)

KEY_FILE_NAME = "registry.keys"


VERIFIER_CONSTANT = b"beffroi-registry-key-verifier-v1"
VERIFIED_FOR_SECONDS = 60  # a verified key is re-checked against the database after this delay


class RegistryKeyError(UserError):
    """No usable key: wrong key, missing key file, key removed before rotation finished.

    A ``UserError`` so the CLI exits 2 with the message; ``http_status`` is what the web page and the
    API answer (503: the registry is unavailable until the operator fixes the key, not a 500)."""

    http_status = 503

    def __init__(self, message: str) -> None:
        super().__init__(message, [Problem(message, field="BEFFROI_REGISTRY_KEY")])


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
_verified: dict[tuple, float] = {}


def key_file() -> Path:
    configured = getattr(settings, "REGISTRY_KEY_FILE", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / KEY_FILE_NAME


def _read_key_file(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_text())
        keys = list(data["keys"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RegistryKeyError(
            f"Fichier de clés du registre illisible : {path} ({type(exc).__name__}). "
            "Restaurez-le depuis sa sauvegarde."
        ) from None
    if not keys:
        raise RegistryKeyError(f"Fichier de clés du registre vide : {path}.")
    return keys


def _write_key_file(path: Path, keys: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(
            {"keys": keys, "note": "Beffroi registry keys; first = current. Keep a copy offline."}, handle
        )
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def load_keyring() -> Keyring:
    """The configured keys, not yet checked against the data (``keyring()`` checks)."""
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
        raise RegistryKeyError(
            "BEFFROI_REGISTRY_KEY doit être défini en mode serveur (elle chiffre le registre des "
            "personnes vulnérables)."
        )
    path = key_file()
    stat = path.stat() if path.exists() else None
    if stat is None:
        raise RegistryKeyError(
            f"Clé du registre introuvable : le fichier {path} n'existe pas. Restaurez-le depuis sa "
            "sauvegarde (le registre existant ne se lit qu'avec lui) ; pour un registre neuf seulement, "
            "créez-le avec « beffroi registry init-key »."
        )
    cache_key = ("file", str(path), stat.st_mtime_ns)
    if cache_key in _cache:
        return _cache[cache_key]
    raw = [_decode_key(k, str(path)) for k in _read_key_file(path)]
    ring = Keyring(key_id_of(raw[0]), {key_id_of(k): k for k in raw}, str(path))
    _cache[cache_key] = ring
    return ring


def load_keyring_configured_by_env() -> bool:
    return bool(getattr(settings, "REGISTRY_KEY", None))


def verifier_of(key: bytes) -> str:
    return hmac.new(key, VERIFIER_CONSTANT, hashlib.sha256).hexdigest()


def _mismatch(ring: Keyring, registered_id: str) -> RegistryKeyError:
    if registered_id in ring.keys:
        return RegistryKeyError(
            f"Rotation de clé en attente : la clé courante configurée ({ring.current_id}) n'est pas "
            f"encore celle du registre ({registered_id}). Lancez « beffroi registry rotate-key »."
        )
    return RegistryKeyError(
        f"La clé du registre configurée ({ring.current_id}) ne correspond pas aux données (clé "
        f"{registered_id} attendue). Rien n'est lu ni écrit : vérifiez BEFFROI_REGISTRY_KEY ou "
        "le fichier de clés."
    )


def verify(ring: Keyring, *, register: bool = True) -> None:
    """Refuse a configured key that is not the registry's (``RegistryKeyError``, nothing written).

    An empty registry registers the current key (when ``register``); rows written before verifiers
    existed must decrypt under the configured keys for the key to be registered.
    """
    from beffroi.registry.models import KeyVerifier, Person

    current = KeyVerifier.objects.filter(current=True).first()
    if current is None:
        sample = Person.objects.order_by("id").first()
        if sample is not None:
            from beffroi.registry.access import decrypt_person

            try:
                decrypt_person(sample, ring)
            except RegistryKeyError:
                raise _mismatch(ring, sample.key_id) from None
        if register:
            KeyVerifier.objects.get_or_create(
                key_id=ring.current_id, defaults={"verifier": verifier_of(ring.current), "current": True}
            )
        return
    if current.key_id != ring.current_id or not hmac.compare_digest(
        current.verifier, verifier_of(ring.current)
    ):
        raise _mismatch(ring, current.key_id)


def keyring() -> Keyring:
    """The configured keys, once checked against the registry's verifier (cached for a minute)."""
    ring = load_keyring()
    from django.db import connection

    token = (connection.alias, connection.settings_dict.get("NAME"), ring.current_id, ring.origin)
    if time.monotonic() - _verified.get(token, -1e9) > VERIFIED_FOR_SECONDS:
        verify(ring)
        _verified[token] = time.monotonic()
    return ring


def forget_verified() -> None:
    """Drop the cached verifications (after a rotation, a restore, or in tests)."""
    _verified.clear()


def init_key_file() -> Keyring:
    """``beffroi registry init-key``: create the key file of a new registry (never over an existing one)."""
    path = key_file()
    if path.exists():
        raise RegistryKeyError(f"Le fichier de clés {path} existe déjà : il n'est jamais remplacé.")
    from beffroi.registry.models import KeyVerifier, Person

    if KeyVerifier.objects.filter(current=True).exists() or Person.objects.exists():
        raise RegistryKeyError(
            "Le registre contient déjà des données chiffrées avec une autre clé : restaurez son fichier "
            f"de clés dans {path} au lieu d'en créer un nouveau."
        )
    _write_key_file(path, [generate_key()])
    ring = load_keyring()
    verify(ring)
    return ring


def encrypt(plaintext: bytes, *, aad: str, ring: Keyring | None = None) -> tuple[str, str]:
    """Return (key_id, urlsafe-base64 token)."""
    ring = ring or keyring()
    nonce = os.urandom(12)
    sealed = AESGCM(ring.current).encrypt(nonce, plaintext, aad.encode())
    return ring.current_id, base64.urlsafe_b64encode(nonce + sealed).decode()


_aeads: dict[bytes, AESGCM] = {}


def _aead(key: bytes) -> AESGCM:
    """One AESGCM object per key: building it costs as much as decrypting a record (a list of
    20,000 people decrypts 20,000 records in a row)."""
    aead = _aeads.get(key)
    if aead is None:
        if len(_aeads) > 16:  # keys come and go with rotations; never hold more than a few
            _aeads.clear()
        aead = _aeads[key] = AESGCM(key)
    return aead


def decrypt(token: str, *, key_id: str, aad: str, ring: Keyring | None = None) -> bytes:
    ring = ring or keyring()
    key = ring.keys.get(key_id)
    if key is None:
        raise RegistryKeyError(
            f"La clé {key_id} du registre n'est pas configurée (ligne chiffrée avec une autre clé)."
        )
    blob = base64.urlsafe_b64decode(token)
    try:
        return _aead(key).decrypt(blob[:12], blob[12:], aad.encode())
    except InvalidTag:
        raise RegistryKeyError(
            "Une donnée du registre ne s'authentifie pas (altérée ou mauvaise clé)."
        ) from None


def encrypt_json(data: dict, *, aad: str, ring: Keyring | None = None) -> tuple[str, str]:
    return encrypt(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), aad=aad, ring=ring)


def decrypt_json(token: str, *, key_id: str, aad: str, ring: Keyring | None = None) -> dict:
    # orjson: the standard parser took half the time of a 20,000-person call list.
    return orjson.loads(decrypt(token, key_id=key_id, aad=aad, ring=ring))


def blind_index(value: str, *, ring: Keyring | None = None) -> str:
    """A keyed hash for duplicate detection: equal inputs match, the value cannot be recovered."""
    ring = ring or keyring()
    index_key = hmac.new(ring.current, b"beffroi-registry-blind-index", hashlib.sha256).digest()
    return hmac.new(index_key, value.encode(), hashlib.sha256).hexdigest()[:32]


def add_file_key() -> Keyring:
    """Embedded mode rotation, asked explicitly (``rotate-key --new-key``): a fresh key first in the
    existing key file, the old ones kept to read. Never creates the file."""
    path = key_file()
    keys = _read_key_file(path)
    _write_key_file(path, [generate_key(), *keys])
    return load_keyring()


def prune_file_keys(used: set[str]) -> None:
    """After rotation, drop from the key file every key no row uses any more."""
    path = key_file()
    keys = _read_key_file(path)
    current = keys[0]
    kept = [k for i, k in enumerate(keys) if i == 0 or key_id_of(_decode_key(k, str(path))) in used]
    if kept != keys:
        _write_key_file(path, kept)
    if kept[0] != current:
        raise RegistryKeyError("Le fichier de clés a changé pendant la rotation.")
