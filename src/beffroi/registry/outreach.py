"""Outreach campaigns: split the prioritised list among callers, record outcomes, re-call, escalate to visits.

Progress is published as counts (never names) on the live topic "registry"; closing a campaign writes a
summary without names in the crisis's main courante.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beffroi.alerts import selectors as alerts_selectors
from beffroi.alerts.area import validate_polygon
from beffroi.core.actors import Actor, SystemActor, user_or_none
from beffroi.core.audit import record as audit
from beffroi.core.errors import Problem, UserError
from beffroi.core.events import publish_event
from beffroi.core.permissions import require
from beffroi.crisis import selectors as crisis_selectors
from beffroi.crisis.actions import do_append_entry
from beffroi.registry import access, actions, crypto
from beffroi.registry.models import CallAssignment, CallAttempt, Campaign, Nomination, Visit
from beffroi.registry.models.outreach import Hazard, Outcome
from beffroi.territory.selectors import communes

log = logging.getLogger(__name__)

# The greeting names the agent and the commune's CCAS (never a login such as « ccas »); the rest of
# each script is the hazard's. Spoken in the UI's language: the English catalogue has them too.
GREETING = gettext_lazy("Bonjour, je suis %(agent)s, du %(ccas)s.")
GREETING_NO_NAME = gettext_lazy("Bonjour, je vous appelle de la part du %(ccas)s.")
SCRIPTS: dict[str, list] = {
    Hazard.HEATWAVE: [
        gettext_lazy(
            "Vous êtes inscrit·e au registre des personnes vulnérables ; nous appelons tout le monde à "
            "cause de la canicule."
        ),
        gettext_lazy("Comment allez-vous ? Avez-vous chaud chez vous ?"),
        gettext_lazy("Buvez de l'eau régulièrement sans attendre d'avoir soif ; mangez normalement."),
        gettext_lazy(
            "Fermez volets et fenêtres le jour, aérez la nuit ; passez quelques heures dans un lieu frais."
        ),
        gettext_lazy(
            "Quelqu'un passe-t-il vous voir ? Avez-vous besoin de courses, de médicaments, d'une visite ?"
        ),
        gettext_lazy("En cas de malaise, appelez le 15. Canicule info service : 0 800 06 66 66 (gratuit)."),
    ],
    Hazard.COLD: [
        gettext_lazy("Nous appelons les personnes inscrites à cause du grand froid."),
        gettext_lazy("Votre logement est-il chauffé ? Avez-vous de quoi manger et vos médicaments ?"),
        gettext_lazy(
            "Ne bouchez pas les aérations ; n'utilisez pas de chauffage d'appoint en continu (monoxyde de "
            "carbone)."
        ),
        gettext_lazy("Avez-vous besoin d'une visite ? En cas d'urgence, appelez le 15 ou le 112."),
    ],
    Hazard.FLOOD: [
        gettext_lazy("Une inondation menace votre quartier."),
        gettext_lazy("Êtes-vous chez vous ? À quel étage ? Pouvez-vous monter à l'étage si l'eau arrive ?"),
        gettext_lazy(
            "Coupez l'électricité et le gaz si l'eau entre ; ne descendez pas dans les caves ou parkings."
        ),
        gettext_lazy(
            "Avez-vous besoin d'aide pour partir ou d'une visite ? En cas de danger, appelez le 18 ou le 112."
        ),
    ],
    Hazard.EPIDEMIC: [
        gettext_lazy("Nous prenons des nouvelles pendant l'épidémie."),
        gettext_lazy("Comment allez-vous ? Avez-vous vos médicaments, vos courses ?"),
        gettext_lazy("Quelqu'un peut-il vous aider ? Avez-vous besoin d'une visite ou d'un portage ?"),
    ],
    Hazard.POWER: [
        gettext_lazy("Une coupure touche votre quartier."),
        gettext_lazy("Avez-vous un appareil médical qui dépend de l'électricité ? Avez-vous de l'eau ?"),
        gettext_lazy("Avez-vous besoin d'une visite ou d'un hébergement temporaire ?"),
    ],
    Hazard.OTHER: [
        gettext_lazy("Nous appelons les personnes inscrites au registre."),
        gettext_lazy("Comment allez-vous ? Avez-vous besoin de quelque chose ou d'une visite ?"),
    ],
}
NOTE_MAX = 1000


def ccas_name(commune: str) -> str:
    """« CCAS de Rueil-Malmaison », « CCAS du Vésinet », « CCAS des Lilas », « CCAS de l'Haÿ-les-Roses »."""
    name = next((c.name for c in communes() if c.code == commune), commune)
    # One message per article, so that each language writes it its own way.
    if name.startswith("Le "):
        return _("CCAS du %(rest)s") % {"rest": name[3:]}
    if name.startswith("Les "):
        return _("CCAS des %(rest)s") % {"rest": name[4:]}
    if name.startswith("La "):
        return _("CCAS de la %(rest)s") % {"rest": name[3:]}
    if name.startswith(("L'", "L’")):
        return _("CCAS de l'%(rest)s") % {"rest": name[2:]}
    return _("CCAS de %(name)s") % {"name": name}


