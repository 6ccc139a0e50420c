"""Verification of a crisis's main-courante hash chain, its attachments, and heads kept elsewhere.

The chain is plain SHA-256: whoever can write the database can rewrite an entry and recompute
every later hash, and the chain still verifies. What shows that rewrite is a head written down
outside the database (``HASH@N``: the hash of entry N) — on a printed handover sheet, in the
mayor's mailbox, in an RFC 3161 timestamp token — against which ``verify(..., head=...)`` checks.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from beffroi.core.errors import Problem, UserError
from beffroi.crisis.models import Crisis, LogChain, LogEntry
from beffroi.crisis.models.log import GENESIS, format_head

_HEAD = re.compile(r"^\s*([0-9a-fA-F]{64})@(\d+)\s*$")


@dataclass(frozen=True)
class Head:
    """A chain head as written down outside the database: the hash of entry number ``length``."""

    hash: str
    length: int

    def __str__(self) -> str:
        return f"{self.hash}@{self.length}"


def parse_head(value: str) -> Head:
    """``HASH@N`` (64 hex digits, ``@``, the entry count), as printed on a handover sheet."""
    match = _HEAD.match(value or "")
    if not match:
        raise UserError(
            _(
                "Tête de chaîne %(value)s incomprise : HASH@N attendu (64 chiffres "
                "hexadécimaux, « @ », nombre d'entrées)."
            )
            % {"value": repr(value)},
            [Problem(_("tête invalide"), field="head")],
        )
    return Head(match.group(1).lower(), int(match.group(2)))


@dataclass(frozen=True)
class AttachmentProblem:
    seq: int
    entry_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    length: int
    head: str
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""
    attachments: tuple[AttachmentProblem, ...] = field(default=())
    # Set when a head kept outside the database was checked: None (not checked), True or False.
    head_matches: bool | None = None
    head_reason: str = ""

    @property
    def short_head(self) -> str:
        return format_head(self.head)

    @property
    def anchor(self) -> str:
        return f"{self.head}@{self.length}"

    @property
    def all_ok(self) -> bool:
        """The chain links, every attachment matches its hash, and the outside head (if given)."""
        return self.ok and not self.attachments and self.head_matches is not False


def file_sha256(entry: LogEntry) -> str | None:
    """SHA-256 of an entry's attachment as it is on disk now; None when the file is gone."""
    sha = hashlib.sha256()
    try:
        with entry.attachment.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                sha.update(chunk)
    except (FileNotFoundError, OSError):
        return None
    return sha.hexdigest()


def attachment_problem(entry: LogEntry) -> str:
    """Why an entry's attachment cannot be trusted ("" when it matches the hash in the chain)."""
    if not entry.attachment:
        return ""
    if not entry.attachment_sha256:
        return "no hash was recorded for this attachment"
    digest = file_sha256(entry)
    if digest is None:
        return "the file is missing on disk"
    if digest != entry.attachment_sha256:
        return (
            f"the file on disk (sha256 {digest[:16]}) does not match the hash in the chain "
            f"({entry.attachment_sha256[:16]}): it was replaced or changed"
        )
    return ""


def verify(crisis: Crisis, *, head: Head | None = None) -> ChainReport:
    """Walk the chain in order; name the first entry whose hash, link or number is wrong, every
    attachment whose file no longer matches, and whether the first N entries reproduce ``head``."""
    previous = GENESIS
    expected_seq = 1
    count = 0
    attachments: list[AttachmentProblem] = []
    at_head: str | None = GENESIS if head is not None and head.length == 0 else None
    for entry in LogEntry.objects.filter(crisis=crisis).order_by("seq").iterator(chunk_size=2000):
        count += 1
        problem = ""
        if entry.seq != expected_seq:
            problem = f"entry number {expected_seq} is missing (found {entry.seq})"
        elif entry.prev_hash != previous:
            problem = "prev_hash does not match the hash of the previous entry"
        elif entry.compute_hash() != entry.hash:
            problem = "content does not match its hash (the row was changed)"
        if problem:
            return ChainReport(
                False, count - 1, previous, entry.seq, entry.pk, problem, attachments=tuple(attachments)
            )
        why = attachment_problem(entry)
        if why:
            attachments.append(AttachmentProblem(entry.seq, entry.pk, entry.attachment.name or "", why))
        previous = entry.hash
        if head is not None and entry.seq == head.length:
            at_head = entry.hash
        expected_seq += 1
    head_matches, head_reason = _compare(head, at_head, count)
    stored = LogChain.objects.filter(crisis=crisis).first()
    if stored is not None and (stored.length != count or stored.head_hash != previous):
        return ChainReport(
            False,
            count,
            previous,
            count + 1 if stored.length > count else count,
            None,
            f"the chain head records {stored.length} entries ending {stored.head_hash[:16]}, "
            f"the log holds {count} ending {previous[:16]} (entries removed or added)",
            attachments=tuple(attachments),
            head_matches=head_matches,
            head_reason=head_reason,
        )
    return ChainReport(
        True,
        count,
        previous,
        attachments=tuple(attachments),
        head_matches=head_matches,
        head_reason=head_reason,
    )


def _compare(head: Head | None, at_head: str | None, count: int) -> tuple[bool | None, str]:
    if head is None:
        return None, ""
    if at_head is None:
        return False, f"the log holds {count} entries, fewer than the {head.length} of the head"
    if at_head != head.hash:
        return False, (
            f"the first {head.length} entries end with hash {at_head[:16]}, the head kept outside "
            f"says {head.hash[:16]}: the log was rewritten since that head was written down"
        )
    return True, ""
