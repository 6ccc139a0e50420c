"""Reads other apps may use: counts only, never a name (contract in COMMON.md).

Every count goes through the disclosure control of ``registry.access`` (cells, minimum area,
« moins de 5 », differencing, rate limit, access log): callers get a ``ReleasedCount`` and show its
``shown`` figure (the number when exact, else the label such as « moins de 5 »).
"""

from __future__ import annotations

from beffroi.registry.disclosure import ReleasedCount


def count_in_area(area_geojson: dict, *, user, reason: str = "") -> ReleasedCount:
    """Registered people (with a located address) living in the area, in the user's communes."""
    # Imported on first use: access pulls the models, numpy and shapely, and selectors is imported
    # by lower apps' modules at load time.
    from beffroi.registry.access import release_count

    return release_count(user, area_geojson, reason=reason)


def counts_by_commune(*, user) -> dict[str, ReleasedCount]:
    """Registered people per commune of the user (small counts as « moins de 5 »)."""
    from beffroi.registry.access import release_commune_counts

    return release_commune_counts(user)


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
