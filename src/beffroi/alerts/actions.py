"""Every write of the alerts app: compose, approve, publish, update, cancel, subscribe, notify staff."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from beffroi.alerts import cap, outbox, targeting
from beffroi.alerts.area import validate_area
from beffroi.alerts.hazards import LANGUAGES, default_texts
from beffroi.alerts.models import Alert, AlertVersion, HazardTemplate
from beffroi.alerts.signals import version_published
from beffroi.alerts.text import clean
from beffroi.core import audit
from beffroi.core.errors import Problem, UserError
from beffroi.core.events import publish_event
from beffroi.core.permissions import require, require_verified

log = logging.getLogger(__name__)


def _bad(message: str, field: str) -> UserError:
    return UserError(message, [Problem(message, field=field)])


def _check(actor: Any, perm: str, commune: str) -> None:
    if actor is not None:
        require(actor, perm, commune)


def _user(actor: Any):
    return actor if getattr(actor, "pk", None) and getattr(actor, "is_authenticated", False) else None


def _aware(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _bad(f"{field}: not a date and time", field) from None
    if not isinstance(value, datetime):
        raise _bad(f"{field} is required", field)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _texts(texts: dict | None, hazard: str, commune: str, headline=None, description=None, instruction=None):
    base = default_texts(hazard)
    custom = HazardTemplate.objects.filter(commune=commune, hazard=hazard).first()
    if custom:
        for lang, t in custom.texts.items():
            base.setdefault(lang, {}).update(t)
    merged: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        given = (texts or {}).get(lang)
        source = given if given is not None else base.get(lang, {})
        merged[lang] = {
            k: clean(source.get(k), multiline=k != "headline")
            for k in ("headline", "description", "instruction")
        }
    if headline:
        merged["fr"]["headline"] = clean(headline, multiline=False)
    if description:
        merged["fr"]["description"] = clean(description)
    if instruction:
        merged["fr"]["instruction"] = clean(instruction)
    if not merged["fr"]["headline"]:
        raise _bad("The French headline is required.", "headline")
    for lang, t in merged.items():
        if len(t["headline"]) > 140:
            raise _bad(f"Headline ({lang}) longer than 140 characters.", f"texts.{lang}.headline")
    return merged


def _apply(
    version: AlertVersion,
    *,
    commune: str,
    texts=None,
    hazard: str,
    area=None,
    onset=None,
    expires=None,
    severity=None,
    urgency=None,
    certainty=None,
    web=None,
    contact=None,
    test_recipients=None,
    groups=None,
    headline=None,
    description=None,
    instruction=None,
) -> list[str]:
    warnings: list[str] = []
    version.texts = _texts(
        texts if texts is not None else (version.texts or None),
        hazard,
        commune,
        headline,
        description,
        instruction,
    )
    if area is not None or not version.area:
        version.area, warnings = validate_area(area or {"communes": [commune]})
    for name, value, allowed in (
        ("severity", severity, AlertVersion.SEVERITIES),
        ("urgency", urgency, AlertVersion.URGENCIES),
        ("certainty", certainty, AlertVersion.CERTAINTIES),
    ):
        if value is not None:
            if value not in allowed:
                raise _bad(f"{name} must be one of {', '.join(allowed)}", name)
            setattr(version, name, value)
    now = timezone.now()
    version.onset = _aware(onset, "onset") if onset is not None else (version.onset or now)
    version.expires = (
        _aware(expires, "expires")
        if expires is not None
        else (version.expires or version.onset + timedelta(hours=24))
    )
    if version.expires <= version.onset:
        raise _bad("The expiry must be after the onset.", "expires")
    if web is not None:
        if web and not web.startswith(("https://", "http://")):
            raise _bad("The web link must start with https://", "web")
        version.web = web
    if contact is not None:
        version.contact = clean(contact, multiline=False)[:200]
    if test_recipients is not None:
        version.test_recipients = [
            clean(r, multiline=False) for r in test_recipients if clean(r, multiline=False)
        ]
    if groups is not None:
        from beffroi.accounts.roles import ROLES

        unknown = [g for g in groups if g not in ROLES]
        if unknown:
            raise _bad(f"Unknown groups: {', '.join(unknown)}", "groups")
        version.groups = sorted(set(groups))
    return warnings


def do_draft_alert(
    *,
    hazard: str,
    communes: list[str] | None = None,
    commune: str | None = None,
    headline: str | None = None,
    description: str | None = None,
    instruction: str | None = None,
    texts: dict | None = None,
    severity: str | None = None,
    urgency: str | None = None,
    certainty: str | None = None,
    area: dict | None = None,
    onset=None,
    expires=None,
    web: str = "",
    contact: str = "",
    exercise: bool = False,
    status: str | None = None,
    crisis_id: int | None = None,
    source: str = "",
    test_recipients: list[str] | None = None,
    groups: list[str] | None = None,
    actor: Any,
) -> Alert:
    """Create an incident with its first message as a draft (monitoring proposes drafts through this)."""
    communes = list(communes or ([commune] if commune else []))
    if not communes:
        raise _bad("At least one commune is required.", "communes")
    main = communes[0]
    _check(actor, "alerts.add_alert", main)
    status = status or (Alert.Status.EXERCISE if exercise else Alert.Status.ACTUAL)
    if status not in Alert.Status.values:
        raise _bad("status must be Actual, Exercise or Test", "status")
    with transaction.atomic():
        alert = Alert.objects.create(
            commune=main,
            hazard=hazard,
            status=status,
            crisis_id=crisis_id,
            source=source[:40],
            created_by=_user(actor),
        )
        version = AlertVersion(alert=alert, number=1, composed_by=_user(actor))
        area = area if area is not None else {"communes": communes}
        warnings = _apply(
            version,
            commune=main,
            texts=texts,
            hazard=hazard,
            area=area,
            onset=onset,
            expires=expires,
            severity=severity,
            urgency=urgency,
            certainty=certainty,
            web=web,
            contact=contact,
            test_recipients=test_recipients,
            groups=groups,
            headline=headline,
            description=description,
            instruction=instruction,
        )
        version.save()
        audit.record(
            actor,
            "alerts.draft",
            alert,
            commune=main,
            detail={"hazard": hazard, "status": status, "source": source, "warnings": warnings},
        )
    alert.warnings = warnings  # type: ignore[attr-defined]
    return alert


def do_edit_version(version: AlertVersion, *, actor: Any, **fields) -> list[str]:
    """Change a draft (or a submitted version, which goes back to draft: approval is on what is seen)."""
    alert = version.alert
    _check(actor, "alerts.change_alert", alert.commune)
    if version.state not in (
        AlertVersion.State.DRAFT,
        AlertVersion.State.SUBMITTED,
        AlertVersion.State.APPROVED,
    ):
        raise _bad("A published message cannot be changed: publish an update.", "state")
    with transaction.atomic():
        warnings = _apply(version, commune=alert.commune, hazard=alert.hazard, **fields)
        version.state = AlertVersion.State.DRAFT
        version.approved_by, version.approved_at, version.approved_digest = None, None, ""
        version.save()
        audit.record(actor, "alerts.edit", version, commune=alert.commune, detail={"warnings": warnings})
    return warnings


def needs_approval(version: AlertVersion) -> bool:
    """A real alert or update needs a second person; exercises and cancellations do not."""
    return version.alert.status == Alert.Status.ACTUAL and version.msg_type != AlertVersion.MsgType.CANCEL


def do_submit(version: AlertVersion, *, actor: Any) -> AlertVersion:
    _check(actor, "alerts.add_alert", version.alert.commune)
    if version.state != AlertVersion.State.DRAFT:
        raise _bad("Only a draft can be submitted.", "state")
    with transaction.atomic():
        version.state = AlertVersion.State.SUBMITTED
        version.save(update_fields=["state"])
        audit.record(
            actor,
            "alerts.submit",
            version,
            commune=version.alert.commune,
            detail={"digest": version.digest(), "texts": version.texts},
        )
    publish_event("alert.submitted", **_live_event(version))
    return version


def do_approve(version: AlertVersion, *, digest: str, actor: Any) -> AlertVersion:
    """Second person (maire role, TOTP-verified session) approves exactly the text they saw."""
    alert = version.alert
    require(actor, "alerts.approve_alert", alert.commune)
    require_verified(actor)
    if version.state != AlertVersion.State.SUBMITTED:
        raise _bad("Only a submitted message can be approved.", "state")
    if version.composed_by_id and version.composed_by_id == actor.pk:
        raise _bad("The approver must be a different person from the author.", "approver")
    if digest != version.digest():
        raise _bad("The message changed since you read it: read it again before approving.", "digest")
    with transaction.atomic():
        version.state = AlertVersion.State.APPROVED
        version.approved_by, version.approved_at, version.approved_digest = actor, timezone.now(), digest
        version.save(update_fields=["state", "approved_by", "approved_at", "approved_digest"])
        audit.record(
            actor,
            "alerts.approve",
            version,
            commune=alert.commune,
            detail={"digest": digest, "texts": version.texts, "area": version.area},
        )
    publish_event("alert.approved", **_live_event(version))
    return version


def do_reject(version: AlertVersion, *, reason: str, actor: Any) -> AlertVersion:
    require(actor, "alerts.approve_alert", version.alert.commune)
    with transaction.atomic():
        version.state = AlertVersion.State.DRAFT
        version.save(update_fields=["state"])
        audit.record(
            actor,
            "alerts.reject",
            version,
            commune=version.alert.commune,
            detail={"reason": clean(reason)[:500], "digest": version.digest()},
        )
    return version


def do_publish(version: AlertVersion, *, actor: Any) -> AlertVersion:
    """One action: CAP message (signed when a key is configured), outbox rows, then the static site."""
    alert = version.alert
    _check(actor, "alerts.publish_alert", alert.commune)
    with transaction.atomic():
        version = AlertVersion.objects.select_for_update().select_related("alert").get(pk=version.pk)
        alert = version.alert
        if version.state == AlertVersion.State.PUBLISHED:
            raise _bad("Already published.", "state")
        if alert.cancelled:
            raise _bad("This incident was cancelled: nothing can follow a cancellation.", "state")
        if needs_approval(version):
            if version.state != AlertVersion.State.APPROVED or version.approved_digest != version.digest():
                raise _bad(
                    "A real alert must be approved by a second person (maire) before publication.", "approval"
                )
        elif version.state == AlertVersion.State.REJECTED:
            raise _bad("This message was rejected.", "state")
        version.identifier = f"beffroi-{alert.commune}-{uuid.uuid4()}"
        version.sent = timezone.now().replace(microsecond=0)
        version.state = AlertVersion.State.PUBLISHED
        xml = cap.build(version)
        material = cap.signing_material()
        if material:
            xml = cap.sign(xml, *material)
            version.signed = True
        version.xml = xml.decode()
        version.save()
        if version.msg_type == AlertVersion.MsgType.CANCEL:
            alert.cancelled = True
            alert.save(update_fields=["cancelled"])
        queued = outbox.enqueue(version, targeting.recipients(version))
        audit.record(
            actor,
            "alerts.publish",
            version,
            commune=alert.commune,
            detail={
                "identifier": version.identifier,
                "msgType": version.msg_type,
                "queued": queued,
                "status": alert.status,
                "digest": version.digest(),
                "signed": version.signed,
            },
        )
        version.queued = queued  # type: ignore[attr-defined]
        transaction.on_commit(lambda: _after_publish(version))
    return version


def _after_publish(version: AlertVersion) -> None:
    # The public site (a higher app) rewrites its pages on this signal; a receiver that fails is
    # logged and never undoes a committed publication.
    for receiver, result in version_published.send_robust(sender=AlertVersion, version=version):
        if isinstance(result, Exception):
            log.error("alerts: %s failed after publishing version %s", receiver, version.pk, exc_info=result)
    try:
        from beffroi.alerts.tasks import dispatch_outbox

        dispatch_outbox()
    except Exception:
        log.exception("alerts: scheduling the outbox dispatch failed")
    _log_in_crisis(version)
    publish_event("alert.published", **_live_event(version))


def _log_in_crisis(version: AlertVersion) -> None:
    """A publication linked to a crisis is written in its main courante (by the system)."""
    alert = version.alert
    if not alert.crisis_id:
        return
    try:
        from beffroi.crisis.actions import do_append_entry

        who = version.approved_by or version.composed_by
        do_append_entry(
            alert.crisis_id,
            text=(
                f"{'EXERCICE – ' if alert.is_exercise else ''}{version.get_msg_type_display()} publiée aux "
                f"habitants : « {version.text('fr').get('headline', '')} » (CAP {version.identifier}, "
                f"{getattr(version, 'queued', 0)} envois prévus"
                f"{', approuvée par ' + who.username if who else ''})."
            ),
            category="action",
            source="systeme",
            actor=None,
        )
    except Exception:  # the crisis may be closed or absent: the alert is published anyway
        log.warning("alerts: could not log the publication in crisis %s", alert.crisis_id, exc_info=True)


def _live_event(version: AlertVersion) -> dict[str, Any]:
    """The live event's communes (the alert's and its area's) and payload."""
    area = version.area if isinstance(version.area, dict) else {}
    return {
        "communes": sorted({version.alert.commune, *(area.get("communes") or [])}),
        "alert": version.alert_id,
        "version": version.number,
        "msgType": version.msg_type,
        "status": version.alert.status,
    }


