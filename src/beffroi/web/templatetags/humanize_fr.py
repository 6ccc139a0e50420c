"""Numbers, durations and moments in the reader's language, without turning on humanize for the
whole project."""

from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def thousands(value):
    if value in (None, ""):
        return "—"
    return number_format(value, decimal_pos=0, force_grouping=True)


@register.filter
def duration(seconds):
    """A period in seconds as people say it: « 15 min », « 3 h », « 7 j » ("7 d" in English),
    « 1 h 30 min »."""
    if seconds in (None, ""):
        return "—"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)s j") % {"n": days})
    if hours:
        parts.append(_("%(n)s h") % {"n": hours})
    if minutes:
        parts.append(_("%(n)s min") % {"n": minutes})
    if secs or not parts:
        parts.append(_("%(n)s s") % {"n": secs})
    return " ".join(parts)


@register.filter
def when(value):
    """A moment (datetime or ISO 8601 text) in local time, in the reader's short date format."""
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "SHORT_DATETIME_FORMAT")
