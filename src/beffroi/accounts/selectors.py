"""Reads about users other apps may use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
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


@dataclass(frozen=True)
class StaffContact:
    user_id: int
    email: str
    mobile: str
    phone: str


def staff_contacts(users: Iterable) -> list[StaffContact]:
    """E-mail, mobile and phone of active staff members (for paging; no other personal data)."""
    from beffroi.accounts.models import StaffProfile

    ids = [u.pk for u in users if getattr(u, "pk", None)]
    User = get_user_model()
    profiles = {p.user_id: p for p in StaffProfile.objects.filter(user_id__in=ids)}
    contacts = []
    for user in User.objects.filter(pk__in=ids, is_active=True).order_by("pk"):
        profile = profiles.get(user.pk)
        contacts.append(
            StaffContact(
                user_id=user.pk,
                email=user.email or "",
                mobile=profile.mobile if profile else "",
                phone=profile.phone if profile else "",
            )
        )
    return contacts


def staff_profile(user):
    from beffroi.accounts.models import StaffProfile

    return StaffProfile.objects.filter(user=user).first()