def _next_version(alert: Alert, msg_type: str, actor: Any) -> AlertVersion:
    alert.refresh_from_db(fields=["cancelled"])
    last = alert.published_versions().last()
    if last is None:
        raise _bad("Publish the alert before updating or cancelling it.", "state")
    if alert.cancelled:
        raise _bad("This incident was cancelled.", "state")
    if alert.versions.exclude(state=AlertVersion.State.PUBLISHED).exists():
        raise _bad("A message of this incident is already being prepared.", "state")
    return AlertVersion(
        alert=alert,
        number=alert.versions.count() + 1,
        msg_type=msg_type,
        texts=last.texts,
        area=last.area,
        severity=last.severity,
        urgency=last.urgency,
        certainty=last.certainty,
        onset=last.onset,
        expires=last.expires,
        web=last.web,
        contact=last.contact,
        test_recipients=last.test_recipients,
        groups=last.groups,
        composed_by=_user(actor),
    )


def do_prepare_update(alert: Alert, *, actor: Any, **fields) -> AlertVersion:
    _check(actor, "alerts.add_alert", alert.commune)
    with transaction.atomic():
        version = _next_version(alert, AlertVersion.MsgType.UPDATE, actor)
        warnings = _apply(version, commune=alert.commune, hazard=alert.hazard, **fields)
        version.warnings = warnings  # type: ignore[attr-defined]
        version.save()
        audit.record(actor, "alerts.prepare_update", version, commune=alert.commune)
    return version


