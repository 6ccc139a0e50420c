"""The sources app's card on the home dashboard (see beffroi.web.situation), and how long a source
has been failing, said the same way here and on the catalogue pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beffroi.core.permissions import has_perm
from beffroi.sources.models import Source
from beffroi.sources.selectors import failing_since, failing_sources

ERROR_CHARS = 160  # the card stays readable; the full error is on the source's page


def failing_for(since: datetime | None, now: datetime | None = None) -> str:
    """« en échec depuis 3 jours », « … depuis 5 heures » under a day, « … depuis moins d'une heure »."""
    if since is None:
        return _("en échec")
    seconds = max(0.0, ((now or timezone.now()) - since).total_seconds())
    days = int(seconds // 86400)
    if days >= 1:
        return ngettext("en échec depuis %(n)d jour", "en échec depuis %(n)d jours", days) % {"n": days}
    hours = int(seconds // 3600)
    if hours >= 1:
        return ngettext("en échec depuis %(n)d heure", "en échec depuis %(n)d heures", hours) % {"n": hours}
    return _("en échec depuis moins d'une heure")


def failing_head(src: Source, now: datetime | None = None) -> str:
    """A failing source's name, since when and how many runs in a row (in the reader's language)."""
    return _("%(source)s : %(failing)s (%(runs)s)") % {
        "source": src.title or src.name,
        "failing": failing_for(failing_since(src), now),
        "runs": ngettext("%(n)d échec de suite", "%(n)d échecs de suite", src.consecutive_failures)
        % {"n": src.consecutive_failures},
    }


def failing_error(src: Source) -> str:
    """Its last error, shortened for a card (stored in the territory's language, see the runner)."""
    return Truncator(src.last_error).chars(ERROR_CHARS) if src.last_error else ""


def failing_line(src: Source, now: datetime | None = None) -> str:
    """One line for a failing source: its name, since when, how many runs in a row, its last error."""
    text = failing_head(src, now)
    if src.last_error:
        text = _("%(line)s — %(error)s") % {"line": text, "error": failing_error(src)}
    return text


def summary(user: Any) -> list[dict]:
    if not has_perm(user, "sources.view_source"):
        return []
    failing = failing_sources()
    now = timezone.now()
    # every failing source is listed: the count and the list come from the same query, so a
    # source counted is a source shown (the card used to stop at five)
    # the error is apart: the dashboard marks it with the territory's language (lang="fr")
    lines = [
        {
            "text": failing_head(s, now),
            "error": failing_error(s),
            "url": reverse("sources:source", args=[s.name]),
        }
        for s in failing
    ]
    return [
        {
            "order": 60,
            "title": _("Sources en échec"),
            "value": len(failing),
            "tone": "warning" if failing else "ok",
            "url": reverse("sources:index"),
            "lines": lines or [{"text": _("Toutes les sources répondent."), "url": None}],
        }
    ]
