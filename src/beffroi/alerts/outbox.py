"""Transactional outbox: enqueue with the publication, claim with a conditional UPDATE, send, retry.

Claiming works the same on SQLite and PostgreSQL: a worker picks candidate ids, then
``UPDATE ... SET claimed_by=me WHERE id IN (...) AND state='pending' AND (lease expired)``; only rows
it won are sent. A crashed worker's rows become claimable again when their lease expires; a live
worker renews the lease of what it is still sending (a heartbeat every third of the lease), so the
lease can be short (``OUTBOX_LEASE_SECONDS``, 10 s); the rows of a worker of this machine whose process
is gone are claimable at once (``alerts/workers.py``). The batch goes out concurrently, per channel
(``alerts/sending.py``), and each outcome is recorded as it arrives, so a crash repeats at most the
messages in flight (the channels' concurrency) and those answered since the last write. The
idempotency key travels as the SMTP Message-ID (a mailbox can drop the repeat); the SMS providers
(OVHcloud, Brevo) take no such key, so a worker killed between a provider's answer and the
record sends that one SMS again. Staff messages (``StaffMessage``) use the same rows and workers.
"""

from __future__ import annotations

import logging
import queue
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from beffroi.alerts.models import AlertVersion, Delivery, StaffMessage, Subscriber
from beffroi.alerts.workers import release_dead_workers, worker_name
from beffroi.core import audit
from beffroi.core.actors import SystemActor

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
GATHER_SECONDS = 0.01
PREPARE_CHUNK = 50  # rows prepared and handed to the engine between two writes of outcomes


def lease() -> timedelta:
    """How long a worker holds a claimed message (settings.OUTBOX_LEASE_SECONDS), read at each claim."""
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


# What a publication stages before moving it into the outbox in one statement. Plain types valid on
# SQLite and PostgreSQL: the outbox's own columns check lengths and references as the rows move in.
_STAGE = "alerts_outbox_stage"
_STAGED_COLUMNS = "channel, subscriber_id, recipient, language, idempotency_key"
_CREATE_STAGE = (
    f"CREATE TEMPORARY TABLE {_STAGE} (ordinal integer PRIMARY KEY, channel text NOT NULL,"
    " subscriber_id bigint NULL, recipient text NOT NULL, language text NOT NULL,"
    " idempotency_key text NOT NULL)"
)
_STAGE_ROW = f"INSERT INTO {_STAGE} (ordinal, {_STAGED_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)"  # noqa: S608


def enqueue(version: AlertVersion, rows, *, earlier: list[int] | None = None) -> int:
    """Insert the outbox rows of a version (call inside the publication's transaction).

    ``earlier``: ids of the incident's earlier messages (an Update or Cancel). Their recipients who
    are not in ``rows`` and have not unsubscribed since are added in SQL, once per channel and
    address, straight from their outbox rows (no Python loop over them); ``version.reach_parts``
    is set to the counts of both parts.

    The rows go through a temporary staging table: ``executemany`` into a table without indexes or
    foreign keys, then one ``INSERT ... SELECT`` into the outbox (same SQL on SQLite and PostgreSQL).
    One statement per row straight into the outbox cost ~40 % more on SQLite, where each statement
    reopens the table, its five indexes and its foreign-key checks, and ~80 % more on PostgreSQL
    (measured with 4,000 to 40,000 rows); the ORM's bulk_create costs ~10x more per row.
    Rows keep the order of ``rows`` (workers claim by id); a repeated idempotency key is queued once.
    """
    from django.db import connection

    table = connection.ops.quote_name(Delivery._meta.db_table)
    # The table name comes from the model; every value is a parameter.
    move = (
        f"INSERT INTO {table} (version_id, {_STAGED_COLUMNS},"  # noqa: S608
        " state, attempts, next_attempt_at, claimed_by, last_error, provider_id)"
        f" SELECT %s, {_STAGED_COLUMNS}, 'pending', 0, %s, '', '', '' FROM {_STAGE} ORDER BY ordinal"
    )
    version_id = version.pk
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    key_for = Delivery.key_for
    seen: set[str] = set()
    batch: list[tuple] = []
    # atomic: the staging table never outlives a failed enqueue, even outside a transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CREATE_STAGE)
        for channel, subscriber_id, recipient, language in rows:
            key = key_for(version_id, channel, recipient)
            if key in seen:
                continue
            seen.add(key)
            batch.append((len(seen), channel, subscriber_id, recipient, language or "fr", key))
            if len(batch) >= 5000:
                cursor.executemany(_STAGE_ROW, batch)
                batch = []
        if batch:
            cursor.executemany(_STAGE_ROW, batch)
        cursor.execute(move, [version_id, stamp])
        added = 0
        if earlier:
            added = _enqueue_earlier(cursor, version, earlier, stamp, in_area=len(seen))
        cursor.execute(f"DROP TABLE {_STAGE}")
    return len(seen) + added