def do_cancel(alert: Alert, *, text: dict | None = None, actor: Any) -> AlertVersion:
    """End of alert, in one click: a Cancel referencing every earlier message, to the same recipients."""
    _check(actor, "alerts.publish_alert", alert.commune)
    with transaction.atomic():
        version = _next_version(alert, AlertVersion.MsgType.CANCEL, actor)
        texts = {lang: dict(t) for lang, t in version.texts.items()}
        defaults = {
            "fr": "La situation est revenue à la normale.",
            "en": "The situation is back to normal.",
            "falc": "Le danger est fini.",
        }
        for lang in texts:
            texts[lang]["description"] = clean((text or {}).get(lang) or defaults.get(lang, defaults["fr"]))
            texts[lang]["instruction"] = ""
        version.texts = texts
        version.expires = max(version.expires, timezone.now() + timedelta(hours=1))
        version.save()
        audit.record(actor, "alerts.prepare_cancel", version, commune=alert.commune)
    return do_publish(version, actor=actor)


def do_notify_staff(users, subject: str, text: str, *, actor: Any) -> int:
    """Queue a message to on-call staff (never citizens) in the outbox: e-mail, and SMS to the
    mobile of their staff profile when an SMS provider is configured. Returns how many messages
    were queued; the outbox workers send them with retries, after this transaction commits."""
    from beffroi.accounts.selectors import staff_contacts
    from beffroi.alerts.channels import sms as sms_channel
    from beffroi.alerts.models import StaffMessage

    users = list(users)
    subject, text = clean(subject, multiline=False)[:200], clean(text)
    sms_ready = sms_channel.configured()
    rows: list[tuple[str, str]] = []
    for contact in staff_contacts(users):
        if contact.email:
            rows.append(("email", contact.email))
        if contact.mobile and sms_ready:
            rows.append(("sms", contact.mobile))
    with transaction.atomic():
        message = StaffMessage.objects.create(subject=subject, text=text)
        queued = outbox.enqueue_staff(message, rows)
        audit.record(
            actor,
            "alerts.notify_staff",
            message,
            detail={"subject": subject, "users": [u.pk for u in users], "queued": queued},
        )
        if queued:
            transaction.on_commit(_dispatch_soon)
    return queued


