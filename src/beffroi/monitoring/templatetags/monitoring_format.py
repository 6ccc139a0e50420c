"""``{{ value|reading:unit }}``: a reading with its unit in the reader's language."""

from django import template

from beffroi.monitoring import units

register = template.Library()


@register.filter
def reading(value, unit):
    return units.reading(value, unit or "")


@register.filter
def unit_label(unit):
    return units.unit_label(unit or "")
