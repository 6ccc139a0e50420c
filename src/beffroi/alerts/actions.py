"""Every write of the alerts app: compose, approve, publish, update, end, subscribe, notify staff.

Scope: every commune of an alert is one of its author's, approver's and publisher's communes
(checked here, so the web form, the API and the CLI are held alike); the area is clipped to the
alert's communes; a linked crisis must exist, be open, cover the alert's communes and be writable
by the author. Every message (Alert, Update, Cancel) of a real or exercise incident is approved by
a second person with a verified session before it is published.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beffroi.accounts.roles import ROLES
from beffroi.alerts import cap, outbox, targeting
from beffroi.alerts.area import validate_area
from beffroi.alerts.hazards import HAZARDS, LANGUAGE_LABELS, LANGUAGES, default_texts
from beffroi.alerts.models import Alert, AlertVersion, HazardTemplate
from beffroi.alerts.signals import version_published
from beffroi.alerts.text import clean, refuse_markup
from beffroi.core import audit
from beffroi.core.actors import Actor, SystemActor, user_or_none
from beffroi.core.errors import Problem, UserError
from beffroi.core.events import publish_event
from beffroi.core.permissions import has_perm, in_commune, require, require_verified
from beffroi.crisis import selectors as crisis_selectors
from beffroi.crisis.actions import do_append_entry

log = logging.getLogger(__name__)
TEXT_KEYS = ("headline", "description", "instruction")
TEXT_LABELS = {
    "headline": gettext_lazy("Titre"),
    "description": gettext_lazy("Description"),
    "instruction": gettext_lazy("Consignes"),
}


def _bad(message: str, field: str) -> UserError:
    return UserError(message, [Problem(message, field=field)])


def _check_hazard(hazard: str) -> None:
    if hazard not in HAZARDS:
        raise _bad(
            _("Aléa inconnu « %(hazard)s » (attendu : %(known)s).")
            % {"hazard": str(hazard)[:40], "known": ", ".join(HAZARDS)},
            "hazard",
        )


def _check(actor: Actor, perm: str, commune: str, *, system: tuple[str, ...] = ()) -> None:
    """Nothing reaches citizens without a user's permission: only drafting is open to the system."""
    require(actor, perm, commune, system=system)


def _check_all(actor: Actor, perm: str, communes: list[str], *, system: tuple[str, ...] = ()) -> None:
    """The actor holds ``perm`` in *every* commune of the alert (a system actor: only if declared)."""
    for commune in communes:
        _check(actor, perm, commune, system=system)


def _user(actor: Actor):
    return user_or_none(actor)


def _aware(value: Any, field: str) -> datetime:
    label = {"onset": _("Début"), "expires": _("Fin de validité")}.get(field, field)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _bad(_("%(field)s : ce n'est pas une date et heure.") % {"field": label}, field) from None
    if not isinstance(value, datetime):
        raise _bad(_("%(field)s : obligatoire.") % {"field": label}, field)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _texts(
    texts: dict | None,
    hazard: str,
    commune: str,
    headline=None,
    description=None,
    instruction=None,
    *,
    current: dict | None = None,
):
    """The message's texts: what is given, over the current texts (an edit, an update), else over the
    commune's template for the hazard, else the built-in one."""
    if current:
        base = {lang: dict(t) for lang, t in current.items()}
    else:
        base = default_texts(hazard)
        custom = HazardTemplate.objects.filter(commune=commune, hazard=hazard).first()
        if custom:
            for lang, t in custom.texts.items():
                base.setdefault(lang, {}).update(t)
    merged: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        source = {**(base.get(lang) or {}), **((texts or {}).get(lang) or {})}
        merged[lang] = {k: clean(source.get(k), multiline=k != "headline") for k in TEXT_KEYS}
    if headline:
        merged["fr"]["headline"] = clean(headline, multiline=False)
    if description:
        merged["fr"]["description"] = clean(description)
    if instruction:
        merged["fr"]["instruction"] = clean(instruction)
    if not merged["fr"]["headline"]:
        raise _bad(_("Le titre en français est obligatoire."), "fr_headline")
    for lang, t in merged.items():
        label = LANGUAGE_LABELS.get(lang, lang)
        for key in TEXT_KEYS:
            refuse_markup(t[key], f"{TEXT_LABELS[key]} ({label})", f"{lang}_{key}")
        if len(t["headline"]) > 140:
            raise _bad(_("Titre (%(lang)s) : plus de 140 caractères.") % {"lang": label}, f"{lang}_headline")
        # A language is sent when it has a headline; CAP aggregators need its description too.
        if t["headline"] and not t["description"]:
            raise _bad(
                _("Description (%(lang)s) : obligatoire quand le titre dans cette langue est rempli.")
                % {"lang": label},
                f"{lang}_description",
            )
    return merged


