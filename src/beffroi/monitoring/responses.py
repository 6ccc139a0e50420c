"""Extension point: who carries out an accepted proposal.

Monitoring decides *that* a threshold calls for a response (open a crisis, start a reflex sheet,
draft a citizen message); the apps that own those objects (crisis, alerts) sit above monitoring
and register a handler per :class:`Proposal.Action` from their ``AppConfig.ready()``. Monitoring
never imports them.

A handler runs inside ``do_accept_proposal``'s transaction with the deciding actor, so the owning
app checks that actor's permissions and audits the write in its name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from beffroi.core.errors import Problem, UserError
from beffroi.monitoring.models import Proposal

ResponseHandler = Callable[..., dict]

RESPONSE_HANDLERS: dict[str, ResponseHandler] = {}


def register_response(action: str, handler: ResponseHandler) -> None:
    """``handler(proposal, *, actor, exercise)`` → a JSON-able result stored on the proposal."""
    RESPONSE_HANDLERS[str(action)] = handler


def carry_out(proposal: Proposal, *, actor: Any, exercise: bool = False) -> dict:
    handler = RESPONSE_HANDLERS.get(str(proposal.action))
    if handler is None:
        raise UserError(
            _("Aucun module ne sait exécuter l'action « %(action)s ».") % {"action": proposal.action},
            [Problem(_("action inconnue"), field="action")],
        )
    return handler(proposal, actor=actor, exercise=exercise)
