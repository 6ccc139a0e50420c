"""Verification of a crisis's main-courante hash chain."""

from __future__ import annotations

from dataclasses import dataclass

from beffroi.crisis.models import Crisis, LogChain, LogEntry
from beffroi.crisis.models.log import GENESIS, format_head


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    length: int
    head: str
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    @property
    def short_head(self) -> str:
        return format_head(self.head)


def verify(crisis: Crisis) -> ChainReport:
    """Walk the chain in order; name the first entry whose hash, link or number is wrong."""
    previous = GENESIS
    expected_seq = 1
    count = 0
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
            return ChainReport(False, count - 1, previous, entry.seq, entry.pk, problem)
        previous = entry.hash
        expected_seq += 1
    head = LogChain.objects.filter(crisis=crisis).first()
    if head is not None and (head.length != count or head.head_hash != previous):
        return ChainReport(
            False,
            count,
            previous,
            count + 1 if head.length > count else count,
            None,
            f"the chain head records {head.length} entries ending {head.head_hash[:16]}, "
            f"the log holds {count} ending {previous[:16]} (entries removed or added)",
        )
    return ChainReport(True, count, previous)