def agent_name(user) -> str:
    """The caller's full name as their account gives it; empty when the account has none."""
    full = (user.get_full_name() or "").strip() if hasattr(user, "get_full_name") else ""
    return full


def script_for(hazard: str, agent: str, commune: str) -> list[str]:
    """The call script: a greeting naming the agent and the CCAS, then the hazard's lines."""
    ccas = ccas_name(commune)
    greeting = GREETING % {"agent": agent, "ccas": ccas} if agent else GREETING_NO_NAME % {"ccas": ccas}
    return [str(greeting)] + [str(line) for line in SCRIPTS.get(hazard, SCRIPTS[Hazard.OTHER])]


def clean_note(note: str | None) -> str:
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        message = _("Note : %(n)d caractères au plus (%(len)d saisis).") % {"n": NOTE_MAX, "len": len(text)}
        raise UserError(message, [Problem(message, field="note")])
    return text


def _seal_note(row, text: str, kind: str) -> None:
    """Encrypt a note on a saved row (its id is in the authenticated data, so a note cannot be moved)."""
    if not text:
        row.note_key_id, row.note = "", ""
        return
    row.note_key_id, row.note = crypto.encrypt_json({"note": text}, aad=access.note_aad(kind, row.pk))


def _progress_event(campaign: Campaign) -> dict:
    return {
        "communes": [campaign.commune_code],
        "campaign": campaign.pk,
        "crisis": campaign.crisis_id,
        **progress(campaign),
    }


