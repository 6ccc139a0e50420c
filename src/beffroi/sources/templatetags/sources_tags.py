"""Template helpers: a freshness badge, and a link from any value back to its dataset with its age.

Usage in any app's template: ``{% load sources_tags %}{% dataset_link "hubeau-marne" %}``.
"""

from django import template
from django.utils.html import format_html
from django.utils.timesince import timesince

from beffroi.sources.models import Freshness

register = template.Library()


@register.simple_tag
def freshness_badge(state: str, error: str = ""):
    label = dict(Freshness.choices).get(state, state)
    if error and state == Freshness.FAILING:
        return format_html('<span class="freshness freshness-{}" title="{}">{}</span>', state, error, label)
    return format_html('<span class="freshness freshness-{}">{}</span>', state, label)


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
