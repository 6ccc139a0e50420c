"""Transactional outbox: enqueue with the publication, claim with a conditional UPDATE, send, retry.

Claiming works the same on SQLite and PostgreSQL: a worker picks candidate ids, then
``UPDATE ... SET claimed_by=me WHERE id IN (...) AND state='pending' AND (lease expired)``; only rows
it won are sent. A crashed worker's rows become claimable again when their lease expires. Each row
is marked delivered right after its send, so a crash can repeat at most the in-flight row; the
idempotency key travels with every message (SMTP Message-ID, gateway ``Idempotency-Key``) so the
receiving side can drop such a repeat.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from beffroi.alerts.models import AlertVersion, Delivery

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=float(os.environ.get("BEFFROI_OUTBOX_LEASE_SECONDS", "30")))
MAX_ATTEMPTS = 6
BATCH = 200


def enqueue(version: AlertVersion, rows) -> int:
    """Insert the outbox rows of a version (call inside the publication's transaction).

    Plain parameterised ``executemany`` (same SQL on SQLite and PostgreSQL): the ORM's bulk_create
    costs ~10x more per row here, which matters for a 100,000-recipient alert.
    """
    from django.db import connection

    now = timezone.now()
    table = connection.ops.quote_name(Delivery._meta.db_table)
    # The table name comes from the model; every value is a parameter.
    sql = (
        f"INSERT INTO {table} (version_id, channel, subscriber_id, recipient, language, idempotency_key,"  # noqa: S608
        " state,"
        " attempts, next_attempt_at, claimed_by, last_error, provider_id)"
        " VALUES (%s, %s, %s, %s, %s, %s, 'pending', 0, %s, '', '', '')"
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    count = 0
    batch: list[tuple] = []
    seen: set[str] = set()
    with connection.cursor() as cursor:
        for channel, subscriber_id, recipient, language in rows:
            key = Delivery.key_for(version.pk, channel, recipient)
            if key in seen:
                continue
            seen.add(key)
            batch.append((version.pk, channel, subscriber_id, recipient, language or "fr", key, stamp))
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _claimable(now):
    return Q(state=Delivery.State.PENDING, next_attempt_at__lte=now) | Q(
        state=Delivery.State.SENDING, lease_until__lt=now
    )


def claim(worker: str, limit: int = BATCH) -> list[Delivery]:
    now = timezone.now()
    ids = list(Delivery.objects.filter(_claimable(now)).order_by("pk").values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    with transaction.atomic():
        Delivery.objects.filter(_claimable(now), pk__in=ids).update(
            state=Delivery.State.SENDING, claimed_by=worker, lease_until=now + LEASE
        )
    return list(
        Delivery.objects.filter(pk__in=ids, claimed_by=worker, state=Delivery.State.SENDING).select_related(
            "version__alert", "subscriber"
        )
    )


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts * 5, 3600))


def dispatch_once(worker: str | None = None, limit: int = BATCH) -> dict[str, int]:
    """Claim and send one batch; returns counts by outcome."""
    from beffroi.alerts.channels import TemporaryError, get_channel

    worker = worker or uuid.uuid4().hex[:12]
    counts = {"delivered": 0, "failed": 0, "retry": 0}
    for row in claim(worker, limit):
        # Renew the lease when half of it is gone: a slow batch never sends a row another worker
        # took back (the renewal fails once the row changed hands).
        now = timezone.now()
        if row.lease_until is None or row.lease_until - now < LEASE / 2:
            row.lease_until = now + LEASE
            if not Delivery.objects.filter(pk=row.pk, claimed_by=worker, state=Delivery.State.SENDING).update(
                lease_until=row.lease_until
            ):
                continue
        attempts = row.attempts + 1
        try:
            provider_id = get_channel(row.channel).send(row) or ""
        except TemporaryError as exc:
            done = attempts >= MAX_ATTEMPTS
            Delivery.objects.filter(pk=row.pk, claimed_by=worker).update(
                state=Delivery.State.FAILED if done else Delivery.State.PENDING,
                attempts=attempts,
                last_error=str(exc)[:500],
                next_attempt_at=now + backoff(attempts),
                claimed_by="",
            )
            counts["failed" if done else "retry"] += 1
            continue
        except Exception as exc:  # permanent: the gateway refused this recipient
            log.warning("alerts: delivery %s failed: %s", row.pk, exc)
            Delivery.objects.filter(pk=row.pk, claimed_by=worker).update(
                state=Delivery.State.FAILED, attempts=attempts, last_error=str(exc)[:500], claimed_by=""
            )
            counts["failed"] += 1
            continue
        Delivery.objects.filter(pk=row.pk, claimed_by=worker).update(
            state=Delivery.State.DELIVERED,
            attempts=attempts,
            provider_id=str(provider_id)[:200],
            delivered_at=timezone.now(),
            last_error="",
        )
        counts["delivered"] += 1
    return counts


def dispatch_all(worker: str | None = None, *, max_batches: int = 1_000_000) -> dict[str, int]:
    totals = {"delivered": 0, "failed": 0, "retry": 0}
    for _ in range(max_batches):
        counts = dispatch_once(worker)
        for k, v in counts.items():
            totals[k] += v
        if not any(counts.values()):
            break
    return totals