def progress(campaign: Campaign) -> dict:
    """Counts only."""
    by_status = dict(
        CallAssignment.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    by_outcome = dict(
        CallAssignment.objects.filter(campaign=campaign)
        .exclude(last_outcome="")
        .values_list("last_outcome")
        .annotate(n=Count("id"))
        .values_list("last_outcome", "n")
    )
    visits = dict(
        Visit.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    total = sum(by_status.values())
    return {
        "total": total,
        "to_call": by_status.get(CallAssignment.Status.TO_CALL, 0),
        "reached": by_status.get(CallAssignment.Status.REACHED, 0),
        "escalated": by_status.get(CallAssignment.Status.ESCALATED, 0),
        "needs_help": by_outcome.get(Outcome.NEEDS_HELP, 0),
        "visits_to_do": visits.get(Visit.Status.TO_VISIT, 0),
        "visits_done": visits.get(Visit.Status.DONE, 0),
        "visits_absent": visits.get(Visit.Status.ABSENT, 0),
        "visits_refused": visits.get(Visit.Status.REFUSED, 0),
    }


def _callers_ok(callers, commune: str) -> None:
    problems = []
    for caller in callers:
        if not caller.has_perm("registry.view_person") or access.nomination_for(caller, commune) is None:
            problems.append(
                Problem(
                    _("%(user)s n'est pas nommé·e au registre de %(commune)s.")
                    % {"user": caller.get_full_name() or caller.username, "commune": commune},
                    field="callers",
                )
            )
    if problems:
        raise UserError(
            _("Appelants : chaque appelant doit être un agent du CCAS nommé par le maire."), problems
        )


def _refuse(message: str, field: str) -> UserError:
    return UserError(message, [Problem(message, field=field)])


def _crisis_of(commune: str, crisis_id: int | str | None) -> str:
    """The crisis a campaign reports to: a crisis number that exists and concerns the commune."""
    raw = str(crisis_id or "").strip()
    if not raw:
        return ""
    crisis = crisis_selectors.active_crises() if raw.isdigit() else []
    if not any(c.pk == int(raw) and commune in c.communes for c in crisis):
        raise _refuse(
            _("Crise : « %(id)s » n'est pas une crise ouverte de la commune %(commune)s.")
            % {"id": raw[:20], "commune": commune},
            "crisis",
        )
    return raw


def campaign_area(commune: str, *, actor: Actor, area=None, alert_id=None) -> tuple[dict | None, str]:
    """The campaign's area and its label: a polygon drawn on the map (GeoJSON, as a dict or text)
    or the area of one of the commune's published alerts (read through the alerts' selectors)."""
    if alert_id not in (None, ""):
        try:
            number = int(alert_id)
        except (TypeError, ValueError):
            raise _refuse(_("Alerte : numéro d'alerte invalide."), "alert") from None
        found = alerts_selectors.alert_area(number, commune, user=actor)
        if found is None:
            raise _refuse(
                _("Alerte : l'alerte n° %(n)d n'est pas une alerte publiée de cette commune.")
                % {"n": number},
                "alert",
            )
        return found["geometry"], found["label"]
    if area in (None, "", {}):
        return None, ""
    if isinstance(area, str):
        try:
            area = json.loads(area)
        except ValueError:
            raise _refuse(
                _("Zone : le texte n'est pas du GeoJSON (un polygone, coordonnées [longitude, latitude])."),
                "area",
            ) from None
    if isinstance(area, dict) and area.get("type") == "FeatureCollection":
        features = area.get("features") or []
        area = features[0] if len(features) == 1 else area
    try:
        polygon, _warnings = validate_polygon(area)
    except UserError as exc:
        # The alerts' checks say what is wrong in French; the field here is the campaign's area.
        raise _refuse(_("Zone : %(detail)s") % {"detail": exc.message}, "area") from None
    return polygon, str(_("Zone dessinée sur la carte"))


def do_start_campaign(
    commune: str,
    *,
    hazard: str,
    callers: list,
    actor: Actor,
    title: str = "",
    area: dict | str | None = None,
    alert_id: int | str | None = None,
    crisis_id: str = "",
    recall_delay_minutes: int = 60,
    max_failed_calls: int = 3,
) -> Campaign:
    """Split the commune's prioritised list among the callers. With an area (drawn, or an alert's),
    only people located in it are called, and people whose address is not located are kept: they
    cannot be ruled out, and the campaign page lists them « à localiser »."""
    require(actor, "registry.add_campaign", commune)
    access.check_reader(actor, commune)
    if hazard not in Hazard.values:
        raise _refuse(_("Aléa : choisissez un aléa de la liste."), "hazard")
    if not callers:
        raise _refuse(_("Appelants : cochez au moins un appelant."), "callers")
    if max_failed_calls < 1:
        raise _refuse(_("Visite après combien d'appels sans réponse : au moins 1."), "max_failed_calls")
    if recall_delay_minutes < 1:
        raise _refuse(_("Rappel après (minutes) : au moins 1."), "recall_delay_minutes")
    _callers_ok(callers, commune)
    crisis_id = _crisis_of(commune, crisis_id)
    area, area_label = campaign_area(commune, actor=actor, area=area, alert_id=alert_id)
    callers = sorted(set(callers), key=lambda u: u.pk)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            commune_code=commune,
            hazard=hazard,
            crisis_id=str(crisis_id or ""),
            area=area,
            alert_id=int(alert_id) if alert_id not in (None, "") else None,
            area_label=area_label,
            title=title
            or _("Campagne %(hazard)s du %(date)s")
            % {"hazard": Hazard(hazard).label, "date": timezone.localtime().strftime("%d/%m/%Y %H:%M")},
            recall_delay_minutes=recall_delay_minutes,
            max_failed_calls=max_failed_calls,
            created_by=user_or_none(actor),
        )
        targets = access.prioritised_list(
            actor,
            commune,
            area=area,
            reason=f"campagne {campaign.pk}",
            crisis_id=campaign.crisis_id,
            only_in_zone=bool(area),
        )
        CallAssignment.objects.bulk_create(
            [
                CallAssignment(
                    campaign=campaign,
                    person_id=t.person_id,
                    caller=callers[i % len(callers)],
                    rank=i,
                    priority=t.score,
                )
                for i, t in enumerate(targets)
            ]
        )
        audit(
            actor,
            "registry.campaign_start",
            campaign,
            commune=commune,
            detail={
                "hazard": hazard,
                "people": len(targets),
                "not_located": sum(1 for t in targets if t.in_zone is None),
                "area": "alert" if campaign.alert_id else ("drawn" if area else ""),
                "alert": campaign.alert_id,
                "callers": [c.username for c in callers],
            },
        )
        publish_event("campaign.progress", **_progress_event(campaign))  # sent after the commit
    return campaign


def do_record_outcome(assignment_id: int, outcome: str, *, note: str = "", actor: Actor) -> CallAssignment:
    """One click per outcome, with an optional note. No answer → re-call after the delay, visit after
    N failures; wrong number or needs help → a visit at once."""
    if outcome not in Outcome.values:
        raise _refuse(_("Résultat de l'appel : choisissez un des boutons."), "outcome")
    note = clean_note(note)
    with transaction.atomic():
        a = (
            CallAssignment.objects.select_for_update()
            .select_related("campaign")
            .filter(pk=assignment_id)
            .first()
        )
        if a is None:
            raise PermissionDenied("unknown assignment")
        campaign = a.campaign
        require(actor, "registry.view_person", campaign.commune_code)
        nomination = access.check_reader(actor, campaign.commune_code, scope=access.CALLER)
        if a.caller_id != actor.pk and nomination.scope != Nomination.Scope.MANAGER:
            raise PermissionDenied("not your share")
        if campaign.status != Campaign.Status.OPEN:
            raise _refuse(_("La campagne est close : plus aucun résultat ne peut être noté."), "campaign")
        now = timezone.now()
        attempt = CallAttempt.objects.create(assignment=a, caller=user_or_none(actor), outcome=outcome)
        if note:
            _seal_note(attempt, note, "callattempt")
            attempt.save(update_fields=["note_key_id", "note"])
        a.attempts += 1
        a.last_outcome = outcome
        a.next_call_at = None
        visit_reason = None
        if outcome == Outcome.REACHED_OK:
            a.status = CallAssignment.Status.REACHED
        elif outcome == Outcome.NEEDS_HELP:
            a.status = CallAssignment.Status.REACHED
            visit_reason = outcome
        elif outcome == Outcome.WRONG_NUMBER:
            a.status = CallAssignment.Status.ESCALATED
            visit_reason = outcome
        else:
            a.failed_attempts += 1
            if a.failed_attempts >= campaign.max_failed_calls:
                a.status = CallAssignment.Status.ESCALATED
                visit_reason = outcome
            else:
                a.status = CallAssignment.Status.TO_CALL
                a.next_call_at = now + timedelta(minutes=campaign.recall_delay_minutes)
        a.save()
        if visit_reason:
            Visit.objects.get_or_create(
                campaign=campaign, person_id=a.person_id, defaults={"reason": visit_reason}
            )
        audit(
            actor,
            "registry.call_outcome",
            object_type="registry.callassignment",
            object_id=str(a.pk),
            commune=campaign.commune_code,
            detail={
                "outcome": outcome,
                "attempt": a.attempts,
                "visit": bool(visit_reason),
                "note": bool(note),  # whether there is one, never its text
            },
        )
        publish_event("campaign.progress", **_progress_event(campaign))  # sent after the commit
    return a


VISIT_OUTCOMES = (Visit.Status.DONE, Visit.Status.ABSENT, Visit.Status.REFUSED)


def do_record_visit(visit_id: int, status: str, *, note: str = "", actor: Actor) -> Visit:
    """The team's outcome at the door: visited, absent or refused, with an optional note. It can be
    corrected (the last outcome counts; the audit keeps each one)."""
    if status not in VISIT_OUTCOMES:
        raise _refuse(_("Résultat de la visite : visité, absent ou refus."), "status")
    note = clean_note(note)
    with transaction.atomic():
        visit = Visit.objects.select_for_update().select_related("campaign").filter(pk=visit_id).first()
        if visit is None:
            raise PermissionDenied("unknown visit")
        require(actor, "registry.change_campaign", visit.campaign.commune_code)
        access.check_reader(actor, visit.campaign.commune_code)
        if visit.campaign.status != Campaign.Status.OPEN:
            raise _refuse(_("La campagne est close : plus aucun résultat ne peut être noté."), "campaign")
        previous = visit.status
        visit.status = status
        visit.done_at = timezone.now()
        visit.visited_by = user_or_none(actor)
        _seal_note(visit, note, "visit")
        visit.save(update_fields=["status", "done_at", "visited_by", "note_key_id", "note"])
        audit(
            actor,
            "registry.visit_outcome",
            object_type="registry.visit",
            object_id=str(visit.pk),
            commune=visit.campaign.commune_code,
            detail={"status": status, "previous": previous, "note": bool(note)},
        )
        publish_event("campaign.progress", **_progress_event(visit.campaign))  # sent after the commit
    return visit


def do_mark_visit_done(visit_id: int, *, actor: Actor) -> Visit:
    return do_record_visit(visit_id, Visit.Status.DONE, actor=actor)


def do_place_person(
    campaign: Campaign, public_id: str, *, lon=None, lat=None, address: str | None = None, actor: Actor
) -> dict:
    """Place a person « à localiser » of the campaign (a click on the map, or a corrected address
    geocoded on the local address table), then apply the campaign's area: someone now located
    outside it and not called yet leaves the call list (the campaign is limited to the area);
    anyone already called, or with a visit asked, stays. One transaction, audited."""
    require(actor, "registry.change_campaign", campaign.commune_code)
    access.check_reader(actor, campaign.commune_code)
    with transaction.atomic():
        if not access.in_campaign(actor, campaign, public_id):
            raise PermissionDenied("not in this campaign")
        placed = actions.do_locate_person(public_id, lon=lon, lat=lat, address=address, actor=actor)
        inside = None
        removed = False
        if campaign.area:
            inside = bool(access.points_in_area(campaign.area, [(1, placed["lon"], placed["lat"])]))
            if not inside:
                removed = bool(
                    CallAssignment.objects.filter(campaign=campaign, person__public_id=public_id, attempts=0)
                    .exclude(person__in=Visit.objects.filter(campaign=campaign).values("person"))
                    .delete()[0]
                )
        audit(
            actor,
            "registry.campaign_place",
            campaign,
            commune=campaign.commune_code,
            detail={"person": public_id, "method": placed["method"], "in_area": inside, "removed": removed},
        )
        if removed:
            publish_event("campaign.progress", **_progress_event(campaign))  # sent after the commit
    return {**placed, "in_area": inside, "removed": removed}


def summary_text(campaign: Campaign) -> str:
    p = progress(campaign)
    return _(
        "Registre des personnes vulnérables — %(title)s : %(total)d personnes à appeler, %(reached)d jointes "
        "(dont %(help)d ayant besoin d'aide), %(to_call)d restant à appeler, %(visits)d visites demandées "
        "(%(done)d faites, %(absent)d personnes absentes, %(refused)d refus)."
    ) % {
        "title": campaign.title,
        "total": p["total"],
        "reached": p["reached"],
        "help": p["needs_help"],
        "to_call": p["to_call"],
        "visits": p["visits_to_do"] + p["visits_done"] + p["visits_absent"] + p["visits_refused"],
        "done": p["visits_done"],
        "absent": p["visits_absent"],
        "refused": p["visits_refused"],
    }


def do_post_summary(campaign: Campaign, *, actor: Actor) -> bool:
    """Write a count-only summary in the crisis's main courante (no names). False if no crisis app/crisis."""
    require(actor, "registry.change_campaign", campaign.commune_code)
    access.check_reader(actor, campaign.commune_code)
    if not campaign.crisis_id:
        return False
    do_append_entry(
        int(campaign.crisis_id),
        text=summary_text(campaign),
        category="info",
        source="system",
        actor=SystemActor("outreach"),
    )
    audit(actor, "registry.campaign_summary", campaign, commune=campaign.commune_code)
    return True


def do_close_campaign(campaign: Campaign, *, actor: Actor) -> Campaign:
    require(actor, "registry.change_campaign", campaign.commune_code)
    access.check_reader(actor, campaign.commune_code)
    with transaction.atomic():
        campaign.status = Campaign.Status.CLOSED
        campaign.closed_at = timezone.now()
        campaign.save(update_fields=["status", "closed_at"])
        audit(
            actor,
            "registry.campaign_close",
            campaign,
            commune=campaign.commune_code,
            detail=progress(campaign),
        )
    do_post_summary(campaign, actor=actor)
    return campaign