def _apply(
    version: AlertVersion,
    *,
    commune: str,
    communes: list[str],
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
        texts, hazard, commune, headline, description, instruction, current=version.texts or None
    )
    if area is not None or not version.area:
        version.area, warnings = validate_area(area or {"communes": communes}, allowed_communes=communes)
    for name, value, choices in (
        ("severity", severity, AlertVersion.SEVERITY_CHOICES),
        ("urgency", urgency, AlertVersion.URGENCY_CHOICES),
        ("certainty", certainty, AlertVersion.CERTAINTY_CHOICES),
    ):
        if value is not None:
            allowed = [v for v, _label in choices]
            if value not in allowed:
                raise _bad(
                    _("%(name)s : valeur inconnue « %(value)s » (valeurs CAP : %(allowed)s).")
                    % {"name": name, "value": value, "allowed": ", ".join(allowed)},
                    name,
                )
            setattr(version, name, value)
    now = timezone.now()
    version.onset = _aware(onset, "onset") if onset is not None else (version.onset or now)
    version.expires = (
        _aware(expires, "expires")
        if expires is not None
        else (version.expires or max(version.onset, now) + timedelta(hours=24))
    )
    if version.expires <= version.onset:
        raise _bad(_("La fin de validité doit être après le début."), "expires")
    if version.expires <= now:
        raise _bad(_("La fin de validité est déjà passée : choisissez une date à venir."), "expires")
    if web is not None:
        if web and not web.startswith(("https://", "http://")):
            raise _bad(_("Le lien web doit commencer par https://"), "web")
        version.web = web
    if contact is not None:
        version.contact = refuse_markup(clean(contact, multiline=False)[:200], _("Contact"), "contact")
    if test_recipients is not None:
        version.test_recipients = [
            clean(r, multiline=False) for r in test_recipients if clean(r, multiline=False)
        ]
    if groups is not None:
        unknown = [g for g in groups if g not in ROLES]
        if unknown:
            raise _bad(_("Groupes inconnus : %(groups)s") % {"groups": ", ".join(unknown)}, "groups")
        version.groups = sorted(set(groups))
    return warnings


