"""The crisis app's live events (found by ``beffroi.core.events.discover``)."""

from __future__ import annotations

from datetime import datetime

from beffroi.core.events import register_event

_CRISIS_FIELDS = {"crisis": int, "title": str, "hazard": str, "level": int, "exercise": bool, "status": str}

for _name, _what in (
    ("crisis.opened", "A crisis or exercise was opened."),
    ("crisis.level", "A crisis changed level."),
    ("crisis.closed", "A crisis was closed."),
):
    register_event(
        _name, topic="crisis", permission="crisis.view_crisis", fields=_CRISIS_FIELDS, description=_what
    )

register_event(
    "entry",
    topic="crisis",
    permission="crisis.view_logentry",
    fields={
        "crisis": int,
        "seq": int,
        "category": str,
        "source": str,
        "text": str,  # the first 200 characters
        "head": str,  # the chain head after this entry
        "exercise": bool,
    },
    description="An entry was appended to a crisis's main courante.",
)
register_event(
    "task",
    topic="crisis",
    permission="crisis.view_task",
    fields={"crisis": int, "task": int | None, "status": str | None, "reflex_run": int | None},
    description="A task was created or changed status (task), or a reflex sheet created tasks (reflex_run).",
)
register_event(
    "task.assigned",
    topic="crisis",
    permission="crisis.view_task",
    fields={
        "crisis": int,
        "task": int,
        "title": str,
        "owner": str,  # « Name (cell) », as the task lists show it
        "cell": str,  # the PCC cell's code, "" for an account only
        "due": datetime | None,
    },
    description="A task was assigned to an account or a PCC cell (its people are also e-mailed).",
)
register_event(
    "shelter",
    topic="crisis",
    permission="crisis.view_shelter",
    fields={"shelter": int, "occupancy": int, "capacity": int, "status": str},
    description="A shelter's occupancy or state changed.",
)
register_event(
    "crisis.open_requested",
    topic="crisis",
    permission="crisis.open_crisis",  # only those who can open it: the mayors of the communes
    fields={"title": str, "hazard": str, "level": int, "requested_by": str, "url": str},
    description="A crisis-cell member asks the mayor(s) to open a crisis (link to the prefilled form).",
)
