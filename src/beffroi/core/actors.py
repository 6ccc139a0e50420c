"""Who performs an action: a signed-in user, or a named part of the system.

Every action takes ``actor: Actor``. Work nobody clicked for (scheduled jobs, connectors, exercise
injects, the demo loader, the operator at the server's shell) is done by a ``SystemActor`` whose
kind is declared below; each action says which kinds may call it (``core.permissions.require(...,
system=...)``), so "no actor" can never mean "no check".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, TypeAlias, cast

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# The declared kinds of system actor, with what each stands for. A label may add a detail after a
# space (``"exercise 12"``: run number 12); its first word must be one of these.
SYSTEM_ACTOR_KINDS: dict[str, str] = {
    "cli": "the operator at the server's shell (beffroi …), who holds the keys anyway",
    "demo": "the demo data loader",
    "exercise": "an exercise's scenario injects (the label carries the run number)",
    "poll_sources": "scheduled runs of the live sources and what they store",
    "monitoring": "monitoring's own jobs: staleness checks, derived indicators, on-call notices",
    "recompute_crossings": "the periodic refresh of saved crossings",
    "public": "a citizen on the public site, proven by an e-mailed token",
    "outreach": "the registry's outreach campaign posting its summary to the main courante",
    "crisis": "the crisis app's own notices: the people a task is assigned to told of it (e-mail, SMS)",
    "alerts": "the alerts app logging a publication in its crisis's main courante",
    "outbox": "the outbox dispatcher, e.g. dropping a push subscription its service says is gone",
    "retention": "scheduled deletion of personal data past its retention period",
}


@dataclass(frozen=True)
class SystemActor:
    """A named, declared part of the system acting on its own; never a permission bypass."""

    name: str

    # Read by code that duck-types users (``has_perm``, ``record``): a system actor is no user.
    is_authenticated: ClassVar[bool] = False
    pk: ClassVar[None] = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or self.kind not in SYSTEM_ACTOR_KINDS:
            raise ValueError(f"undeclared system actor {self.name!r}: declare its kind in SYSTEM_ACTOR_KINDS")

    @property
    def kind(self) -> str:
        return self.name.split(" ", 1)[0] if isinstance(self.name, str) else ""

    def __str__(self) -> str:
        return self.name


# ``request.user`` is ``User | AnonymousUser``: views pass it as it is, and the permission check
# refuses an anonymous visitor (who holds no permission) like any user without the right.
Actor: TypeAlias = "User | AnonymousUser | SystemActor"


def user_or_none(actor: Actor) -> User | None:
    """The user to store in a ``created_by``-like foreign key: ``None`` for a system actor."""
    if isinstance(actor, SystemActor) or not (actor.pk and actor.is_authenticated):
        return None
    return cast("User", actor)