def _enqueue_earlier(cursor, version: AlertVersion, earlier: list[int], stamp, *, in_area: int) -> int:
    """Add the earlier recipients not already staged; record both parts of the reach."""
    from django.db import connection

    from beffroi.alerts.models import Subscriber

    table = connection.ops.quote_name(Delivery._meta.db_table)
    subscribers = connection.ops.quote_name(Subscriber._meta.db_table)
    marks = ", ".join(["%s"] * len(earlier))
    # Staged rows are looked up by address for every earlier row: index them first.
    cursor.execute(f"CREATE INDEX {_STAGE}_address ON {_STAGE} (channel, recipient)")
    # Earlier rows still to reach: not sent to a subscriber who unsubscribed since.
    eligible = (
        f" FROM {table} d LEFT JOIN {subscribers} s ON s.id = d.subscriber_id"  # noqa: S608
        f" WHERE d.version_id IN ({marks}) AND (d.subscriber_id IS NULL OR s.unsubscribed_at IS NULL)"
    )
    staged = f"SELECT 1 FROM {_STAGE} t WHERE t.channel = d.channel AND t.recipient = d.recipient"  # noqa: S608
    cursor.execute(
        f"SELECT COUNT(*) FROM (SELECT d.channel, d.recipient {eligible}"  # noqa: S608
        f" AND EXISTS ({staged}) GROUP BY d.channel, d.recipient) both_parts",
        earlier,
    )
    both = int(cursor.fetchone()[0])
    # The key only has to be unique per (version, channel, recipient): the earlier row's id is.
    cursor.execute(
        f"INSERT INTO {table} (version_id, {_STAGED_COLUMNS},"  # noqa: S608
        " state, attempts, next_attempt_at, claimed_by, last_error, provider_id)"
        " SELECT %s, d.channel, MAX(d.subscriber_id), d.recipient, MAX(d.language),"
        " %s || CAST(MIN(d.id) AS VARCHAR(20)), 'pending', 0, %s, '', '', ''"
        f" {eligible} AND NOT EXISTS ({staged}) GROUP BY d.channel, d.recipient ORDER BY MIN(d.id)",
        [version.pk, f"v{version.pk}-earlier-", stamp, *earlier],
    )
    added = max(int(cursor.rowcount or 0), 0)
    version.reach_parts = {"in_area": in_area, "earlier": both + added, "both": both, "earlier_only": added}
    AlertVersion.objects.filter(pk=version.pk).update(reach_parts=version.reach_parts)
    return added


def enqueue_staff(message: StaffMessage, rows) -> int:
    """Queue a staff message: ``rows`` of (channel, recipient). Few rows: plain ORM inserts."""
    now = timezone.now()
    deliveries: dict[str, Delivery] = {}
    for channel, recipient in rows:
        key = Delivery.staff_key_for(message.pk, channel, recipient)
        deliveries.setdefault(
            key,
            Delivery(
                staff_message=message,
                channel=channel,
                recipient=recipient,
                idempotency_key=key,
                next_attempt_at=now,
            ),
        )
    Delivery.objects.bulk_create(deliveries.values())
    return len(deliveries)


