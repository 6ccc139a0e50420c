"""The demo shows a published example: one Exercise alert drafted by the communication account,
approved and published by the mayor's, visible on the exercise pages and index, never as real."""

from __future__ import annotations

import pytest

from beffroi import demo as beffroi_demo
from beffroi.alerts import cap
from beffroi.alerts import demo as alerts_demo
from beffroi.alerts.models import Alert, AlertVersion, Delivery, Subscriber
from beffroi.core.models import AuditEvent
from beffroi.public.site import build_site

from .conftest import subscribe

pytestmark = pytest.mark.django_db
CODES = beffroi_demo.DEMO_COMMUNES


def test_demo_publishes_one_exercise_alert_as_two_demo_accounts_would(
    territory, public_root, django_capture_on_commit_callbacks
):
    beffroi_demo._create_accounts()
    resident = subscribe("email", "riverain@example.org", commune=alerts_demo.EXAMPLE_COMMUNE)
    with django_capture_on_commit_callbacks(execute=True):
        alerts_demo.load(CODES)
    example = Alert.objects.get(source=alerts_demo.EXAMPLE_SOURCE)
    version = example.latest()
    assert example.status == Alert.Status.EXERCISE and example.commune == "94052"
    assert version.state == AlertVersion.State.PUBLISHED and version.msg_type == "Alert"
    assert version.composed_by.username == "communication"
    assert version.approved_by.username == "maire"
    actions = dict(
        AuditEvent.objects.filter(object_id__in=[str(example.pk), str(version.pk)]).values_list(
            "action", "actor__username"
        )
    )
    assert actions["alerts.draft"] == "communication" and actions["alerts.submit"] == "communication"
    assert actions["alerts.approve"] == "maire" and actions["alerts.publish"] == "maire"
    # An exercise never reaches a subscriber: only its test recipient.
    assert list(Delivery.objects.values_list("recipient", flat=True)) == [
        "communication@demo.beffroi.invalid"
    ]
    assert not Delivery.objects.filter(subscriber=resident).exists()
    assert "<status>Exercise</status>" in version.xml and cap.validate(version.xml) == []

    build_site()
    page = (public_root / "exercice" / "alertes" / f"{example.pk}.html").read_text()
    assert "EXERCICE" in page and "Crue de la Marne" in page
    assert (public_root / "exercice" / "cap" / f"{version.identifier}.xml").is_file()
    assert version.identifier in (public_root / "cap" / "exercise.atom").read_text()
    # Never mistaken for a real alert: not in the real index, feeds or home page.
    assert version.identifier not in (public_root / "cap" / "index.atom").read_text()
    assert not (public_root / "alertes" / f"{example.pk}.html").exists()
    for name in ("alerts.atom", "alerts.rss", "index.html"):
        assert "Crue de la Marne" not in (public_root / name).read_text()

    with django_capture_on_commit_callbacks(execute=True):
        alerts_demo.load(CODES)  # idempotent
    assert Alert.objects.filter(source=alerts_demo.EXAMPLE_SOURCE).count() == 1
    assert Subscriber.objects.count() == 1


def test_demo_example_needs_the_demo_accounts(territory):
    assert alerts_demo.publish_example() is None
    assert not Alert.objects.filter(source=alerts_demo.EXAMPLE_SOURCE).exists()
