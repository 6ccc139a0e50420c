"""Cells that a spreadsheet would run as formulas, neutralised (CSV/formula injection, OWASP).

Every export a user may open in a spreadsheet (registry, main courante, datasets, reports) writes
its cells through ``neutralise_cell``: a text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading quote ``'``, so ``=HYPERLINK("…")`` is shown as text, never run.
Numbers are left as they are (a negative number is data, not a formula).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    return [neutralise_cell(v) for v in values]
