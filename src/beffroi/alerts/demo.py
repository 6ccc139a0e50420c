"""Demo data: a draft heatwave alert to approve and publish, and one published Exercise example.

The draft (first demo commune) is left for the newcomer: publication needs a second person with a
verified session, as in real life. The example shows what a publication produces (public page, CAP
message, exercise CAP index): an **Exercise** flood alert for Nogent-sur-Marne, drafted and
submitted by the ``communication`` demo account and approved and published by the ``maire`` demo
account, through the same actions as the web pages, so the audit trail reads as theirs. It is
marked EXERCICE everywhere and reaches only its test recipient (the communication account's
e-mail), never a subscriber.

Idempotent: a commune that already has an alert gets no new draft; the example is made once.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from beffroi.core.actors import SystemActor

EXAMPLE_SOURCE = "demo-exercise"
EXAMPLE_COMMUNE = "94052"  # Nogent-sur-Marne, along the Marne
EXAMPLE_TEXTS = {
    "fr": {
        "headline": "Crue de la Marne : quais de Nogent fermés",
        "description": (
            "Message d'exercice de démonstration. La Marne monte à la station de Gournay ; "
            "les quais et les parkings en bord de Marne sont fermés."
        ),
        "instruction": (
            "Ne stationnez pas en bord de Marne. Ne descendez pas sur les berges. "
            "Suivez les consignes de la mairie."
        ),
    },
    "en": {
        "headline": "Marne flood: Nogent riverside closed",
        "description": (
            "Demonstration exercise message. The Marne is rising at the Gournay station; "
            "the riverside roads and car parks are closed."
        ),
        "instruction": "Do not park along the Marne. Keep off the banks. Follow the town's instructions.",
    },
}


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
    if EXAMPLE_COMMUNE in commune_codes:
        publish_example()


def _demo_user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username, is_active=True).first()


def _confirmed_session(user):
    """The mayor's approval needs a TOTP-confirmed session; at set-up nobody is logged in and the demo
    mayor enrols TOTP at first login. The loader stands in for that confirmation, for this user
    object only, and only for an Exercise message that no subscriber receives."""
    user.is_verified = lambda: True
    return user


def publish_example():
    """Draft, submit, approve and publish the Exercise example (once); ``None`` without the demo
    accounts, else the published version."""
    from beffroi.alerts.actions import do_approve, do_draft_alert, do_publish, do_submit
    from beffroi.alerts.area import commune_geometries
    from beffroi.alerts.models import Alert

    if Alert.objects.filter(source=EXAMPLE_SOURCE).exists():
        return None
    author, mayor = _demo_user("communication"), _demo_user("maire")
    if author is None or mayor is None:
        return None
    # A drawn area, as a composer would draw it: 700 m around a point inside the commune (clipped to it).
    inside = commune_geometries([EXAMPLE_COMMUNE])[EXAMPLE_COMMUNE].representative_point()
    now = timezone.now().replace(second=0, microsecond=0)
    alert = do_draft_alert(
        hazard="inondation",
        communes=[EXAMPLE_COMMUNE],
        status=Alert.Status.EXERCISE,
        texts=EXAMPLE_TEXTS,
        severity="Moderate",
        urgency="Expected",
        certainty="Likely",
        area={
            "circle": {"lon": round(inside.x, 6), "lat": round(inside.y, 6), "radius_km": 0.7},
            "description": "Bords de Marne (exercice)",
        },
        onset=now,
        # Long enough for a newcomer to find it in the exercise CAP index in the following weeks.
        expires=now + timedelta(days=30),
        test_recipients=[author.email] if author.email else [],
        source=EXAMPLE_SOURCE,
        actor=author,
    )
    draft = alert.latest()
    if draft is None:  # do_draft_alert always writes message n°1
        raise RuntimeError("demo: the drafted alert has no message")
    version = do_submit(draft, actor=author)
    version = do_approve(version, digest=version.digest(), actor=_confirmed_session(mayor))
    return do_publish(version, actor=mayor)