def _gone(row: Delivery, reason: str) -> None:
    """The address no longer exists (push 404/410): end that subscription, recorded by the system."""
    if row.subscriber_id is None:
        return

    with transaction.atomic():
        Subscriber.objects.filter(pk=row.subscriber_id).update(
            unsubscribed_at=timezone.now(), push_keys={}, pending={}, pending_at=None
        )
        audit.record(
            SystemActor("outbox"),
            "alerts.subscription_gone",
            object_type="subscriber",
            object_id=str(row.subscriber_id),
            detail={"channel": row.channel, "reason": reason},
        )


def _claimable(now):
    return Q(state=Delivery.State.PENDING, next_attempt_at__lte=now) | Q(
        state=Delivery.State.SENDING, lease_until__lt=now
    )


def claim(worker: str, limit: int | None = None) -> list[Delivery]:
    """Take up to ``limit`` claimable rows for ``worker`` (``_claim``), the rows of this machine's
    dead workers among them (``alerts/workers.py``): looked for every few seconds, and whenever the
    claim comes up short, since the dead worker's rows are then all that is left to send."""
    size = limit or settings.OUTBOX_BATCH
    release_dead_workers(worker)
    rows = _claim(worker, size)
    if len(rows) < size and release_dead_workers(worker, at_once=True):
        rows += _claim(worker, size - len(rows))
    return rows


