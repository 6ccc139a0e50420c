"""The FR-Alert request to the préfecture: the mayor can only *request* it; ≤ 1,395 characters.

Written in French for a person at the préfecture: dates as « le 12/07/2026 à 14 h 30 » (Paris
time) and the CAP severity, urgency and certainty in French words.
"""

from __future__ import annotations

from django.utils import timezone, translation

from beffroi.alerts.hazards import hazard_choices
from beffroi.alerts.text import clean, cut, strip_markup

LIMIT = 1395

SEVERITY = {
    "Extreme": "extrême",
    "Severe": "grave",
    "Moderate": "modérée",
    "Minor": "faible",
    "Unknown": "inconnue",
}
URGENCY = {
    "Immediate": "immédiate",
    "Expected": "attendue (dans l'heure)",
    "Future": "à venir",
    "Past": "passée",
    "Unknown": "inconnue",
}
CERTAINTY = {
    "Observed": "observé",
    "Likely": "probable",
    "Possible": "possible",
    "Unlikely": "peu probable",
    "Unknown": "inconnue",
}


def french_datetime(value) -> str:
    """« le 12/07/2026 à 14 h 30 », in Europe/Paris time."""
    local = timezone.localtime(value)
    return f"le {local:%d/%m/%Y} à {local.hour} h {local.minute:02d}"


def request_text(version) -> str:
    """The request to the préfecture, in French whatever the reader's language (it is sent as is)."""
    with translation.override("fr"):
        return _request_text(version)


def _request_text(version) -> str:
    alert = version.alert
    fr = version.text("fr")
    area = version.area.get("description") or ", ".join(version.area.get("communes") or [])
    hazard = dict(hazard_choices()).get(alert.hazard, alert.hazard)
    header = (
        f"{'EXERCICE – ' if alert.is_exercise else ''}"
        f"Demande de diffusion FR-Alert – mairie {alert.commune}\n"
        f"Aléa : {hazard}. Gravité : {SEVERITY.get(version.severity, version.severity)}, "
        f"urgence : {URGENCY.get(version.urgency, version.urgency)}, "
        f"certitude : {CERTAINTY.get(version.certainty, version.certainty)}.\n"
        f"Zone : {area}.\nDébut {french_datetime(version.onset)}, fin {french_datetime(version.expires)}.\n"
        f"Message proposé :\n"
    )
    body = "\n".join(
        x
        for x in [clean(fr.get("headline")), clean(fr.get("description")), clean(fr.get("instruction"))]
        if x
    )
    footer = f"\nContact mairie : {version.contact}" if version.contact else ""
    return strip_markup(header + cut(body, LIMIT - len(header) - len(footer)) + footer)
