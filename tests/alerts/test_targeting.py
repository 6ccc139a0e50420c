"""Who an alert reaches, and the outbox rows it leaves: the stories behind the fast path.

``targeting.recipients`` narrows candidates in SQL and decodes topics once per distinct list;
``outbox.enqueue`` stages rows in a temporary table. These tests hold them to the plain rules: exact
area test, topics, every address point, commune when no point, webhooks, staff, and idempotency keys
that never change (gateways and workers deduplicate on them).
"""

from __future__ import annotations

import hashlib
import random

import pytest
import shapely
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from beffroi.alerts import outbox, targeting
from beffroi.alerts.area import area_geometry
from beffroi.alerts.models import AlertVersion, Delivery, Subscriber

from .conftest import RUEIL, draft

pytestmark = pytest.mark.django_db

# A triangle over Rueil: its bounding box holds many points that are outside it.
TRIANGLE = {
    "type": "Polygon",
    "coordinates": [[[2.16, 48.85], [2.22, 48.85], [2.16, 48.89], [2.16, 48.85]]],
}


def add_subscriber(n, *, points=(), commune=RUEIL, topics=(), channel="email", active=True, confirmed=True):
    """A subscriber as ``do_subscribe`` stores one: first point indexed, ``extra_points`` if several."""
    now = timezone.now()
    points = [[lon, lat, f"adresse {i}"] for i, (lon, lat) in enumerate(points)]
    return Subscriber(
        channel=channel,
        address=f"https://partner{n}.example.org/hook" if channel == "webhook" else f"s{n}@example.org",
        token=f"t{n}",
        topics=list(topics),
        commune=commune,
        points=points,
        lon=points[0][0] if points else None,
        lat=points[0][1] if points else None,
        extra_points=len(points) > 1,
        consent_at=now,
        confirmed_at=now if confirmed else None,
        unsubscribed_at=None if active else now,
        language="en" if n % 7 == 0 else "fr",
    )


def expected_subscribers(version: AlertVersion) -> set[tuple]:
    """The rule, written plainly: active citizens (not webhooks) for this hazard whose any address
    point is in the area (outline included), or without a point whose commune is in the area."""
    area = area_geometry(version.area)
    communes = version.area.get("communes") or []
    hazard = version.alert.hazard
    out = set()
    for s in Subscriber.objects.all():
        if not s.active or s.channel == Subscriber.Channel.WEBHOOK:
            continue
        if s.topics and hazard not in s.topics:
            continue
        located = [(p[0], p[1]) for p in s.points]
        inside = any(bool(shapely.intersects_xy(area, lon, lat)) for lon, lat in located)
        if inside or (not located and s.commune in communes):
            out.add((s.channel, s.pk, s.address, s.language))
    return out


@pytest.fixture
def population(territory):
    """300 subscribers around Rueil: in and out of the triangle, with topics, several addresses,
    no address (commune only), unconfirmed or unsubscribed, and partner webhooks."""
    rng = random.Random(20240611)
    topic_lists = [(), (), (), ("inondation",), ("canicule",), ("canicule", "inondation")]

    def point():  # over the triangle's bounding box and a margin around it
        return round(2.14 + rng.random() * 0.1, 6), round(48.83 + rng.random() * 0.08, 6)

    rows = []
    for n in range(300):
        if n % 10 == 0:
            points = []  # commune only
        elif n % 10 == 1:
            points = [point() for _ in range(rng.randint(2, 3))]
        else:
            points = [point()]
        rows.append(
            add_subscriber(
                n,
                points=points,
                commune=rng.choice([RUEIL, RUEIL, "92033"]),
                topics=rng.choice(topic_lists),
                channel="webhook" if n % 37 == 0 else rng.choice(["email", "sms", "webpush"]),
                active=n % 23 != 0,
                confirmed=n % 29 != 0,
            )
        )
    # On the outline and on a corner of the triangle: inside, as in the crossing app.
    rows.append(add_subscriber(1000, points=[(2.19, 48.85)]))
    rows.append(add_subscriber(1001, points=[(2.16, 48.89)]))
    Subscriber.objects.bulk_create(rows)


@pytest.mark.parametrize("communes", [[], [RUEIL]], ids=["polygon", "polygon-and-commune"])
def test_recipients_are_exactly_the_subscribers_the_rule_names(composer, population, communes):
    version = draft(composer, area={"polygon": TRIANGLE, "communes": communes}).latest()
    got = list(targeting.recipients(version))
    citizens = [r for r in got if r[0] != "webhook"]
    assert set(citizens) == expected_subscribers(version)
    assert len(citizens) == len(set(citizens))
    assert [r[1] for r in citizens] == sorted(r[1] for r in citizens)  # outbox order: by subscriber
    partners = Subscriber.objects.filter(
        channel="webhook", confirmed_at__isnull=False, unsubscribed_at__isnull=True, commune__in=[RUEIL, ""]
    )
    assert partners.exists()
    assert {r[2] for r in got if r[0] == "webhook"} == set(partners.values_list("address", flat=True))
    # The triangle leaves out points its bounding box holds; the commune brings in addressless ones.
    assert 20 < len(citizens) < 200


def test_a_point_in_the_box_but_outside_the_area_is_not_targeted(composer, territory):
    Subscriber.objects.bulk_create(
        [add_subscriber(1, points=[(2.17, 48.86)]), add_subscriber(2, points=[(2.21, 48.88)])]
    )
    version = draft(composer, area={"polygon": TRIANGLE}).latest()
    assert [r[2] for r in targeting.recipients(version)] == ["s1@example.org"]


