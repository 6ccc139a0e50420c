"""The registry's models: people (encrypted), nominations, access log, outreach campaigns and visits."""

from beffroi.registry.models.access import AccessLog, KeyVerifier, Nomination
from beffroi.registry.models.outreach import CallAssignment, CallAttempt, Campaign, Visit, VisitRoute
from beffroi.registry.models.people import Move, Person, Proof

__all__ = [
    "AccessLog",
    "CallAssignment",
    "CallAttempt",
    "Campaign",
    "KeyVerifier",
    "Move",
    "Nomination",
    "Person",
    "Proof",
    "Visit",
    "VisitRoute",
]
