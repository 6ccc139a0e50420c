"""Reads other apps may use: ``reach_report(alert)`` and ``alerts_for_crisis(crisis_id)``."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils import timezone

from beffroi.alerts.models import Alert, AlertVersion, Delivery, Subscriber
from beffroi.core.permissions import ALL_COMMUNES, has_perm, user_communes
from beffroi.crossing import selectors as crossing_selectors
from beffroi.crossing.contributions import layer_total
from beffroi.crossing.geometry import parse_area

log = logging.getLogger(__name__)


def reach_report(alert: Alert | int, user: Any = None) -> dict:
    """Per alert and per message: targeted, delivered, failed, pending; and who in the area is unreachable.

    ``unreachable_in_area``: residents of the area (crossing app's estimate) minus subscribers reached
    there; ``area_counts`` also gives the registry's count of vulnerable people in the area. Both need
    a ``user`` allowed to see those counts; without one (or without the apps) they are ``None``.
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
        by_channel: dict[str, dict[str, int]] = {}
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
            # The two parts of an Update's or Cancel's reach: subscribed now in the area, and
            # recipients of an earlier message (a person in both counts in both).
            "parts": {
                "in_area": (version.reach_parts or {}).get("in_area"),
                "earlier": (version.reach_parts or {}).get("earlier"),
                "both": (version.reach_parts or {}).get("both"),
            },
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
    counts = _area_counts(latest, user) if latest else {}
    return {
        "alert": alert.pk,
        "status": alert.status,
        "cancelled": alert.cancelled,
        **totals,
        "unreachable_in_area": counts.get("unreachable"),
        "area_counts": counts,
        "versions": versions,
    }


def _area_counts(version: AlertVersion, user: Any) -> dict:
    """Residents and registered people in the area (counts only), and how many were not reached."""
    from beffroi.alerts.area import area_geojson

    reached = (
        Delivery.objects.filter(version__alert=version.alert, state="delivered", subscriber__isnull=False)
        .values("subscriber")
        .distinct()
        .count()
    )
    out: dict[str, Any] = {
        "reached_subscribers": reached,
        "residents": None,
        "registry": None,
        "unreachable": None,
    }
    if user is None:
        return out
    area = area_geojson(version.area)
    try:
        result = crossing_selectors.exposure(area, None, user=user)
        for layer in result.get("layers", []):
            if layer.get("layer") == "residents":
                out["residents"] = int(layer.get("figures", {}).get("total") or 0)
            if layer.get("layer") == "registry":
                total = layer.get("figures", {}).get("total")
                # a released count: the number, or « moins de 5 » from the registry's disclosure control
                out["registry"] = total if isinstance(total, str) else int(total or 0)
    except Exception:  # noqa: BLE001 - counts are optional: no dataset, no permission, area outside
        log.debug("alerts: exposure unavailable for the reach report", exc_info=True)
    if out["registry"] is None:
        try:
            out["registry"] = layer_total("registry", parse_area(area, repair=True), user)
        except Exception:  # noqa: BLE001
            log.debug("alerts: registry count unavailable", exc_info=True)
    if out["residents"] is not None:
        out["unreachable"] = max(out["residents"] - reached, 0)
    return out


def count_subscribers_in_area(area_geojson: dict, *, user: Any) -> int:
    """Active subscribers an alert over this area would reach (for the crossing app's exposure):
    the same selection as publication — address points in the area, and subscribers known by their
    commune only in the communes the area touches — within the user's communes, any hazard."""
    if not has_perm(user, "alerts.view_alert"):
        raise PermissionDenied("alerts.view_alert")
    from beffroi.alerts.targeting import ANY_HAZARD, subscribers_in_area
    from beffroi.territory.selectors import territory_codes

    communes = user_communes(user)
    codes = sorted(territory_codes() if ALL_COMMUNES in communes else communes)
    if not codes:
        return 0
    area = {"communes": codes, "polygon": area_geojson}
    version = AlertVersion(alert=Alert(hazard=ANY_HAZARD, status=Alert.Status.ACTUAL), area=area)
    return len(subscribers_in_area(version))


def alerts_for_crisis(crisis_id: int) -> list[dict]:
    """The alerts linked to a crisis, newest first, with their reach (for the crisis dashboard/RETEX)."""
    out = []
    for alert in Alert.objects.filter(crisis_id=crisis_id).order_by("-created_at"):
        latest = alert.latest()
        report = reach_report(alert)
        headlines = {v.number: v.text("fr").get("headline", "") for v in alert.published_versions()}
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
                "communes": alert.communes(),
                # Every published message (Alert, Updates, end) with its reach, for the RETEX.
                "messages": [
                    {
                        "number": row["number"],
                        "msgType": row["msgType"],
                        "sent": row["sent"],
                        "identifier": row["identifier"],
                        "headline": headlines.get(row["number"], ""),
                        "targeted": row["targeted"],
                        "delivered": row["delivered"],
                        "failed": row["failed"],
                    }
                    for row in report["versions"]
                ],
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


def alerts_in_force(user: Any, *, communes: list[str], crisis_id: int | None = None) -> list[dict]:
    """Messages in force in these communes, newest first: the latest published message of each
    alert, not ended and not expired. Real alerts; and, for a crisis, its own (an exercise's are
    Exercise messages, shown on its wall screen only)."""
    now = timezone.now()
    wanted = set(communes)
    qs = alerts_for_user(user).filter(cancelled=False)
    qs = (
        qs.filter(Q(status=Alert.Status.ACTUAL) | Q(crisis_id=crisis_id))
        if crisis_id
        else qs.filter(status=Alert.Status.ACTUAL)
    )
    out = []
    for alert in qs.order_by("-created_at")[:100]:
        latest = alert.published_versions().last()
        if latest is None or latest.expires <= now or not wanted & set(alert.communes()):
            continue
        out.append(
            {
                "id": alert.pk,
                "headline": latest.text("fr").get("headline") or alert.hazard,
                "severity": latest.severity,
                "msgType": latest.msg_type,
                "sent": latest.sent,
                "expires": latest.expires,
                "exercise": alert.status != Alert.Status.ACTUAL,
            }
        )
    return out


def active_public_versions() -> list[AlertVersion]:
    """Latest published message of each real, not cancelled, not expired incident (for the public site)."""
    now = timezone.now()
    out = []
    for alert in Alert.objects.filter(status=Alert.Status.ACTUAL, cancelled=False).order_by("-created_at"):
        latest = alert.published_versions().last()
        if latest is not None and latest.expires > now:
            out.append(latest)
    return out


def cap_index_versions(*, exercise: bool = False) -> list[AlertVersion]:
    """The latest message of each incident until it expires, a Cancel included (aggregators must see
    the end): real incidents, or with ``exercise`` the Exercise and Test ones (never mixed)."""
    now = timezone.now()
    alerts = Alert.objects.all()
    alerts = (
        alerts.exclude(status=Alert.Status.ACTUAL) if exercise else alerts.filter(status=Alert.Status.ACTUAL)
    )
    out = []
    for alert in alerts.order_by("-created_at"):
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


def subscriber_counts(user: Any) -> dict:
    """Confirmed subscribers per channel label, and those still to confirm, in the user's communes
    only (an administrator sees the whole territory)."""
    communes = user_communes(user)
    mine = Subscriber.objects.filter(unsubscribed_at__isnull=True)
    if ALL_COMMUNES not in communes:
        mine = mine.filter(commune__in=communes)
    by_channel = dict(
        mine.filter(confirmed_at__isnull=False)
        .values_list("channel")
        .annotate(n=Count("pk"))
        .values_list("channel", "n")
    )
    labels = dict(Subscriber.Channel.choices)
    return {
        "confirmed": [(labels[c], by_channel.get(c, 0)) for c in labels],
        "unconfirmed": mine.filter(confirmed_at__isnull=True).count(),
    }


def pending_approvals(user: Any):
    return AlertVersion.objects.filter(state="submitted", alert__in=alerts_for_user(user)).filter(
        ~Q(composed_by=user)
    )


def template_texts(hazard: str, commune: str | None) -> dict:
    """The wording to start from: the commune's template when it has one, else the built-in one."""
    from beffroi.alerts.hazards import default_texts
    from beffroi.alerts.models import HazardTemplate

    texts = default_texts(hazard)
    custom = HazardTemplate.objects.filter(commune=commune, hazard=hazard).first() if commune else None
    if custom:
        for lang, t in custom.texts.items():
            texts.setdefault(lang, {}).update({k: v for k, v in t.items() if v})
    return texts


def alert_areas(commune: str, *, user: Any) -> list[dict]:
    """The published alerts of a commune, newest first, for another app to target the same area (the
    registry limits a call campaign to it): id, a label without personal data, whether it is an
    exercise, and the area of its latest published message as a GeoJSON geometry (drawn shape
    clipped to the communes, or the communes' outline). A published area is public information, so
    any user of the commune may read it (a CCAS agent holds no alerts permission); drafts and
    cancelled alerts are left out."""
    from beffroi.alerts.area import area_geojson

    allowed = user_communes(user)
    if ALL_COMMUNES not in allowed and commune not in allowed:
        return []
    out = []
    rows = Alert.objects.filter(cancelled=False, commune=commune).order_by("-created_at")[:50]
    for alert in rows:
        published = alert.published_versions().last()
        if published is None or not published.area:
            continue
        try:
            geometry = area_geojson(published.area)
        except Exception:  # noqa: BLE001 - an area that no longer validates is simply not offered
            log.debug("alerts: area of alert %s unusable", alert.pk, exc_info=True)
            continue
        headline = published.text("fr").get("headline") or alert.hazard
        out.append(
            {
                "id": alert.pk,
                "label": f"n° {alert.pk} — {headline}"[:200],
                "exercise": alert.is_exercise,
                "geometry": geometry,
            }
        )
    return out


def alert_area(alert_id: int, commune: str, *, user: Any) -> dict | None:
    """One of ``alert_areas``, or None when the alert is unknown, cancelled, unpublished, of another
    commune or outside the user's communes."""
    return next((a for a in alert_areas(commune, user=user) if a["id"] == alert_id), None)


# --- the estimate shown beside the area while composing and before approving ----------------------

ESTIMATE_LAYERS = ("residents", "addresses", "facilities", "registry")


def area_estimate(area: dict, *, hazard: str, status: str, user: Any) -> dict:
    """Who and what the (validated) area holds, for the composer's and the approver's map.

    ``area`` comes from ``area.validate_area`` (its communes already checked against the user's).
    Residents, addresses and facilities come from the crossing app's exposure, each with its source
    and date; registered people are the count the registry's disclosure control releases (a number,
    « moins de 5 » or « non communiqué » with the reason), never computed here; subscribers per
    channel are those the targeting would select now for this hazard (the same code as publication).
    A figure the user may not see, or that no dataset holds, is ``None``.
    """
    from shapely.geometry import mapping

    from beffroi.alerts.area import area_geometry, area_km2
    from beffroi.alerts.targeting import subscribers_in_area

    geometry = area_geometry(area)
    geojson = mapping(geometry)
    out: dict[str, Any] = {
        "area": geojson,
        "km2": round(area_km2(geometry), 3),
        "communes": list(area.get("communes") or []),
        "residents": None,
        "addresses": None,
        "facilities": None,
        "registry": None,
        "subscribers": None,
        "exercise": status != Alert.Status.ACTUAL,
    }
    version = AlertVersion(alert=Alert(hazard=hazard, status=status), area=area)
    if has_perm(user, "alerts.view_alert"):
        by_channel: dict[str, int] = {}
        for channel, *_rest in subscribers_in_area(version):
            by_channel[channel] = by_channel.get(channel, 0) + 1
        out["subscribers"] = {
            "by_channel": {c: by_channel.get(c, 0) for c in ("email", "sms", "webpush")},
            "total": sum(by_channel.values()),
            "test_recipients_only": out["exercise"],
        }
    try:
        result = crossing_selectors.exposure(geojson, list(ESTIMATE_LAYERS), user=user, repair=True)
    except PermissionDenied:
        return out
    except Exception:  # noqa: BLE001 - no dataset or an area the engine refuses: figures stay unknown
        log.debug("alerts: exposure unavailable for the estimate", exc_info=True)
        return out
    for layer in result.get("layers", []):
        key = layer.get("layer")
        if key not in ESTIMATE_LAYERS:
            continue
        sources = [
            {"title": s.get("title", ""), "updated_at": s.get("updated_at"), "synthetic": s.get("synthetic")}
            for s in layer.get("sources", [])
        ]
        figures = layer.get("figures", {})
        total = figures.get("total")
        entry: dict[str, Any] = {"title": layer.get("title", ""), "total": total, "sources": sources}
        if key == "facilities":
            entry["by_type"] = {k: v for k, v in figures.items() if k != "total"}
        if key == "residents":
            entry["over_75"] = figures.get("75+")
        if key == "registry":
            # The released figure as the registry gave it, and why when it is not a number.
            entry["method"] = layer.get("method", "")
        out[key] = entry
    return out
