"""Readings shown with their unit in the reader's language.

Indicators keep the unit their source gives (« m », « m3/s », « µg/m3 ») and a few dimensionless
ones named in French (« niveau » for a vigilance colour's rank, « indice » for an air quality
index): those are words, shown before the number and translated (« niveau 2 », "level 2")."""

from __future__ import annotations

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

WORD_UNITS = {"niveau", "indice"}


def unit_label(unit: str) -> str:
    if unit == "niveau":
        return _("niveau")
    if unit == "indice":
        return _("indice")
    return unit


def reading(value, unit: str) -> str:
    """« 3,12 m », « niveau 2 » (French), "3.12 m", "level 2" (English); « — » without a value."""
    if value is None or value == "":
        return "—"
    number = floatformat(value, "-2") if isinstance(value, (int, float)) else str(value)
    if unit == "niveau":
        return _("niveau %(v)s") % {"v": number}
    if unit == "indice":
        return _("indice %(v)s") % {"v": number}
    return f"{number} {unit}".strip()
