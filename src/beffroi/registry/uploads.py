"""The spreadsheet an agent is importing, kept between the preview and the confirmation.

The agent checks the column mapping and the readings, changes a choice, checks again and confirms,
without uploading the file each time. The file holds the personal data of a whole registry, so it is
kept only in that agent's session (Django's database sessions), **encrypted with the registry key**
and bound to the user, the commune and a random token (AES-GCM associated data): another session, a
copy of the sessions table or another agent cannot read it. It is dropped once imported, when another
file replaces it, after ``TTL`` and at logout (the session is flushed). The mapping choices kept for
the next file are column headers only, never data.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass

from beffroi.registry import crypto

SESSION_KEY = "registry_import"
MAPPING_KEY = "registry_import_mapping"
MAX_BYTES = 5 * 1024 * 1024
TTL = 30 * 60


@dataclass
class Stashed:
    token: str
    filename: str
    content: bytes
    previewed: str  # fingerprint of the choices last previewed without problems ("" if none)


def _aad(user, commune: str, token: str) -> str:
    return f"registry.upload:{user.pk}:{commune}:{token}"


def stash(request, commune: str, filename: str, content: bytes) -> Stashed:
    token = secrets.token_urlsafe(16)
    key_id, sealed = crypto.encrypt(content, aad=_aad(request.user, commune, token))
    request.session[SESSION_KEY] = {
        "token": token,
        "commune": commune,
        "filename": filename,
        "key_id": key_id,
        "sealed": sealed,
        "at": time.time(),
        "previewed": "",
    }
    return Stashed(token, filename, content, "")


def load(request, commune: str, token: str) -> Stashed | None:
    entry = request.session.get(SESSION_KEY)
    if (
        not entry
        or entry.get("commune") != commune
        or not secrets.compare_digest(entry["token"], token or "")
    ):
        return None
    if time.time() - entry["at"] > TTL:
        discard(request)
        return None
    content = crypto.decrypt(entry["sealed"], key_id=entry["key_id"], aad=_aad(request.user, commune, token))
    return Stashed(entry["token"], entry["filename"], content, entry.get("previewed", ""))


def mark_previewed(request, fingerprint_value: str) -> None:
    entry = request.session.get(SESSION_KEY)
    if entry:
        entry["previewed"] = fingerprint_value
        request.session.modified = True


def discard(request) -> None:
    request.session.pop(SESSION_KEY, None)


def fingerprint(
    token: str, columns: dict[int, str], categories: dict[str, str], proofs_on_paper: bool
) -> str:
    """What the agent saw in the last clean preview; importing needs exactly these choices."""
    blob = json.dumps(
        [token, sorted(columns.items()), sorted(categories.items()), proofs_on_paper], ensure_ascii=False
    ).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(blob).digest()).decode()[:32]


def kept_mapping(request, commune: str) -> dict[str, str]:
    return dict((request.session.get(MAPPING_KEY) or {}).get(commune, {}))


def keep_mapping(request, commune: str, mapping: dict[str, str]) -> None:
    """Headers → fields the agent chose (not what the header alone gives), for the next file."""
    every = dict(request.session.get(MAPPING_KEY) or {})
    every[commune] = mapping
    request.session[MAPPING_KEY] = every
