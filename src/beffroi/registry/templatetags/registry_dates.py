"""Dates of the registry as French forms and prints write them: JJ/MM/AAAA, in every language.

Birth dates are kept as ISO text inside the encrypted record (« 1938-03-14 »); shown raw they read
as a database value, so every page and print goes through ``jjmmaaaa``.
"""

from __future__ import annotations

from datetime import date, datetime

from django import template

register = template.Library()


@register.filter
def jjmmaaaa(value) -> str:
    """« 1938-03-14 », a date or a datetime → « 14/03/1938 »; anything else unchanged, empty as « — »."""
    if value in (None, ""):
        return "—"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    try:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)
