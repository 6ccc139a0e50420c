"""Who holds the outbox rows: a worker's name says which process it is, so a dead one is seen at once.

A claimed row carries its worker's name until its lease runs out. Waiting out the lease is the only
way to know that a worker on another machine has died; but a worker on this machine, in this PID
namespace, can be checked directly: if its process is gone (killed, out of memory, the machine's
supervisor restarting it), its rows are claimable again now, not ``OUTBOX_LEASE_SECONDS`` later.
That is the common case: the embedded mode and most towns' servers run every worker on one machine.

The name is ``<label>~<pid>@<place>``: ``place`` is a short digest of the host name, the PID
namespace and the boot, so that a process number is only ever read where it means that process. A
worker that is still running but stalled keeps its rows until their lease runs out, as before; a
process number reused since by another process only makes a worker wait for the lease (the safe
side).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import socket
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from beffroi.alerts.models import Delivery

log = logging.getLogger(__name__)
LABEL_CHARS = 20  # the name column holds 40: the label, "~", a process number and "@" + 8 hex


@functools.cache
def _place() -> str:
    try:
        namespace = os.readlink("/proc/self/ns/pid")
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""  # not Linux: no way to tell a process number's namespace, leases only
    return hashlib.sha256(f"{socket.gethostname()}\n{namespace}\n{boot}".encode()).hexdigest()[:8]


def worker_name(label: str | None = None) -> str:
    """A name for one dispatch run of this process (``label``: the operator's, else a random one:
    two runs in threads of one process must never share a name, each row's writes check it)."""
    label = (label or uuid.uuid4().hex[:12])[:LABEL_CHARS]
    place = _place()
    return f"{label}~{os.getpid()}@{place}" if place else label


def _process_of(name: str) -> int | None:
    """The process number in ``name`` when it was given on this machine and namespace, else None."""
    _, _, where = name.rpartition("~")
    pid, _, place = where.partition("@")
    if not place or place != _place() or not pid.isdigit():
        return None
    return int(pid)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it exists
    try:  # a killed process its parent has not reaped yet is a zombie: gone all the same
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True  # cannot tell: treat as alive, the lease decides


# When this process looks again (monotonic clock): a look costs a query, and a claim runs every few
# hundred messages, so it looks at most every third of a lease (like the heartbeat) unless asked.
_next_look = 0.0


def release_dead_workers(claimer: str, *, at_once: bool = False) -> int:
    """Make the rows of this machine's dead workers claimable now; return how many were released.

    Looks at most every third of a lease, or at once with ``at_once=True``; never at the rows of
    ``claimer``, the worker about to claim (it would take its own rows twice)."""
    global _next_look
    if not _place() or (not at_once and time.monotonic() < _next_look):
        return 0
    _next_look = time.monotonic() + settings.OUTBOX_LEASE_SECONDS / 3
    now = timezone.now()
    held = Delivery.objects.filter(state=Delivery.State.SENDING, lease_until__gte=now).exclude(
        claimed_by=claimer
    )
    released = 0
    for name in held.order_by().values_list("claimed_by", flat=True).distinct():
        pid = _process_of(name)
        if pid is None or _alive(pid):
            continue
        # Conditional on the name: rows another worker claimed meanwhile are not touched.
        count = held.filter(claimed_by=name).update(lease_until=now)
        if count:
            log.warning("alerts: worker %s is gone; its %s rows are claimable again", name, count)
            released += count
    return released
