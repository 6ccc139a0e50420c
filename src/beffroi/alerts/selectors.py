"""Reads other apps may use: ``reach_report(alert)`` and ``alerts_for_crisis(crisis_id)``."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from beffroi.alerts.models import Alert, AlertVersion, Delivery, Subscriber
from beffroi.core.permissions import ALL_COMMUNES, has_perm, user_communes


def reach_report(alert: Alert | int) -> dict:
    """Per alert and per message: targeted, delivered, failed, pending; and who in the area is unreachable.

    ``unreachable_in_area`` comes from the registry's count of registered people in the area (counts
    only, no names) minus nothing we can match: it is the number of people Beffroi knows of in the
    area but cannot reach by any channel; ``None`` when the registry app cannot tell.
    """
    if not isinstance(alert, Alert):
        alert = Alert.objects.get(pk=alert)
    versions = []
    totals = {"targeted": 0, "delivered": 0, "failed": 0, "pending": 0}
    for version in alert.published_versions():
        counts = dict(
            Delivery.objects.filter(version=version)
            .values_list("state")
            .annotate(n=Count("pk"))
            .values_list("state", "n")
        )
        by_channel = {}
        for channel, state, n in (
            Delivery.objects.filter(version=version)
            .values_list("channel", "state")
            .annotate(n=Count("pk"))
            .values_list("channel", "state", "n")
        ):
            by_channel.setdefault(channel, {"delivered": 0, "failed": 0, "pending": 0})
            key = "pending" if state in ("pending", "sending") else state
            by_channel[channel][key] += n
        row = {
            "number": version.number,
            "identifier": version.identifier,
            "msgType": version.msg_type,
            "sent": version.sent.isoformat() if version.sent else None,
            "targeted": sum(counts.values()),
            "delivered": counts.get("delivered", 0),
            "failed": counts.get("failed", 0),
            "pending": counts.get("pending", 0) + counts.get("sending", 0),
            "by_channel": by_channel,
            "failures": list(
                Delivery.objects.filter(version=version, state="failed")
                .values("last_error")
                .annotate(n=Count("pk"))
                .order_by("-n")[:10]
            ),
        }
        versions.append(row)
        for k in totals:
            totals[k] += row[k]
    latest = alert.published_versions().last()
    return {
        "alert": alert.pk,
        "status": alert.status,
        "cancelled": alert.cancelled,
        **totals,
        "unreachable_in_area": _unreachable(latest) if latest else None,
        "versions": versions,
    }


def _unreachable(version: AlertVersion) -> int | None:
    """People the registry counts in the area minus subscribers reached there (never below 0)."""
    try:
        from beffroi.registry.selectors import count_in_area
    except ImportError:
        return None
    from beffroi.alerts.area import area_geojson

    try:
        in_area = count_in_area(area_geojson(version.area), user=None)
    except Exception:  # the registry refuses anonymous counts or the area: say we do not know
        return None
    reached = (
        Delivery.objects.filter(version=version, state="delivered", subscriber__isnull=False)
        .values("subscriber")
        .distinct()
        .count()
    )
    return max(int(in_area) - reached, 0)


def alerts_for_crisis(crisis_id: int) -> list[dict]:
    """The alerts linked to a crisis, newest first, with their reach (for the crisis dashboard/RETEX)."""
    out = []
    for alert in Alert.objects.filter(crisis_id=crisis_id).order_by("-created_at"):
        latest = alert.latest()
        report = reach_report(alert)
        out.append(
            {
                "id": alert.pk,
                "hazard": alert.hazard,
                "status": alert.status,
                "cancelled": alert.cancelled,
                "headline": (latest.text("fr").get("headline") if latest else ""),
                "state": latest.state if latest else "",
                "msgType": latest.msg_type if latest else "",
                "sent": latest.sent.isoformat() if latest and latest.sent else None,
                "url": f"/alertes/{alert.pk}/",
                **{
                    k: report[k]
                    for k in ("targeted", "delivered", "failed", "pending", "unreachable_in_area")
                },
            }
        )
    return out


def alerts_for_user(user: Any):
    if not has_perm(user, "alerts.view_alert"):
        return Alert.objects.none()
    communes = user_communes(user)
    qs = Alert.objects.all()
    if ALL_COMMUNES not in communes:
        qs = qs.filter(commune__in=communes)
    return qs.prefetch_related("versions")


def active_public_versions() -> list[AlertVersion]:
    """Latest published message of each real, not cancelled, not expired incident (for the public site)."""
    now = timezone.now()
    out = []
    for alert in Alert.objects.filter(status=Alert.Status.ACTUAL, cancelled=False).order_by("-created_at"):
        latest = alert.published_versions().last()
        if latest is not None and latest.expires > now:
            out.append(latest)
    return out


def recent_public_versions(limit: int = 50) -> list[AlertVersion]:
    return list(
        AlertVersion.objects.filter(state="published", alert__status=Alert.Status.ACTUAL)
        .select_related("alert")
        .order_by("-sent")[:limit]
    )


def subscriber_counts() -> dict:
    active = Subscriber.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
    return dict(active.values_list("channel").annotate(n=Count("pk")).values_list("channel", "n")) | {
        "unconfirmed": Subscriber.objects.filter(confirmed_at__isnull=True).count()
    }


def pending_approvals(user: Any):
    return AlertVersion.objects.filter(state="submitted", alert__in=alerts_for_user(user)).filter(
        ~Q(composed_by=user)
    )
