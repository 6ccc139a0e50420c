"""Writing the chain head down outside the database: ``HASH@N`` recorded, e-mailed to the mayors.

A plain SHA-256 chain only shows a change if someone holds a head written before the change. At
each handover (and on demand, ``beffroi crisis anchor N``) the head is printed on the handover
list and the PCS kit and mailed to the mayor(s) of the crisis communes, whose mailboxes the
database administrator does not control.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor
from beffroi.core.audit import actor_label, record
from beffroi.core.timeutil import utcnow
from beffroi.crisis.models import ChainAnchor, Crisis, LogChain
from beffroi.crisis.timestamp import TimestampError, request_token
from beffroi.sources.connectors.errors import SourceError

log = logging.getLogger(__name__)

MAYOR_ROLE = "maire"


def mayors(communes: list[str]) -> list[Any]:
    """Active users holding the mayor role in one of these communes."""
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name=MAYOR_ROLE,
            commune_memberships__commune_code__in=communes,
        )
        .distinct()
        .order_by("username")
    )


def anchor_head(crisis: Crisis, *, reason: str, actor: Actor) -> ChainAnchor:
    """Record the current head and mail it to the mayors after commit (callers check permissions
    and hold the transaction: a handover anchors the head of its own entry)."""
    chain = LogChain.objects.get(crisis=crisis)
    recipients = [u.email for u in mayors(crisis.communes) if u.email]
    anchor = ChainAnchor.objects.create(
        crisis=crisis,
        at=utcnow(),
        length=chain.length,
        head_hash=chain.head_hash,
        reason=reason,
        by=actor_label(actor),
        mailed_to=recipients,
    )
    record(
        actor,
        "crisis.chain.anchor",
        crisis,
        commune=crisis.communes[0],
        detail={"head": anchor.value, "reason": reason, "mailed_to": recipients},
    )
    if recipients:
        transaction.on_commit(lambda: _mail(crisis, anchor, recipients))
    tsa_url: str = settings.CRISIS_TSA_URL or ""
    if tsa_url:
        # After commit: a slow TSA must not hold the chain lock the handover's append took.
        transaction.on_commit(lambda: timestamp_anchor(anchor, tsa_url))
    return anchor


def timestamp_anchor(anchor: ChainAnchor, url: str) -> ChainAnchor:
    """Ask the TSA for a token on this anchor and store it (or why there is none)."""
    try:
        token = request_token(anchor.value, url)
    except (TimestampError, SourceError) as exc:
        log.warning("chain head %s of crisis %s not timestamped: %s", anchor.value, anchor.crisis_id, exc)
        ChainAnchor.objects.filter(pk=anchor.pk).update(tsa_url=url, tsa_error=str(exc)[:500])
    else:
        ChainAnchor.objects.filter(pk=anchor.pk).update(tsa_url=url, tsa_token=token, tsa_error="")
    anchor.refresh_from_db()
    return anchor


def _mail(crisis: Crisis, anchor: ChainAnchor, recipients: list[str]) -> None:
    subject = _("[Beffroi] Tête de chaîne de la main courante, crise n°%(n)s") % {"n": crisis.pk}
    body = _(
        "Tête de la main courante de « %(title)s » (crise n°%(n)s) après %(count)s entrée(s) :\n\n"
        "    %(head)s\n\n"
        "Conservez ce message : il prouve l'état de la main courante à cette heure. Pour vérifier "
        "que rien n'a été réécrit depuis :\n\n"
        "    beffroi crisis verify-log %(n)s --head %(head)s\n"
    ) % {"title": crisis.title, "n": crisis.pk, "count": anchor.length, "head": anchor.value}
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:  # the anchor row stays; a mail server down must not undo the handover
        log.exception("chain head of crisis %s not mailed to %s", crisis.pk, recipients)
