from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from beffroi.alerts import actions

RUEIL = "92063"


@pytest.fixture(autouse=True)
def public_root(settings, tmp_path):
    settings.PUBLIC_ROOT = tmp_path / "public"
    return settings.PUBLIC_ROOT


@pytest.fixture(autouse=True)
def every_cap_message_is_checked(monkeypatch):
    """Each CAP message built during a test passes the schema and the aggregators' profile."""
    from beffroi.alerts import cap

    from .capcheck import check_cap

    build = cap.build

    def checked(version):
        xml = build(version)
        check_cap(xml)
        return xml

    monkeypatch.setattr(cap, "build", checked)


@pytest.fixture
def composer(make_user):
    return make_user("communication", [RUEIL])


@pytest.fixture
def mayor(make_user):
    return make_user("maire", [RUEIL], totp=True)


def _verified(user):
    user.is_verified = lambda: True
    return user


@pytest.fixture
def verified():
    return _verified


def draft(actor, **kw):
    params = dict(
        hazard="inondation",
        communes=[RUEIL],
        onset=timezone.now(),
        expires=timezone.now() + timedelta(hours=6),
        texts=None,
    )
    params.update(kw)
    return actions.do_draft_alert(actor=actor, **params)


def publish_real(alert, composer, mayor, version=None):
    """Submit, approve (a second, verified person) and publish the latest message (a Cancel confirmed)."""
    version = version or alert.latest()
    actions.do_submit(version, actor=composer)
    mayor.is_verified = lambda: True
    actions.do_approve(version, digest=version.digest(), actor=mayor)
    return actions.do_publish(version, actor=composer, confirmed=version.msg_type == "Cancel")


def end_alert(alert, composer, mayor, texts=None):
    """« Fin d'alerte »: prepared with its own text, approved, confirmed and published."""
    version = actions.do_prepare_cancel(alert, texts=texts, actor=composer)
    return publish_real(alert, composer, mayor, version)


def subscribe(channel, address, lon=None, lat=None, commune=RUEIL, language="fr", topics=None):
    """A confirmed subscriber as ``do_subscribe`` + confirmation store it (first point indexed)."""
    import secrets

    from beffroi.alerts.models import Subscriber

    now = timezone.now()
    return Subscriber.objects.create(
        channel=channel,
        address=address,
        token=secrets.token_urlsafe(16),
        commune=commune,
        points=[[lon, lat, "test"]] if lon is not None else [],
        lon=lon,
        lat=lat,
        language=language,
        topics=list(topics or []),
        consent_at=now,
        confirmed_at=now,
    )


@pytest.fixture
def subscribers(territory):
    """Two in Rueil (by point and by commune), one in Garches, one unsubscribed in Rueil."""
    inside = subscribe("email", "in@example.org", 2.185, 48.87)
    by_commune = subscribe("sms", "+33612345678")
    outside = subscribe("email", "out@example.org", 2.17, 48.845, commune="92033")
    gone = subscribe("email", "gone@example.org", 2.185, 48.87)
    gone.unsubscribed_at = timezone.now()
    gone.save()
    return {"inside": inside, "by_commune": by_commune, "outside": outside, "gone": gone}