def _check_crisis(crisis_id: int, communes: list[str], actor: Actor) -> None:
    """The crisis exists and is open, covers every commune of the alert, and the actor may write
    its main courante (where the alert's messages are logged)."""

    crisis = next((c for c in crisis_selectors.active_crises() if c.pk == crisis_id), None)
    if crisis is None:
        raise _bad(_("Crise n° %(id)s inconnue ou close.") % {"id": crisis_id}, "crisis_id")
    outside = [c for c in communes if c not in crisis.communes]
    if outside:
        raise _bad(
            _("La crise n° %(id)s ne concerne pas les communes %(codes)s de l'alerte.")
            % {"id": crisis_id, "codes": ", ".join(outside)},
            "crisis_id",
        )
    if not isinstance(actor, SystemActor) and not (
        has_perm(actor, "crisis.add_logentry") and any(in_commune(actor, c) for c in crisis.communes)
    ):
        raise _bad(
            _("Vous ne pouvez pas écrire dans la main courante de la crise n° %(id)s.") % {"id": crisis_id},
            "crisis_id",
        )


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
    actor: Actor,
) -> Alert:
    """Create an incident with its first message as a draft (monitoring proposes drafts through this).

    The alert's communes are ``communes`` and those of ``area``; the author must hold the right in
    every one of them.
    """
    codes = [str(c).strip() for c in (communes or ([commune] if commune else [])) if str(c).strip()]
    codes += [str(c).strip() for c in (area or {}).get("communes") or [] if str(c).strip()]
    codes = list(dict.fromkeys(codes))
    if not codes:
        raise _bad(_("Au moins une commune est obligatoire."), "communes")
    main = codes[0]
    _check_all(actor, "alerts.add_alert", codes, system=("demo",))
    _check_hazard(hazard)
    status = status or (Alert.Status.EXERCISE if exercise else Alert.Status.ACTUAL)
    if status not in Alert.Status.values:
        raise _bad(_("Statut inconnu : Actual, Exercise ou Test."), "status")
    if crisis_id is not None:
        _check_crisis(int(crisis_id), codes, actor)
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
        area = dict(area) if area is not None else {}
        area["communes"] = codes
        warnings = _apply(
            version,
            commune=main,
            communes=codes,
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
            detail={
                "hazard": hazard,
                "status": status,
                "source": source,
                "communes": codes,
                "crisis": crisis_id,
                "warnings": warnings,
            },
        )
    alert.warnings = warnings  # type: ignore[attr-defined]
    return alert


def do_edit_version(version: AlertVersion, *, actor: Actor, **fields) -> list[str]:
    """Change a draft (or a submitted version, which goes back to draft: approval is on what is seen).

    The area stays within the alert's communes (``fields["area"]["communes"]`` may narrow them).
    """
    alert = version.alert
    communes = alert.communes()
    _check_all(actor, "alerts.change_alert", communes)
    if version.state not in (
        AlertVersion.State.DRAFT,
        AlertVersion.State.SUBMITTED,
        AlertVersion.State.APPROVED,
    ):
        raise _bad(_("Un message publié ne se modifie pas : publiez une mise à jour."), "state")
    area = fields.get("area")
    if area is not None and not area.get("communes"):
        fields["area"] = {**area, "communes": communes}
    with transaction.atomic():
        warnings = _apply(version, commune=alert.commune, communes=communes, hazard=alert.hazard, **fields)
        version.state = AlertVersion.State.DRAFT
        version.approved_by, version.approved_at, version.approved_digest = None, None, ""
        version.save()
        audit.record(actor, "alerts.edit", version, commune=alert.commune, detail={"warnings": warnings})
    return warnings


def needs_approval(version: AlertVersion) -> bool:
    """Every message of a real or exercise incident (Alert, Update, Cancel) needs a second person;
    only a technical Test, sent to its test recipients, does not."""
    return version.alert.status in (Alert.Status.ACTUAL, Alert.Status.EXERCISE)


def do_submit(version: AlertVersion, *, actor: Actor) -> AlertVersion:
    _check_all(actor, "alerts.add_alert", version.alert.communes())
    if version.state != AlertVersion.State.DRAFT:
        raise _bad(_("Seul un brouillon peut être soumis."), "state")
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


def do_approve(version: AlertVersion, *, digest: str, actor: Actor) -> AlertVersion:
    """Second person (maire role, TOTP-verified session, in every commune of the alert) approves
    exactly the text they saw."""
    alert = version.alert
    for commune in alert.communes():
        require(actor, "alerts.approve_alert", commune)
    require_verified(actor)
    if version.state != AlertVersion.State.SUBMITTED:
        raise _bad(_("Seul un message soumis peut être approuvé."), "state")
    if version.composed_by_id and version.composed_by_id == actor.pk:
        raise _bad(_("L'approbation doit venir d'une autre personne que l'auteur du message."), "approver")
    if digest != version.digest():
        raise _bad(_("Le message a changé depuis votre lecture : relisez-le avant d'approuver."), "digest")
    with transaction.atomic():
        version.state = AlertVersion.State.APPROVED
        version.approved_by, version.approved_at, version.approved_digest = (
            _user(actor),
            timezone.now(),
            digest,
        )
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


