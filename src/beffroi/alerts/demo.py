"""Demo data: a draft heatwave alert per demo commune (to approve and publish).

Idempotent: a commune that already has an alert gets nothing new. Nothing is published: publication
needs a second person with a verified session, as in real life.
"""

from __future__ import annotations

from beffroi.core.actors import SystemActor


def load(commune_codes: list[str]) -> None:
    from beffroi.alerts.actions import do_draft_alert
    from beffroi.alerts.models import Alert

    for code in commune_codes[:1]:
        if not Alert.objects.filter(commune=code).exists():
            do_draft_alert(
                hazard="canicule",
                communes=[code],
                severity="Severe",
                urgency="Expected",
                certainty="Likely",
                source="demo",
                actor=SystemActor("demo"),
            )
