"""Every write on accounts: permission check, one transaction, audit entry."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.accounts.models import ApiToken, CommuneMembership, StaffProfile, hash_token
from beffroi.accounts.roles import ROLES
from beffroi.core.actors import Actor
from beffroi.core.audit import record
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import allowed_system, require
from beffroi.territory.selectors import territory_codes

User = get_user_model()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(
            _("Rôle inconnu %(role)s. Rôles : %(roles)s.") % {"role": repr(role), "roles": ", ".join(ROLES)},
            [Problem(_("rôle inconnu"), field="role")],
        )


def _check_username(username: str) -> None:
    """What Django's user form checks (column length, allowed characters), with a located message."""
    field = User._meta.get_field("username")
    problems = []
    if not username or len(username) > (field.max_length or 150):
        problems.append(_("%(n)s caractères, de 1 à %(max)s") % {"n": len(username), "max": field.max_length})
    else:
        try:
            User.username_validator(username)
        except ValidationError:
            problems.append(_("lettres, chiffres et @ . + - _ seulement"))
    if problems:
        raise UserError(
            _("Identifiant refusé : %(why)s.") % {"why": "; ".join(problems)},
            [Problem(p, field="username") for p in problems],
        )


def do_create_user(
    username: str,
    *,
    role: str,
    communes: Iterable[str],
    password: str | None,
    email: str = "",
    actor: Actor,
    validate: bool = True,
):
    """Create a user with one role in the given communes (also by the CLI operator or the demo)."""
    require(actor, "auth.add_user", system=("cli", "demo"))
    _check_role(role)
    communes = list(dict.fromkeys(communes))

    known = territory_codes()
    unknown = [c for c in communes if c not in known]
    if unknown:
        raise UserError(
            _("Commune(s) %(unknown)s hors du territoire. Ajoutez-les d'abord : beffroi territory add CODE.")
            % {"unknown": ", ".join(unknown)},
            [
                Problem(_("%(c)s ne fait pas partie du territoire") % {"c": c}, field="commune")
                for c in unknown
            ],
        )
    if not communes and role != "administrateur":
        raise UserError(_("Un compte demande au moins une commune (--commune INSEE)."))
    _check_username(username)
    if User.objects.filter(username=username).exists():
        raise UserError(
            _("Le compte %(username)s existe déjà.") % {"username": repr(username)},
            [Problem(_("existe déjà"), field="username")],
        )
    if password and validate:
        try:
            validate_password(password)
        except ValidationError as exc:
            raise UserError(
                "Password refused.", [Problem(m, field="password") for m in exc.messages]
            ) from None
    with transaction.atomic():
        user = User(username=username, email=email)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=role))
        CommuneMembership.objects.bulk_create(
            [CommuneMembership(user=user, commune_code=c) for c in communes]
        )
        record(actor, "user.create", user, detail={"role": role, "communes": communes})
    return user


def do_set_password(user, password: str, *, actor: Actor) -> None:
    if actor != user:
        require(actor, "auth.change_user", system=("cli",))
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record(actor, "user.set_password", user)


def do_create_totp_device(user, *, actor: Actor, confirmed: bool = False) -> TOTPDevice:
    if actor != user:
        require(actor, "auth.change_user", system=("cli",))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="totp", confirmed=confirmed)
        record(actor, "user.totp_created", user, detail={"confirmed": confirmed})
    return device


def do_confirm_totp_device(device: TOTPDevice, token: str, *, actor: Actor) -> bool:
    allowed_system(actor, ())  # the user themself proves the code; no system actor does this
    if not device.verify_token(token):
        return False
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record(actor, "user.totp_confirmed", device.user)
    return True


def do_create_token(user, name: str, *, actor: Actor, days: int | None = 365) -> str:
    """Create an API token and return the raw value (shown once, stored hashed)."""
    require(actor, "accounts.add_apitoken", system=("cli", "demo"))
    raw = "bf_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=raw[3:11],
            digest=hash_token(raw),
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        record(actor, "token.create", token, detail={"user": user.username, "name": name})
    return raw


def normalise_phone(value: str, field: str) -> str:
    """E.164 form of a staff phone number ('' when empty); French national numbers get +33."""
    digits = re.sub(r"[\s.\-()]", "", value or "")[:30]
    if not digits:
        return ""
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if re.fullmatch(r"0[1-9]\d{8}", digits):
        digits = "+33" + digits[1:]
    if not re.fullmatch(r"\+[1-9]\d{7,14}", digits):
        message = _("Numéro de téléphone invalide (exemple : 06 12 34 56 78 ou +33 6 12 34 56 78).")
        raise UserError(message, [Problem(message, field=field)])
    return digits


def do_set_language(user, language: str, *, actor) -> StaffProfile:
    """The interface language a staff member chose, remembered for their next sessions."""
    if getattr(actor, "pk", None) != user.pk:
        require(actor, "accounts.change_staffprofile")
    if language not in dict(settings.LANGUAGES):
        raise UserError(
            _("Langue inconnue : %(language)s.") % {"language": language[:8]},
            [Problem(_("langue attendue : fr ou en"), field="language")],
        )
    with transaction.atomic():
        profile, _created = StaffProfile.objects.select_for_update().get_or_create(user=user)
        if profile.language != language:
            profile.language = language
            profile.save(update_fields=["language", "updated_at"])
            record(actor, "user.language", user, detail={"language": language})
    return profile


def do_update_staff_profile(user, *, mobile: str, phone: str, actor) -> StaffProfile:
    """A staff member's on-call numbers, changed by themselves or by an administrator."""
    if actor is None or getattr(actor, "pk", None) != user.pk:
        require(actor, "accounts.change_staffprofile")
    mobile, phone = normalise_phone(mobile, "mobile"), normalise_phone(phone, "phone")
    with transaction.atomic():
        profile, _created = StaffProfile.objects.select_for_update().get_or_create(user=user)
        before = {"mobile": profile.mobile, "phone": profile.phone}
        profile.mobile, profile.phone = mobile, phone
        profile.save()
        # Which fields changed, not the numbers themselves: the audit trail is widely readable.
        changed = sorted(k for k, v in before.items() if v != getattr(profile, k))
        record(actor, "user.staff_profile", user, detail={"changed": changed})
    return profile