def _dispatch_soon() -> None:
    try:
        from beffroi.alerts.tasks import dispatch_outbox

        dispatch_outbox()
    except Exception:
        log.exception("alerts: scheduling the outbox dispatch failed")


# --- Subscriptions (public site): the actions live in subscriptions.py -----------------------

from beffroi.alerts.subscriptions import (  # noqa: E402, F401  (re-exported: callers use actions.*)
    SUBSCRIBE_SALT,
    confirmation_token,
    do_confirm_subscription,
    do_subscribe,
    do_unsubscribe,
)


def do_save_template(*, commune: str, hazard: str, texts: dict, actor: Any) -> HazardTemplate:
    """A commune's own wording for a hazard, used when composing from then on."""
    require(actor, "alerts.change_hazardtemplate", commune)
    clean_texts = {
        lang: {
            k: clean((texts.get(lang) or {}).get(k), multiline=k != "headline")
            for k in ("headline", "description", "instruction")
        }
        for lang in LANGUAGES
    }
    if not clean_texts["fr"]["headline"]:
        raise _bad("The French headline is required.", "fr_headline")
    with transaction.atomic():
        template, _created = HazardTemplate.objects.update_or_create(
            commune=commune, hazard=hazard, defaults={"texts": clean_texts}
        )
        audit.record(actor, "alerts.save_template", template, commune=commune, detail={"hazard": hazard})
    return template
