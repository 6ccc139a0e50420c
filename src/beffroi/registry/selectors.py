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
