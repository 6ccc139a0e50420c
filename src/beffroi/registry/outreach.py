"""Outreach campaigns: split the prioritised list among callers, record outcomes, re-call, escalate to visits.

Progress is published as counts (never names) on the live topic "registry"; closing a campaign writes a
summary without names in the crisis's main courante.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.core.audit import record as audit
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import require
from beffroi.registry import access
from beffroi.registry.models import CallAssignment, CallAttempt, Campaign, Nomination, Visit
from beffroi.registry.models.outreach import Hazard, Outcome

log = logging.getLogger(__name__)

SCRIPTS: dict[str, list[str]] = {
    Hazard.HEATWAVE: [
        "Bonjour, je suis {agent}, de la mairie (CCAS). Vous êtes inscrit·e au registre des personnes vulnérables ; "  # noqa: E501
        "nous appelons tout le monde à cause de la canicule.",
        "Comment allez-vous ? Avez-vous chaud chez vous ?",
        "Buvez de l'eau régulièrement sans attendre d'avoir soif ; mangez normalement.",
        "Fermez volets et fenêtres le jour, aérez la nuit ; passez quelques heures dans un lieu frais.",
        "Quelqu'un passe-t-il vous voir ? Avez-vous besoin de courses, de médicaments, d'une visite ?",
        "En cas de malaise, appelez le 15. Canicule info service : 0 800 06 66 66 (gratuit).",
    ],
    Hazard.COLD: [
        "Bonjour, je suis {agent}, de la mairie (CCAS). Nous appelons les personnes inscrites à cause du grand froid.",  # noqa: E501
        "Votre logement est-il chauffé ? Avez-vous de quoi manger et vos médicaments ?",
        "Ne bouchez pas les aérations ; n'utilisez pas de chauffage d'appoint en continu (monoxyde de carbone).",  # noqa: E501
        "Avez-vous besoin d'une visite ? En cas d'urgence, appelez le 15 ou le 112.",
    ],
    Hazard.FLOOD: [
        "Bonjour, je suis {agent}, de la mairie (CCAS). Une inondation menace votre quartier.",
        "Êtes-vous chez vous ? À quel étage ? Pouvez-vous monter à l'étage si l'eau arrive ?",
        "Coupez l'électricité et le gaz si l'eau entre ; ne descendez pas dans les caves ou parkings.",
        "Avez-vous besoin d'aide pour partir ou d'une visite ? En cas de danger, appelez le 18 ou le 112.",
    ],
    Hazard.EPIDEMIC: [
        "Bonjour, je suis {agent}, de la mairie (CCAS). Nous prenons des nouvelles pendant l'épidémie.",
        "Comment allez-vous ? Avez-vous vos médicaments, vos courses ?",
        "Quelqu'un peut-il vous aider ? Avez-vous besoin d'une visite ou d'un portage ?",
    ],
    Hazard.POWER: [
        "Bonjour, je suis {agent}, de la mairie (CCAS). Une coupure touche votre quartier.",
        "Avez-vous un appareil médical qui dépend de l'électricité ? Avez-vous de l'eau ?",
        "Avez-vous besoin d'une visite ou d'un hébergement temporaire ?",
    ],
    Hazard.OTHER: [
        "Bonjour, je suis {agent}, de la mairie (CCAS). Nous appelons les personnes inscrites au registre.",
        "Comment allez-vous ? Avez-vous besoin de quelque chose ou d'une visite ?",
    ],
}


def script_for(hazard: str, agent: str) -> list[str]:
    return [line.format(agent=agent) for line in SCRIPTS.get(hazard, SCRIPTS[Hazard.OTHER])]


def _publish(campaign: Campaign) -> None:
    try:
        from beffroi.core.live import publish
    except ImportError:
        return
    data = {
        "campaign": campaign.pk,
        "commune": campaign.commune_code,
        "crisis": campaign.crisis_id,
        **progress(campaign),
    }
    try:
        publish("registry", "campaign.progress", data)
    except Exception:  # the live stream is best effort; the campaign must not fail because of it
        log.exception("registry: could not publish the progress of campaign %s", campaign.pk)


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
    }


def _callers_ok(callers, commune: str) -> None:
    problems = []
    for caller in callers:
        if not caller.has_perm("registry.view_person") or access.nomination_for(caller, commune) is None:
            problems.append(
                Problem(f"{caller.username} is not nominated to the registry of {commune}", field="callers")
            )
    if problems:
        raise UserError("Every caller must be a CCAS agent nominated by the mayor.", problems)


def do_start_campaign(
    commune: str,
    *,
    hazard: str,
    callers: list,
    actor,
    title: str = "",
    area: dict | None = None,
    crisis_id: str = "",
    recall_delay_minutes: int = 60,
    max_failed_calls: int = 3,
) -> Campaign:
    require(actor, "registry.add_campaign", commune)
    access.check_reader(actor, commune)
    if hazard not in Hazard.values:
        raise UserError(f"Unknown hazard {hazard!r}.", [Problem("unknown", field="hazard")])
    if not callers:
        raise UserError("A campaign needs at least one caller.", [Problem("empty", field="callers")])
    if max_failed_calls < 1:
        raise UserError(
            "max_failed_calls must be at least 1.", [Problem("too small", field="max_failed_calls")]
        )
    _callers_ok(callers, commune)
    callers = sorted(set(callers), key=lambda u: u.pk)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            commune_code=commune,
            hazard=hazard,
            crisis_id=str(crisis_id or ""),
            area=area,
            title=title
            or _("Campagne %(hazard)s du %(date)s")
            % {"hazard": Hazard(hazard).label, "date": timezone.localtime().strftime("%d/%m/%Y %H:%M")},
            recall_delay_minutes=recall_delay_minutes,
            max_failed_calls=max_failed_calls,
            created_by=actor,
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
            detail={"hazard": hazard, "people": len(targets), "callers": [c.username for c in callers]},
        )
        _publish(campaign)  # live.publish itself waits for the commit
    return campaign


def do_record_outcome(assignment_id: int, outcome: str, *, actor) -> CallAssignment:
    """One click per outcome. No answer → re-call after the delay, visit after N failures;
    wrong number or needs help → a visit at once."""
    if outcome not in Outcome.values:
        raise UserError(f"Unknown outcome {outcome!r}.", [Problem("unknown", field="outcome")])
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
            raise UserError("The campaign is closed.")
        now = timezone.now()
        CallAttempt.objects.create(assignment=a, caller=actor, outcome=outcome)
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
            detail={"outcome": outcome, "attempt": a.attempts, "visit": bool(visit_reason)},
        )
        _publish(campaign)  # live.publish itself waits for the commit
    return a


def do_mark_visit_done(visit_id: int, *, actor) -> Visit:
    with transaction.atomic():
        visit = Visit.objects.select_for_update().select_related("campaign").filter(pk=visit_id).first()
        if visit is None:
            raise PermissionDenied("unknown visit")
        require(actor, "registry.change_campaign", visit.campaign.commune_code)
        access.check_reader(actor, visit.campaign.commune_code)
        visit.status = Visit.Status.DONE
        visit.done_at = timezone.now()
        visit.save(update_fields=["status", "done_at"])
        audit(
            actor,
            "registry.visit_done",
            object_type="registry.visit",
            object_id=str(visit.pk),
            commune=visit.campaign.commune_code,
        )
        _publish(visit.campaign)
    return visit


def summary_text(campaign: Campaign) -> str:
    p = progress(campaign)
    return _(
        "Registre des personnes vulnérables — %(title)s : %(total)d personnes à appeler, %(reached)d jointes "
        "(dont %(help)d ayant besoin d'aide), %(to_call)d restant à appeler, %(visits)d visites demandées "
        "(%(done)d faites)."
    ) % {
        "title": campaign.title,
        "total": p["total"],
        "reached": p["reached"],
        "help": p["needs_help"],
        "to_call": p["to_call"],
        "visits": p["visits_to_do"] + p["visits_done"],
        "done": p["visits_done"],
    }


def do_post_summary(campaign: Campaign, *, actor) -> bool:
    """Write a count-only summary in the crisis's main courante (no names). False if no crisis app/crisis."""
    require(actor, "registry.change_campaign", campaign.commune_code)
    access.check_reader(actor, campaign.commune_code)
    if not campaign.crisis_id:
        return False
    try:
        from beffroi.crisis.actions import do_append_entry
    except ImportError:
        return False
    do_append_entry(
        int(campaign.crisis_id), text=summary_text(campaign), category="info", source="system", actor=None
    )
    audit(actor, "registry.campaign_summary", campaign, commune=campaign.commune_code)
    return True


def do_close_campaign(campaign: Campaign, *, actor) -> Campaign:
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
