"""Errors a user can fix: shown as a message (what, where), never as a traceback.

The CLI maps ``UserError`` to exit code 2, views to a 400 page, the API to a 4xx JSON body.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


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
            lines.append(f"  … and {total - self.MAX_SHOWN} more problems")
        return "\n".join(lines)
