"""Readings shown with their unit in the reader's language.

Indicators keep the unit their source gives (« m », « m3/s », « µg/m3 ») and a few dimensionless
ones named in French (« niveau » for a vigilance colour's rank, « indice » for an air quality
index): those are words, shown before the number and translated (« niveau 2 », "level 2")."""

from __future__ import annotations

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext_lazy

# Units that are words, said before the number; their names are translated.
WORD_UNITS = {
    "niveau": (gettext_lazy("niveau"), gettext_lazy("niveau %(v)s")),
    "indice": (gettext_lazy("indice"), gettext_lazy("indice %(v)s")),
}


def unit_label(unit: str) -> str:
    return str(WORD_UNITS[unit][0]) if unit in WORD_UNITS else unit


def reading(value, unit: str) -> str:
    """« 3,12 m », « niveau 2 » (French), "3.12 m", "level 2" (English); « — » without a value."""
    if value is None or value == "":
        return "—"
    number = floatformat(value, "-2") if isinstance(value, (int, float)) else str(value)
    if unit in WORD_UNITS:
        return str(WORD_UNITS[unit][1]) % {"v": number}
    return f"{number} {unit}".strip()