def test_topics_choose_the_hazards_a_subscriber_receives(composer, territory):
    inside = (2.17, 48.86)
    Subscriber.objects.bulk_create(
        [
            add_subscriber(1, points=[inside]),
            add_subscriber(2, points=[inside], topics=["inondation"]),
            add_subscriber(3, points=[inside], topics=["canicule"]),
            add_subscriber(4, points=[inside], topics=["canicule", "inondation"]),
            add_subscriber(5, topics=["canicule"]),
            add_subscriber(6, topics=["inondation"]),
        ]
    )
    flood = draft(composer, area={"polygon": TRIANGLE, "communes": [RUEIL]}).latest()
    assert [r[2] for r in targeting.recipients(flood)] == [f"s{n}@example.org" for n in (1, 2, 4, 6)]
    heat = draft(composer, hazard="canicule", area={"polygon": TRIANGLE}).latest()
    assert [r[2] for r in targeting.recipients(heat)] == [f"s{n}@example.org" for n in (1, 3, 4, 5)]


def test_any_address_of_a_subscriber_in_the_area_is_enough(composer, territory):
    far, inside = (2.30, 48.80), (2.17, 48.86)
    Subscriber.objects.bulk_create(
        [
            add_subscriber(1, points=[far, inside]),  # first point outside, second inside
            add_subscriber(2, points=[inside, inside]),  # both inside: one message
            add_subscriber(3, points=[far, far]),
        ]
    )
    version = draft(composer, area={"polygon": TRIANGLE}).latest()
    assert [r[2] for r in targeting.recipients(version)] == ["s1@example.org", "s2@example.org"]


def test_a_subscriber_without_address_is_reached_through_the_commune(composer, territory):
    Subscriber.objects.bulk_create(
        [
            add_subscriber(1),
            add_subscriber(2, commune="92033"),
            add_subscriber(3, active=False),
            add_subscriber(4, confirmed=False),
        ]
    )
    version = draft(composer, area={"polygon": TRIANGLE, "communes": [RUEIL]}).latest()
    assert [r[2] for r in targeting.recipients(version)] == ["s1@example.org"]
    # The alert's commune is Rueil whatever the area says: a shape drawn in it reaches those who
    # subscribed to Rueil without an address, never those of another commune.
    polygon_only = draft(composer, area={"polygon": TRIANGLE}).latest()
    assert [r[2] for r in targeting.recipients(polygon_only)] == ["s1@example.org"]


def test_idempotency_keys_are_sha256_of_version_channel_recipient(composer, territory):
    """Workers and gateways deduplicate on these keys: their formula must never change."""
    assert (
        Delivery.key_for(12, "email", "a@example.org")
        == "ecfbfcb84f0b4d798822b2f39eb26bc459d43822923121e15bd31f73a0524f7a"
    )
    Subscriber.objects.bulk_create([add_subscriber(n, points=[(2.17, 48.86)]) for n in range(3)])
    version = draft(composer, area={"polygon": TRIANGLE}).latest()
    outbox.enqueue(version, targeting.recipients(version))
    stored = list(
        Delivery.objects.filter(version=version).values_list("channel", "recipient", "idempotency_key")
    )
    assert len(stored) == 3
    for channel, recipient, key in stored:
        assert key == hashlib.sha256(f"{version.pk}|{channel}|{recipient}".encode()).hexdigest()


def test_enqueue_keeps_the_order_and_queues_a_repeated_recipient_once(composer, territory):
    version = draft(composer).latest()
    sub = add_subscriber(1, points=[(2.17, 48.86)])
    sub.save()
    rows = [
        ("sms", None, "+33600000002", "fr"),
        ("email", sub.pk, sub.address, "en"),
        ("email", None, sub.address, "fr"),  # the same mailbox as a staff member: sent once
        ("webhook", None, "https://partner.example.org/hook", None),
        ("email", None, "cellule@example.org", "fr"),
    ]
    assert outbox.enqueue(version, rows) == 4
    stored = list(
        Delivery.objects.filter(version=version)
        .order_by("pk")
        .values_list("channel", "subscriber_id", "recipient", "language", "state", "attempts", "claimed_by")
    )
    assert stored == [
        ("sms", None, "+33600000002", "fr", "pending", 0, ""),
        ("email", sub.pk, sub.address, "en", "pending", 0, ""),
        ("webhook", None, "https://partner.example.org/hook", "fr", "pending", 0, ""),
        ("email", None, "cellule@example.org", "fr", "pending", 0, ""),
    ]
    assert all(d.next_attempt_at <= timezone.now() for d in Delivery.objects.filter(version=version))
    assert outbox.enqueue(draft(composer).latest(), []) == 0


def test_a_failed_enqueue_leaves_nothing_behind(composer, territory):
    version = draft(composer).latest()

    def rows():
        yield "email", None, "a@example.org", "fr"
        raise RuntimeError("the publication failed half way")

    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(version, rows())
    with pytest.raises(RuntimeError):
        outbox.enqueue(version, rows())  # outside any transaction of its own
    assert not Delivery.objects.filter(version=version).exists()
    # The staging table went with the failure: the next publication on this connection works.
    assert outbox.enqueue(version, [("email", None, "a@example.org", "fr")]) == 1
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM alerts_outbox_stage")