def _claim(worker: str, size: int) -> list[Delivery]:
    """Take up to ``size`` claimable rows for ``worker``: only the rows its conditional UPDATE won.

    On PostgreSQL the candidates are read ``FOR UPDATE SKIP LOCKED``, so that concurrent workers
    pick different rows instead of racing for the same ones (SQLite ignores it: its IMMEDIATE
    transaction already lets one worker at a time in). The conditional UPDATE stays what
    guarantees that no row is taken twice.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(_claimable(now))
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return []
        Delivery.objects.filter(_claimable(now), pk__in=ids).update(
            state=Delivery.State.SENDING, claimed_by=worker, lease_until=now + lease()
        )
    rows = list(Delivery.objects.filter(pk__in=ids, claimed_by=worker, state=Delivery.State.SENDING))
    # One object per version for the whole batch, read once (its texts and area are large JSON):
    # a join would decode them again for every row, and what render memoises on it is shared.
    versions = AlertVersion.objects.select_related("alert").in_bulk(
        {r.version_id for r in rows if r.version_id}
    )
    # Of a subscriber, sending reads its token (unsubscribe link) and push keys only: a join of
    # the whole row decoded its topics, points and pending change for every message (a third of
    # the claim's time).
    subscribers = Subscriber.objects.only("pk", "token", "push_keys").in_bulk(
        {r.subscriber_id for r in rows if r.subscriber_id}
    )
    staff = StaffMessage.objects.in_bulk({r.staff_message_id for r in rows if r.staff_message_id})
    kept = []
    for row in rows:
        if row.subscriber_id:
            if row.subscriber_id not in subscribers:
                continue  # erased since the first read: its rows go with it (cascade)
            row.subscriber = subscribers[row.subscriber_id]
        if row.version_id:
            row.version = versions[row.version_id]
        if row.staff_message_id:
            row.staff_message = staff[row.staff_message_id]
        kept.append(row)
    return kept


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts * 5, 3600))


def renew(worker: str, ids: set[int]) -> set[int]:
    """Extend the lease of the rows ``worker`` still holds among ``ids``; return those it lost."""
    held = Delivery.objects.filter(pk__in=ids, claimed_by=worker, state=Delivery.State.SENDING)
    if held.update(lease_until=timezone.now() + lease()) == len(ids):
        return set()
    return ids - set(held.values_list("pk", flat=True))


_DELIVERED = (
    f"UPDATE {Delivery._meta.db_table} SET state = 'delivered', attempts = attempts + 1,"  # noqa: S608
    " provider_id = %s, delivered_at = %s, last_error = '' WHERE id = %s AND claimed_by = %s"
)


def _record(worker: str, outcomes: list[tuple[Delivery, object]], counts: dict[str, int]) -> None:
    """Write the outcomes of sent rows, in one transaction (one commit for many rows).

    Each write is conditional on the row still being this worker's: a row another worker took back
    after a lost lease is recorded by that worker.
    """
    from django.db import connection

    from beffroi.alerts.channels import RecipientGone, TemporaryError

    gone: list[tuple[Delivery, str]] = []
    now = timezone.now()
    delivered = [(row, outcome) for row, outcome in outcomes if not isinstance(outcome, BaseException)]
    stamp = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic(), connection.cursor() as cursor:
        if delivered:
            # One prepared statement run for every delivered row (executemany): a Django update with
            # a CASE per row cost more in building and compiling the SQL than in running it.
            cursor.executemany(
                _DELIVERED,
                [(str(outcome or "")[:200], stamp, row.pk, worker) for row, outcome in delivered],
            )
            counts["delivered"] += len(delivered)
        for row, outcome in outcomes:
            if not isinstance(outcome, BaseException):
                continue
            mine = Delivery.objects.filter(pk=row.pk, claimed_by=worker)
            attempts = row.attempts + 1
            if isinstance(outcome, TemporaryError):
                done = attempts >= MAX_ATTEMPTS
                mine.update(
                    state=Delivery.State.FAILED if done else Delivery.State.PENDING,
                    attempts=attempts,
                    last_error=str(outcome)[:500],
                    next_attempt_at=now + backoff(attempts),
                    claimed_by="",
                )
                counts["failed" if done else "retry"] += 1
            else:  # RecipientGone, or permanent: the gateway refused this recipient
                if isinstance(outcome, RecipientGone):
                    gone.append((row, str(outcome)))
                else:
                    log.warning("alerts: delivery %s failed: %s", row.pk, outcome)
                mine.update(
                    state=Delivery.State.FAILED,
                    attempts=attempts,
                    last_error=str(outcome)[:500],
                    claimed_by="",
                )
                counts["failed"] += 1
    for row, reason in gone:
        _gone(row, reason)


def _outcome(send, arg) -> object:
    try:
        return send(arg)
    except Exception as exc:  # classified by _record
        return exc


def dispatch_once(worker: str | None = None, limit: int | None = None) -> dict[str, int]:
    """Claim one batch, send it concurrently (``alerts/sending.py``) and record each outcome."""
    return dispatch_all(worker, max_batches=1, limit=limit)


def dispatch_all(
    worker: str | None = None, *, max_batches: int = 1_000_000, limit: int | None = None
) -> dict[str, int]:
    """Send what is claimable, batch after batch, until a claim finds nothing (or ``max_batches``).

    The batches overlap: the next one is claimed and prepared while the current one is still out,
    as soon as fewer than half a batch of rows are outstanding, so the lanes never wait for a claim,
    a render or the slowest message of a batch. Outcomes are written as they arrive, a few at a
    time; a channel sends on only while fewer than twice its concurrency of its rows await their
    write, so a SIGKILL repeats at most that many messages per channel. While rows are out, their
    lease is renewed every third of it: a killed worker's rows are claimable again within
    ``OUTBOX_LEASE_SECONDS``, and rows a stalled worker lost to another are no longer sent by it.
    """
    flow = _Flow(worker_name(worker))
    size = limit or settings.OUTBOX_BATCH
    batches, exhausted = 0, False
    while True:
        if not exhausted and batches < max_batches and len(flow.out) <= size // 2:
            batches += 1
            exhausted = flow.feed(size) == 0
        if not flow.out:
            if exhausted or batches >= max_batches:
                return flow.counts
            continue
        flow.drain()


class _Flow:
    """One worker's rows out at the sending engine: fed by claims, drained as outcomes arrive."""

    def __init__(self, worker: str):
        from beffroi.alerts.sending import engine

        self.worker = worker
        self.counts = {"delivered": 0, "failed": 0, "retry": 0}
        self.results: queue.Queue = queue.Queue()
        self.cancelled: set[int] = set()  # rows whose lease was lost: the engine drops them
        self.out: dict[int, Delivery] = {}  # rows handed to the engine, awaiting their outcome
        self.futures: list = []
        self.engine = engine()
        self.beat = lease().total_seconds() / 3
        self.next_beat = time.monotonic() + self.beat

    def feed(self, size: int) -> int:
        """Claim up to ``size`` rows, prepare them and hand them to the engine; return how many.

        Prepared and handed over a few dozen rows at a time, with the outcomes that arrived in
        between written: a lane stops when twice its concurrency of its rows await their write, so
        a render of the whole batch before the next write would stall the lanes that long.
        """
        rows = claim(self.worker, size)
        for start in range(0, len(rows), PREPARE_CHUNK):
            self._hand_over(rows[start : start + PREPARE_CHUNK])
            self.drain(wait=0.0)
        return len(rows)

    def _hand_over(self, rows: list[Delivery]) -> None:
        from beffroi.alerts.channels import get_channel

        items: list[tuple[str, int, object]] = []
        one_by_one: list[tuple[Delivery, object]] = []
        for row in rows:
            channel = get_channel(row.channel)
            prepare = getattr(channel, "prepare", None)
            if prepare is None:  # a channel without a transport: sent here, one row at a time
                one_by_one.append((row, _outcome(channel.send, row)))
                continue
            payload = _outcome(prepare, row)
            if isinstance(payload, BaseException):
                one_by_one.append((row, payload))
            else:
                items.append((row.channel, row.pk, payload))
                self.out[row.pk] = row
        if one_by_one:
            _record(self.worker, one_by_one, self.counts)
        if items:
            report = self.results.put
            self.futures.append(
                self.engine.run(items, lambda row_id, outcome: report((row_id, outcome)), self.cancelled)
            )

    def drain(self, wait: float = 0.5) -> None:
        """Wait for outcomes (at most ``wait`` seconds), write what arrived, renew the leases when due."""
        from beffroi.alerts.sending import LOST

        arrived = []
        try:
            first = self.results.get(timeout=min(self.beat, wait)) if wait else self.results.get_nowait()
            arrived.append(first)
            # Gather what else arrives within a few milliseconds: one write (one commit) for many
            # rows costs about what a write for one does.
            gather_until = time.monotonic() + GATHER_SECONDS
            while len(arrived) < len(self.out):
                left = gather_until - time.monotonic()
                if left <= 0:
                    break
                arrived.append(self.results.get(timeout=left))
        except queue.Empty:
            pass
        done = []
        for row_id, outcome in arrived:
            row = self.out.pop(row_id, None)
            if row is not None and outcome is not LOST:
                done.append((row, outcome))
        if done:
            _record(self.worker, done, self.counts)
            self.engine.written([row.pk for row, _ in done])
        for future in [f for f in self.futures if f.done()]:
            self.futures.remove(future)
            if future.exception() is not None:
                log.error("alerts: sending stopped: %r", future.exception())
        if self.out and not self.futures and self.results.empty():
            # The engine stopped without an outcome for these rows: they wait out their lease.
            log.error("alerts: %s rows left without an outcome wait out their lease", len(self.out))
            self.out.clear()
        if self.out and time.monotonic() >= self.next_beat:
            self.cancelled |= renew(self.worker, set(self.out))
            self.next_beat = time.monotonic() + self.beat