def do_reject(version: AlertVersion, *, reason: str, actor: Actor) -> AlertVersion:
    for commune in version.alert.communes():
        require(actor, "alerts.approve_alert", commune)
    if "\x00" in (reason or ""):
        raise _bad(_("Motif du refus : caractère nul (\\0) refusé."), "reason")
    if len(reason or "") > 500:
        raise _bad(_("Motif du refus : %(n)s caractères, au plus 500.") % {"n": len(reason)}, "reason")
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


def do_publish(version: AlertVersion, *, actor: Actor, confirmed: bool = False) -> AlertVersion:
    """One action: CAP message (signed when a key is configured), outbox rows, then the static site.

    A Cancel (« Fin d'alerte ») is published only with ``confirmed=True``: the confirmation step.
    """
    alert = version.alert
    _check_all(actor, "alerts.publish_alert", alert.communes())
    with transaction.atomic():
        version = AlertVersion.objects.select_for_update().select_related("alert").get(pk=version.pk)
        alert = version.alert
        if version.state == AlertVersion.State.PUBLISHED:
            raise _bad(_("Ce message est déjà publié."), "state")
        if alert.cancelled:
            raise _bad(_("Cette alerte est terminée : rien ne peut suivre une fin d'alerte."), "state")
        if needs_approval(version):
            if version.state != AlertVersion.State.APPROVED or version.approved_digest != version.digest():
                raise _bad(
                    _("Ce message doit être approuvé par une seconde personne (maire) avant publication."),
                    "approval",
                )
        elif version.state == AlertVersion.State.REJECTED:
            raise _bad(_("Ce message a été refusé."), "state")
        if version.msg_type == AlertVersion.MsgType.CANCEL and not confirmed:
            raise _bad(_("Confirmez la fin d'alerte avant de la publier."), "confirm")
        now = timezone.now()
        if version.expires <= now:
            raise _bad(
                _("Ce message a expiré (fin de validité passée) : modifiez sa fin de validité."), "expires"
            )
        version.identifier = f"beffroi-{alert.commune}-{uuid.uuid4()}"
        version.sent = now.replace(microsecond=0)
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
        earlier = targeting.earlier_versions(version)
        queued = outbox.enqueue(version, targeting.recipients(version), earlier=earlier)
        if not earlier:
            version.reach_parts = {"in_area": queued, "earlier": 0, "both": 0, "earlier_only": 0}
            AlertVersion.objects.filter(pk=version.pk).update(reach_parts=version.reach_parts)
        audit.record(
            actor,
            "alerts.publish",
            version,
            commune=alert.commune,
            detail={
                "identifier": version.identifier,
                "msgType": version.msg_type,
                "queued": queued,
                "reach_parts": version.reach_parts,
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
    """A publication linked to a crisis (Alert, Update, end) is written in its main courante."""
    alert = version.alert
    if not alert.crisis_id:
        return
    try:
        who = version.approved_by or version.composed_by
        kinds = {"Alert": "Alerte publiée", "Update": "Mise à jour publiée", "Cancel": "Fin d'alerte publiée"}
        kind = kinds.get(str(version.msg_type), "Message publié")
        do_append_entry(
            alert.crisis_id,
            text=(
                f"{'EXERCICE – ' if alert.is_exercise else ''}{kind} aux "
                f"habitants : « {version.text('fr').get('headline', '')} » (CAP {version.identifier}, "
                f"{getattr(version, 'queued', 0)} envois prévus"
                f"{', approuvée par ' + who.username if who else ''})."
            ),
            category="action",
            source="systeme",
            actor=SystemActor("alerts"),
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


def _next_version(alert: Alert, msg_type: str, actor: Actor) -> AlertVersion:
    alert.refresh_from_db(fields=["cancelled"])
    last = alert.published_versions().last()
    if last is None:
        raise _bad(_("Publiez l'alerte avant de la mettre à jour ou d'y mettre fin."), "state")
    if alert.cancelled:
        raise _bad(_("Cette alerte est terminée."), "state")
    if alert.versions.exclude(state=AlertVersion.State.PUBLISHED).exists():
        raise _bad(_("Un message de cette alerte est déjà en préparation."), "state")
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


def do_prepare_update(alert: Alert, *, actor: Actor, **fields) -> AlertVersion:
    communes = alert.communes()
    _check_all(actor, "alerts.add_alert", communes)
    with transaction.atomic():
        version = _next_version(alert, AlertVersion.MsgType.UPDATE, actor)
        if version.expires <= timezone.now() and "expires" not in fields:
            version.expires = timezone.now() + timedelta(hours=6)
        area = fields.get("area")
        if area is not None and not area.get("communes"):
            fields["area"] = {**area, "communes": communes}
        warnings = _apply(version, commune=alert.commune, communes=communes, hazard=alert.hazard, **fields)
        version.warnings = warnings  # type: ignore[attr-defined]
        version.save()
        audit.record(actor, "alerts.prepare_update", version, commune=alert.commune)
    return version


# The prefilled wording of an end of alert, per language (the composer edits it before approval).
CANCEL_TEXTS = {
    "fr": ("Fin d'alerte", "La situation est revenue à la normale.", ""),
    "en": ("All clear", "The situation is back to normal.", ""),
    "falc": ("C'est fini", "Le danger est fini.", ""),
}


def cancel_texts(version: AlertVersion) -> dict[str, dict[str, str]]:
    """Prefilled texts of a « Fin d'alerte » for each language of the last message."""
    texts: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        earlier = (version.texts or {}).get(lang) or {}
        if not earlier.get("headline"):
            texts[lang] = {k: "" for k in TEXT_KEYS}
            continue
        head, description, instruction = CANCEL_TEXTS.get(lang, CANCEL_TEXTS["fr"])
        texts[lang] = {
            "headline": clean(f"{head} : {earlier['headline']}", multiline=False)[:140],
            "description": description,
            "instruction": instruction,
        }
    return texts


def do_prepare_cancel(alert: Alert, *, texts: dict | None = None, actor: Actor) -> AlertVersion:
    """Prepare a « Fin d'alerte » (CAP Cancel) as a draft: its own text (prefilled, editable per
    language), then preview, approval by a second person and a confirmed publication, like any
    message. It references every earlier message and reaches their recipients and everyone in the
    area now."""
    communes = alert.communes()
    _check_all(actor, "alerts.add_alert", communes)
    with transaction.atomic():
        version = _next_version(alert, AlertVersion.MsgType.CANCEL, actor)
        version.texts = _texts(texts, alert.hazard, alert.commune, current=cancel_texts(version))
        version.urgency = "Past"
        # Aggregators keep a Cancel in their index until it expires: give it a short life of its own.
        version.onset = min(version.onset, timezone.now())
        version.expires = timezone.now() + timedelta(hours=6)
        version.save()
        audit.record(actor, "alerts.prepare_cancel", version, commune=alert.commune)
    return version


from beffroi.alerts.staff import do_notify_staff  # noqa: E402, F401  (re-exported: callers use actions.*)

# --- Subscriptions (public site): the actions live in subscriptions.py -----------------------
from beffroi.alerts.subscriptions import (  # noqa: E402, F401  (re-exported: callers use actions.*)
    SUBSCRIBE_SALT,
    confirmation_token,
    do_confirm_subscription,
    do_subscribe,
    do_unsubscribe,
)


def do_save_template(*, commune: str, hazard: str, texts: dict, actor: Actor) -> HazardTemplate:
    """A commune's own wording for a hazard, used when composing from then on."""
    require(actor, "alerts.change_hazardtemplate", commune)
    clean_texts = {
        lang: {
            k: clean((texts.get(lang) or {}).get(k), multiline=k != "headline")
            for k in ("headline", "description", "instruction")
        }
        for lang in LANGUAGES
    }
    _check_hazard(hazard)
    if not clean_texts["fr"]["headline"]:
        raise _bad("The French headline is required.", "fr_headline")
    with transaction.atomic():
        template, _created = HazardTemplate.objects.update_or_create(
            commune=commune, hazard=hazard, defaults={"texts": clean_texts}
        )
        audit.record(actor, "alerts.save_template", template, commune=commune, detail={"hazard": hazard})
    return template
