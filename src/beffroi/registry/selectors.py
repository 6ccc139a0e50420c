"""Reads other apps may use: counts only, never a name (contract in COMMON.md)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from beffroi.core.permissions import ALL_COMMUNES, has_perm, user_communes


def count_in_area(area_geojson: dict, *, user) -> int:
    """How many registered people (with a located address) live in the area, in the user's communes."""
    if not has_perm(user, "registry.view_counts"):
        raise PermissionDenied("registry.view_counts")
    from beffroi.registry.access import count_located_in_area

    communes = user_communes(user)
    return count_located_in_area(area_geojson, None if ALL_COMMUNES in communes else communes)


def counts_by_commune(*, user) -> dict[str, int]:
    if not has_perm(user, "registry.view_counts"):
        raise PermissionDenied("registry.view_counts")
    from django.db.models import Count

    from beffroi.registry.models import Person

    communes = user_communes(user)
    rows = Person.objects.all()
    if ALL_COMMUNES not in communes:
        rows = rows.filter(commune_code__in=communes)
    return dict(rows.values_list("commune_code").annotate(n=Count("id")).values_list("commune_code", "n"))


def campaign_progress(campaign_id: int) -> dict:
    """Counts of a campaign (no names), for the crisis dashboard."""
    from beffroi.registry.models import Campaign
    from beffroi.registry.outreach import progress

    campaign = Campaign.objects.filter(pk=campaign_id).first()
    return progress(campaign) if campaign else {}


def campaign_route(campaign_id: int, route_id: int):
    """A campaign and one of its visit routes (no personal data), or 404."""
    from django.shortcuts import get_object_or_404

    from beffroi.registry.models import Campaign, VisitRoute

    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return campaign, get_object_or_404(VisitRoute, pk=route_id, campaign=campaign)


def campaign(campaign_id: int):
    """One campaign (its commune, hazard, dates: no personal data), or 404."""
    from django.shortcuts import get_object_or_404

    from beffroi.registry.models import Campaign

    return get_object_or_404(Campaign, pk=campaign_id)


def assignment_exists(assignment_id: int) -> bool:
    from beffroi.registry.models import CallAssignment

    return CallAssignment.objects.filter(pk=assignment_id).exists()
