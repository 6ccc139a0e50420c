"""Who receives a version: subscribers whose address falls in the area (crossing app), by topic.

Exercise and Test alerts go only to the version's test recipients. Updates and cancellations go to
exactly the recipients of the incident's original message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from beffroi.alerts.area import area_geojson
from beffroi.alerts.models import Alert, AlertVersion, Delivery, Subscriber


def _in_area(geojson: dict, points: list[tuple]) -> set:
    """Ids of the (id, lon, lat) points inside the area: the crossing app's exact test."""
    from beffroi.crossing.selectors import points_in_area

    return set(points_in_area(geojson, points))


def social_urls() -> list[str]:
    return [u.strip() for u in os.environ.get("BEFFROI_SOCIAL_URLS", "").split(",") if u.strip()]


def subscribers_in_area(version: AlertVersion) -> list[tuple[int, str, str, str]]:
    """(id, channel, address, language) of active subscribers in the area, for the alert's hazard.

    Candidates are narrowed in SQL by the area's bounding box (or by commune for subscribers without
    an address point); the exact point-in-area test is the crossing app's.
    """
    alert = version.alert
    geojson = area_geojson(version.area)
    from shapely.geometry import shape

    min_x, min_y, max_x, max_y = shape(geojson).bounds
    active = Subscriber.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True).exclude(
        channel=Subscriber.Channel.WEBHOOK
    )
    fields = ("pk", "channel", "address", "language", "topics", "lon", "lat")
    in_box = active.filter(lon__gte=min_x, lon__lte=max_x, lat__gte=min_y, lat__lte=max_y).values_list(
        *fields
    )
    no_point = active.filter(lon__isnull=True, commune__in=version.area.get("communes") or []).values_list(
        *fields
    )
    several = active.filter(extra_points=True).values_list(*fields, "points")
    rows: dict[int, tuple] = {}
    points: list[tuple] = []
    chosen: set[int] = set()
    for row in in_box.iterator(chunk_size=5000):
        if not row[4] or alert.hazard in row[4]:
            rows[row[0]] = row[:4]
            points.append((row[0], row[5], row[6]))
    for row in no_point:
        if not row[4] or alert.hazard in row[4]:
            rows[row[0]] = row[:4]
            chosen.add(row[0])
    for row in several:
        if not row[4] or alert.hazard in row[4]:
            rows[row[0]] = row[:4]
            points.extend((row[0], p[0], p[1]) for p in (row[7] or []))
    if points:
        chosen |= _in_area(geojson, points)
    return [rows[pk] for pk in sorted(chosen)]


def recipients(version: AlertVersion) -> Iterator[tuple[str, int | None, str, str]]:
    """(channel, subscriber id, recipient address, language) for every message to send."""
    alert = version.alert
    if alert.status != Alert.Status.ACTUAL:
        for address in version.test_recipients:
            yield ("email" if "@" in address else "sms"), None, address, "fr"
        return
    if version.msg_type != AlertVersion.MsgType.ALERT:
        original = alert.versions.filter(msg_type=AlertVersion.MsgType.ALERT, state="published").first()
        if original is not None:
            yield from (
                Delivery.objects.filter(version=original)
                .values_list("channel", "subscriber_id", "recipient", "language")
                .iterator(chunk_size=5000)
            )
            return
    for pk, channel, address, language in subscribers_in_area(version):
        yield channel, pk, address, language
    for pk, address in Subscriber.objects.filter(
        channel=Subscriber.Channel.WEBHOOK,
        confirmed_at__isnull=False,
        unsubscribed_at__isnull=True,
        commune__in=[alert.commune, ""],
    ).values_list("pk", "address"):
        yield "webhook", pk, address, "fr"
    for url in social_urls():
        yield "social", None, url, "fr"
    yield from staff_recipients(version.groups, alert.commune)


def staff_recipients(groups: list[str], commune: str):
    """Staff of the commune in the chosen roles, by e-mail (the on-call cell, the mayor's office…)."""
    if not groups:
        return
    from django.contrib.auth import get_user_model

    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=groups, commune_memberships__commune_code=commune)
        .exclude(email="")
        .distinct()
        .values_list("email", flat=True)
    )
    for email in users:
        yield "email", None, email, "fr"
