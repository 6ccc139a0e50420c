"""Template helpers: a freshness badge, and a link from any value back to its dataset with its age.

Usage in any app's template: ``{% load sources_tags %}{% dataset_link "hubeau-marne" %}``.
"""

from django import template
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from beffroi.sources.models import Freshness

register = template.Library()


@register.simple_tag
def freshness_badge(state: str, error: str = ""):
    label = dict(Freshness.choices).get(state, state)
    if error and state == Freshness.FAILING:
        return format_html('<span class="freshness freshness-{}" title="{}">{}</span>', state, error, label)
    return format_html('<span class="freshness freshness-{}">{}</span>', state, label)


@register.simple_tag
def failing_since(source) -> str:
    """« en échec depuis N jours » for a failing source, nothing for a healthy one."""
    from beffroi.sources import selectors
    from beffroi.sources.situation import failing_for

    if source.consecutive_failures <= 0:
        return ""
    return failing_for(selectors.failing_since(source))


@register.simple_tag
def dataset_link(name: str):
    from beffroi.sources.selectors import provenance

    p = provenance(name)
    if p is None:
        return ""
    label = dict(Freshness.choices).get(p["freshness"], p["freshness"])
    return format_html(
        '<a class="source" href="{}">Source : {} — il y a {} ({})</a>',
        p["url"],
        p["title"],
        timesince(p["updated_at"]),
        label,
    )


TYPE_LABELS = {
    "integer": _("entier"),
    "int64": _("entier"),
    "int32": _("entier"),
    "number": _("nombre décimal"),
    "double": _("nombre décimal"),
    "number_comma": _("nombre décimal (virgule)"),
    "date": _("date"),
    "date_fr": _("date (jj/mm/aaaa)"),
    "date32[day]": _("date"),
    "datetime": _("date et heure"),
    "datetime_fr": _("date et heure"),
    "timestamp[us]": _("date et heure"),
    "string": _("texte"),
    "geometry": _("géométrie"),
    "binary": _("géométrie (WKB)"),
    "bool": _("oui/non"),
}


@register.filter
def type_label(value: str) -> str:
    return str(TYPE_LABELS.get(str(value), value))
