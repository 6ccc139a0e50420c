"""The FR-Alert request to the préfecture: the mayor can only *request* it; ≤ 1,395 characters."""

from __future__ import annotations

from beffroi.alerts.cap import cap_time
from beffroi.alerts.text import clean, cut, strip_markup

LIMIT = 1395


def request_text(version) -> str:
    alert = version.alert
    fr = version.text("fr")
    area = version.area.get("description") or ", ".join(version.area.get("communes") or [])
    header = (
        f"{'EXERCICE – ' if alert.is_exercise else ''}"
        f"Demande de diffusion FR-Alert – mairie {alert.commune}\n"
        f"Aléa : {alert.hazard}. Gravité : {version.severity}, urgence : {version.urgency}.\n"
        f"Zone : {area}.\nDébut : {cap_time(version.onset)} – fin : {cap_time(version.expires)}.\n"
        f"Message proposé :\n"
    )
    body = "\n".join(
        x
        for x in [clean(fr.get("headline")), clean(fr.get("description")), clean(fr.get("instruction"))]
        if x
    )
    footer = f"\nContact mairie : {version.contact}" if version.contact else ""
    return strip_markup(header + cut(body, LIMIT - len(header) - len(footer)) + footer)
