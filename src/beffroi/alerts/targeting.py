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
    try:
        from beffroi.crossing.selectors import points_in_area
    except ImportError:  # crossing app not installed: same rule with shapely
        points_in_area = None
    if points_in_area is not None:
        return points_in_area(geojson, points)
    import numpy as np
    import shapely
    from shapely.geometry import shape

    geom = shape(geojson)
    shapely.prepare(geom)
    xs = np.array([p[1] for p in points], dtype=float)
    ys = np.array([p[2] for p in points], dtype=float)
    return {points[i][0] for i in np.flatnonzero(shapely.intersects_xy(geom, xs, ys))}


def social_urls() -> list[str]:
    return [u.strip() for u in os.environ.get("BEFFROI_SOCIAL_URLS", "").split(",") if u.strip()]


def subscriber_ids_in_area(version: AlertVersion) -> set[int]:
    alert = version.alert
    rows = list(
        Subscriber.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .exclude(channel=Subscriber.Channel.WEBHOOK)
        .values_list("pk", "lon", "lat", "commune", "topics", "points")
    )
    wanted = [r for r in rows if not r[4] or alert.hazard in r[4]]
    communes = set(version.area.get("communes") or [])
    chosen = {r[0] for r in wanted if r[1] is None and r[3] in communes}
    points = []
    for pk, lon, lat, _c, _t, extra in wanted:
        if lon is not None:
            points.append((pk, lon, lat))
        for p in (extra or [])[1:]:
            points.append((pk, p[0], p[1]))
    if points:
        chosen |= _in_area(area_geojson(version.area), points)
    return chosen


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
            yield from Delivery.objects.filter(version=original).values_list(
                "channel", "subscriber_id", "recipient", "language"
            ).iterator(chunk_size=5000)
            return
    ids = subscriber_ids_in_area(version)
    for pk, channel, address, language in (
        Subscriber.objects.filter(pk__in=ids).values_list("pk", "channel", "address", "language").iterator(
            chunk_size=5000
        )
        if len(ids) < 900
        else _by_chunks(ids)
    ):
        yield channel, pk, address, language
    for pk, address in Subscriber.objects.filter(
        channel=Subscriber.Channel.WEBHOOK, confirmed_at__isnull=False, unsubscribed_at__isnull=True,
        commune__in=[alert.commune, ""],
    ).values_list("pk", "address"):
        yield "webhook", pk, address, "fr"
    for url in social_urls():
        yield "social", None, url, "fr"


def _by_chunks(ids: set[int]):
    ordered = sorted(ids)
    for start in range(0, len(ordered), 900):
        yield from Subscriber.objects.filter(pk__in=ordered[start : start + 900]).values_list(
            "pk", "channel", "address", "language"
        )
