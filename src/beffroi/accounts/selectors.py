"""Reads about users other apps may use."""

from __future__ import annotations

from django.utils import timezone

from beffroi.accounts.models import ApiToken, hash_token


def user_for_token(raw: str):
    """The active user owning this API token, or None. Records the last use."""
    if not raw or not raw.startswith("bf_"):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at < now:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
