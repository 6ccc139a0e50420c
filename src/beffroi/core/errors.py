"""Errors a user can fix: shown as a message (what, where), never as a traceback.

The CLI maps ``UserError`` to exit code 2, views to a 400 page, the API to a 4xx JSON body.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


@dataclass
class Problem:
    """One thing wrong with an input, located as precisely as the input allows."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(_("ligne %(line)s") % {"line": self.line})
        if self.field:
            where.append(_("champ « %(field)s »") % {"field": self.field})
        if not where:
            return self.message
        return _("%(where)s : %(message)s") % {"where": ", ".join(where), "message": self.message}


@dataclass
class UserError(Exception):
    """Bad input from a user. ``problems`` holds up to ``MAX_SHOWN`` located problems."""

    message: str
    problems: list[Problem] = field(default_factory=list)
    total: int | None = None

    MAX_SHOWN = 20

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        lines = [self.message]
        lines.extend(f"  - {p}" for p in self.problems[: self.MAX_SHOWN])
        total = self.total if self.total is not None else len(self.problems)
        if total > self.MAX_SHOWN:
            more = total - self.MAX_SHOWN
            lines.append(
                "  "
                + ngettext("… et %(n)s autre problème", "… et %(n)s autres problèmes", more) % {"n": more}
            )
        return "\n".join(lines)
