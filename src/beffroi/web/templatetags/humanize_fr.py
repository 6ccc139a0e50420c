"""French number formatting without turning on humanize for the whole project."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def thousands(value):
    if value in (None, ""):
        return "—"
    return number_format(value, decimal_pos=0, force_grouping=True)
