"""Exports: the préfet's (R121-8, explicit act, field-filtered, encrypted for its recipient, logged)
and the single-record subject access export (R121-10).

Sealed file format "BEFFROI-SEALED-1" (documented in docs/registry.md), readable with
``beffroi registry open-export`` or the 15-line Python snippet of the docs:

    magic        8 bytes  b"BFRSEAL1"
    header_len   4 bytes  big-endian unsigned
    header       JSON, UTF-8: {"format": "BEFFROI-SEALED-1", "kdf": "scrypt", "n", "r", "p", "salt" (b64),
                              "cipher": "AES-256-GCM", "nonce" (b64), "content_type", "filename", "created"}
    ciphertext   AES-256-GCM(key = scrypt(passphrase, salt, n, r, p, 32), nonce, plaintext,
                             associated data = the header bytes)
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import secrets
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor
from beffroi.core.audit import record as audit
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import allowed_system, require
from beffroi.core.spreadsheet import neutralise_row
from beffroi.registry import access
from beffroi.registry.schema import FIELD_LABELS, R121_4_FIELDS
from beffroi.territory.selectors import communes as territory_communes

MAGIC = b"BFRSEAL1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
# The préfet gets the identity and situation fields; who asked for the inscription stays in the CCAS.
PREFECT_DEFAULT_FIELDS = [f for f in R121_4_FIELDS if not f.startswith("third_party_")]
MIN_PASSPHRASE = 12


def new_passphrase() -> str:
    words = secrets.token_urlsafe(18)
    return "-".join(words[i : i + 6] for i in range(0, 24, 6))


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def seal_bytes(plaintext: bytes, passphrase: str, *, content_type: str, filename: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise UserError(
            f"The passphrase must be at least {MIN_PASSPHRASE} characters.",
            [Problem("too short", field="passphrase")],
        )
    salt, nonce = os.urandom(16), os.urandom(12)
    header = json.dumps(
        {
            "format": "BEFFROI-SEALED-1",
            "kdf": "scrypt",
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": base64.b64encode(salt).decode(),
            "cipher": "AES-256-GCM",
            "nonce": base64.b64encode(nonce).decode(),
            "content_type": content_type,
            "filename": filename,
            "created": timezone.now().isoformat(),
        },
        separators=(",", ":"),
    ).encode()
    key = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return MAGIC + struct.pack(">I", len(header)) + header + AESGCM(key).encrypt(nonce, plaintext, header)


def open_sealed(blob: bytes, passphrase: str, *, label: str = "") -> tuple[dict, bytes]:
    """The header and the clear content of a sealed export; a damaged or foreign file is a
    ``UserError`` naming ``label`` (the file), never a traceback."""
    where = f"{label} : " if label else ""
    if not blob.startswith(MAGIC) or len(blob) < 12:
        message = _("%(where)sce n'est pas un export chiffré de Beffroi (BEFFROI-SEALED-1).") % {
            "where": where
        }
        raise UserError(message, [Problem(message, file=label or None, field="file")])
    (length,) = struct.unpack(">I", blob[8:12])
    header_bytes = blob[12 : 12 + length]
    try:
        header = json.loads(header_bytes)
        salt, nonce = base64.b64decode(header["salt"]), base64.b64decode(header["nonce"])
        n, r, p = int(header["n"]), int(header["r"]), int(header["p"])
        if not (2**10 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 16 and 1 <= p <= 4):
            raise ValueError("scrypt parameters out of range")  # a forged header must not exhaust memory
        key = _derive(passphrase, salt, n, r, p)
    except (ValueError, KeyError, TypeError, OverflowError, MemoryError):
        message = _("%(where)sexport chiffré endommagé : son en-tête est illisible.") % {"where": where}
        raise UserError(message, [Problem(message, file=label or None, field="header")]) from None
    try:
        plaintext = AESGCM(key).decrypt(nonce, blob[12 + length :], header_bytes)
    except (InvalidTag, ValueError):
        message = _("%(where)sphrase de passe erronée ou fichier endommagé.") % {"where": where}
        raise UserError(message, [Problem(message, file=label or None, field="passphrase")]) from None
    return header, plaintext


def do_export_prefect(
    commune: str, *, fields: list[str] | None, passphrase: str, reason: str, actor: Actor
) -> tuple[str, bytes]:
    """The préfet's copy: an explicit act with a reason, only the fields asked for, sealed, logged."""
    fields = list(fields or PREFECT_DEFAULT_FIELDS)
    unknown = [f for f in fields if f not in R121_4_FIELDS]
    if unknown:
        raise UserError(
            f"Unknown field(s): {', '.join(unknown)}.", [Problem("unknown", field=f) for f in unknown]
        )
    if not (reason or "").strip():
        raise UserError(
            "Give the reason of the transmission (e.g. the préfet's request).",
            [Problem("required", field="reason")],
        )
    if commune not in {c.code for c in territory_communes()}:
        message = _("Commune %(code)s : pas dans le territoire configuré.") % {"code": commune}
        raise UserError(message, [Problem(message, field="commune")])
    operator = allowed_system(actor, ("cli",))  # the operator at the server's shell
    if not operator:
        require(actor, "registry.export_prefect", commune)
    with transaction.atomic():
        rows = (
            _operator_rows(commune, fields, reason, actor)
            if operator
            else access.export_rows(actor, commune, fields, reason=reason, action="export_prefect")
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(neutralise_row(str(FIELD_LABELS[f]) for f in fields))
        for row in rows:
            writer.writerow(neutralise_row(row[f] or "" for f in fields))  # no formula runs
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        filename = f"registre-{commune}-{stamp}.csv"
        sealed = seal_bytes(
            buffer.getvalue().encode("utf-8-sig"), passphrase, content_type="text/csv", filename=filename
        )
        audit(
            actor,
            "registry.export_prefect",
            object_type="registry.export",
            object_id=filename,
            commune=commune,
            detail={"fields": fields, "rows": len(rows), "reason": reason[:200]},
        )
    return filename + ".bfrseal", sealed


def _operator_rows(commune: str, fields: list[str], reason: str, actor: Actor) -> list[dict]:
    """The CLI operator (no user account): same rows, logged as the operator."""
    from beffroi.registry.models import Person

    people = list(Person.objects.filter(commune_code=commune))
    access.log_access(actor, "export_prefect", commune, [p.public_id for p in people], reason=reason)
    return [{f: getattr(access.decrypt_person(p), f) for f in fields} for p in people]


def do_subject_access_export(public_id: str, *, reason: str, actor: Actor) -> tuple[str, bytes]:
    data = access.subject_access_export(actor, public_id, reason=reason)
    data["fields_labels"] = {f: str(FIELD_LABELS[f]) for f in R121_4_FIELDS}
    audit(
        actor,
        "registry.export_subject",
        object_type="registry.person",
        object_id=public_id,
        commune=data["commune"],
    )
    return f"registre-donnees-{public_id}.json", json.dumps(data, ensure_ascii=False, indent=2).encode()
