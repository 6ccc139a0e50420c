"""Who receives a version: subscribers whose address falls in the area (crossing app), by topic.

Exercise and Test alerts go only to the version's test recipients. An Update or a Cancel goes to
everyone subscribed *now* in its area (these rows, ``recipients``) and to everyone who received an
earlier message of the incident and has not unsubscribed since (added by ``outbox.enqueue`` in SQL
from the earlier outbox rows, see ``earlier_versions``), once per person and channel. Nobody outside
the alert's communes is selected: the drawn area is clipped to their outline.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import TextField
from django.db.models.functions import Cast
from shapely.geometry import mapping
from shapely.ops import unary_union

from beffroi.alerts.area import area_parts
from beffroi.alerts.models import Alert, AlertVersion, Subscriber
from beffroi.crossing.selectors import points_in_area


def _in_area(geojson: dict, points: list[tuple]) -> set:
    """Ids of the (id, lon, lat) points inside the area: the crossing app's exact test."""

    return set(points_in_area(geojson, points))


def social_urls() -> list[str]:
    return list(settings.SOCIAL_URLS)


ANY_HAZARD = "*"  # a count for any alert (the crossing's figure), whatever the topics followed


def _topic_filter(hazard: str) -> Callable[[str | None], bool]:
    """Whether a subscriber's topics, as the JSON text stored, include the hazard (empty: all hazards).

    Each distinct text is decoded once: subscribers share a handful of topic lists, and decoding every
    row's JSON through the ORM took 0.09 s for 41,000 candidates (the query itself takes 0.15 s).
    """
    known: dict[str | None, bool] = {}

    def wanted(text: str | None) -> bool:
        answer = known.get(text)
        if answer is None:
            topics = json.loads(text) if text else None
            answer = known[text] = not topics or hazard == ANY_HAZARD or hazard in topics
        return answer

    return wanted


def subscribers_in_area(version: AlertVersion) -> list[tuple[str, int, str, str]]:
    """(channel, id, address, language) of active subscribers in the area, for the alert's hazard.

    Candidates are narrowed in SQL by the area's bounding box (or by commune for subscribers without
    an address point); the exact point-in-area test is the crossing app's.
    """
    parts = area_parts(version.area)
    if not parts:
        return []
    geometry = unary_union([geom for _code, geom in parts])
    geojson = mapping(geometry)
    # Subscribers known by their commune only: the communes the area touches (all of them, or
    # those a drawn shape reaches), never another one.
    touched = [code for code, _geom in parts if code]
    min_x, min_y, max_x, max_y = geometry.bounds
    wanted = _topic_filter(version.alert.hazard)
    # ``topics`` is read as text (same SQL on SQLite and PostgreSQL) and decoded by ``wanted``.
    active = (
        Subscriber.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .exclude(channel=Subscriber.Channel.WEBHOOK)
        .annotate(topics_text=Cast("topics", TextField()))
    )
    fields = ("channel", "pk", "address", "language", "topics_text")
    in_box = active.filter(lon__gte=min_x, lon__lte=max_x, lat__gte=min_y, lat__lte=max_y).values_list(
        *fields, "lon", "lat"
    )
    no_point = active.filter(lon__isnull=True, commune__in=touched).values_list(*fields)
    # ``__in=[True]``, not ``=True``: Django writes the latter as a bare ``WHERE extra_points``, which
    # SQLite does not look up in the index: it read the whole table (0.15 s for 1,000,000 subscribers).
    several = active.filter(extra_points__in=[True]).values_list(*fields, "points")
    rows: dict[int, tuple[str, int, str, str]] = {}
    points: list[tuple] = []
    chosen: set[int] = set()
    for channel, pk, address, language, topics, lon, lat in in_box.iterator(chunk_size=5000):
        if wanted(topics):
            rows[pk] = (channel, pk, address, language)
            points.append((pk, lon, lat))
    for channel, pk, address, language, topics in no_point:
        if wanted(topics):
            rows[pk] = (channel, pk, address, language)
            chosen.add(pk)
    for channel, pk, address, language, topics, extra in several:
        if wanted(topics):
            rows[pk] = (channel, pk, address, language)
            points.extend((pk, p[0], p[1]) for p in (extra or []))
    if points:
        chosen |= _in_area(geojson, points)
    return [rows[pk] for pk in sorted(chosen)]


def earlier_versions(version: AlertVersion) -> list[int]:
    """Ids of the incident's messages published before this Update or Cancel (empty for an Alert)."""
    if version.msg_type == AlertVersion.MsgType.ALERT:
        return []
    return list(
        version.alert.versions.filter(state=AlertVersion.State.PUBLISHED, number__lt=version.number)
        .exclude(pk=version.pk)
        .values_list("pk", flat=True)
    )


def recipients(version: AlertVersion) -> Iterator[tuple[str, int | None, str, str]]:
    """(channel, subscriber id, recipient address, language) of everyone to reach *now*.

    For an Update or Cancel, the earlier recipients are added to these by ``outbox.enqueue``.
    """
    alert = version.alert
    if alert.status != Alert.Status.ACTUAL:
        for address in version.test_recipients:
            yield ("email" if "@" in address else "sms"), None, address, "fr"
        return
    communes = alert.communes()
    yield from subscribers_in_area(version)
    for pk, address in Subscriber.objects.filter(
        channel=Subscriber.Channel.WEBHOOK,
        confirmed_at__isnull=False,
        unsubscribed_at__isnull=True,
        commune__in=[*communes, ""],
    ).values_list("pk", "address"):
        yield "webhook", pk, address, "fr"
    for url in social_urls():
        yield "social", None, url, "fr"
    yield from staff_recipients(version.groups, communes)


def staff_recipients(groups: list[str], communes: list[str] | str):
    """Staff of the commune in the chosen roles, by e-mail (the on-call cell, the mayor's office…)."""
    if not groups:
        return
    from django.contrib.auth import get_user_model

    users = (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name__in=groups,
            commune_memberships__commune_code__in=[communes] if isinstance(communes, str) else communes,
        )
        .exclude(email="")
        .distinct()
        .values_list("email", flat=True)
    )
    for email in users:
        yield "email", None, email, "fr"
