"""An Update or an end of alert reaches everyone who got an earlier message and everyone subscribed
now in the area, once each; the end is a message like any other (own text, approval, confirmation)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from beffroi.alerts import actions
from beffroi.alerts.models import Delivery
from beffroi.alerts.selectors import reach_report
from beffroi.core.errors import UserError

from .conftest import draft, end_alert, publish_real, subscribe

pytestmark = pytest.mark.django_db


def reached(version) -> list[str]:
    return sorted(Delivery.objects.filter(version=version).values_list("recipient", flat=True))


def test_update_and_end_reach_earlier_recipients_and_new_subscribers_once(composer, mayor, subscribers):
    alert = draft(composer)
    v1 = publish_real(alert, composer, mayor)
    assert reached(v1) == ["+33612345678", "in@example.org"]
    late = subscribe("email", "late@example.org", 2.186, 48.871)  # subscribed after the first alert
    update = actions.do_prepare_update(alert, actor=composer, texts={"fr": {"headline": "La crue continue"}})
    v2 = publish_real(alert, composer, mayor, update)
    assert reached(v2) == ["+33612345678", "in@example.org", "late@example.org"]
    # Someone who got the update moves away (no longer in the area): the end still reaches them.
    late.points, late.lon, late.lat = [[2.30, 48.80, "ailleurs"]], 2.30, 48.80
    late.save()
    subscribers["by_commune"].unsubscribed_at = timezone.now()  # unsubscribed: never again
    subscribers["by_commune"].save()
    end = end_alert(alert, composer, mayor)
    assert reached(end) == ["in@example.org", "late@example.org"]
    parts = {v["msgType"]: v["parts"] for v in reach_report(alert)["versions"]}
    assert parts["Update"] == {"in_area": 3, "earlier": 2, "both": 2}
    assert parts["Cancel"] == {"in_area": 1, "earlier": 2, "both": 1}


def test_end_of_alert_is_a_message_with_its_own_text_approval_and_confirmation(
    composer, mayor, make_user, subscribers
):
    alert = draft(composer)
    publish_real(alert, composer, mayor)
    end = actions.do_prepare_cancel(alert, actor=composer)
    assert end.state == "draft" and end.text("fr")["headline"] == "Fin d'alerte : Risque d'inondation"
    assert end.text("en")["headline"].startswith("All clear")
    actions.do_edit_version(
        end,
        actor=composer,
        texts={"fr": {"description": "L'eau s'est retirée. Ne touchez pas aux câbles tombés."}},
    )
    with pytest.raises(UserError):  # not approved
        actions.do_publish(end, actor=composer, confirmed=True)
    actions.do_submit(end, actor=composer)
    mayor.is_verified = lambda: True
    actions.do_approve(end, digest=end.digest(), actor=mayor)
    with pytest.raises(UserError) as exc:  # the confirmation step
        actions.do_publish(end, actor=composer)
    assert exc.value.problems[0].field == "confirm"
    published = actions.do_publish(end, actor=composer, confirmed=True)
    assert "L'eau s'est retirée" in published.xml and "<msgType>Cancel</msgType>" in published.xml
    assert "revenue à la normale" not in published.xml


def test_exercise_needs_a_second_person(composer, mayor):
    alert = draft(composer, exercise=True, test_recipients=["drill@example.org"])
    assert actions.needs_approval(alert.latest())
    with pytest.raises(UserError):
        actions.do_publish(alert.latest(), actor=composer)
    publish_real(alert, composer, mayor)


@pytest.mark.parametrize(
    "onset, expires, words",
    [
        (timedelta(hours=-3), timedelta(hours=-1), "déjà passée"),
        (timedelta(hours=2), timedelta(hours=1), "après le début"),
    ],
)
def test_expiry_after_now_and_after_onset(composer, onset, expires, words):
    now = timezone.now()
    with pytest.raises(UserError) as exc:
        draft(composer, onset=now + onset, expires=now + expires)
    assert words in exc.value.message


def test_an_expired_draft_cannot_be_published(composer, mayor):
    from beffroi.alerts.models import AlertVersion

    alert = draft(composer)
    AlertVersion.objects.filter(alert=alert).update(expires=timezone.now() - timedelta(minutes=1))
    with pytest.raises(UserError) as exc:
        publish_real(alert, composer, mayor)
    assert "expiré" in exc.value.message


@pytest.mark.parametrize(
    "ring, words",
    [
        (
            [[48.86, 2.18], [48.87, 2.18], [48.87, 2.19], [48.86, 2.19], [48.86, 2.18]],
            "[latitude, longitude]",
        ),
        ([[-74.0, 40.7], [-74.0, 40.8], [-73.9, 40.8], [-74.0, 40.7]], "hors de France"),
    ],
)
def test_coordinates_outside_france_or_swapped_are_refused_in_french(composer, ring, words):
    with pytest.raises(UserError) as exc:
        draft(composer, area={"polygon": {"type": "Polygon", "coordinates": [ring]}})
    assert words in exc.value.message


def test_overseas_coordinates_are_in_france():
    from beffroi.alerts.area import in_france

    assert in_france(55.45, -20.88) and in_france(-61.55, 16.25) and in_france(-52.33, 4.93)
    assert not in_france(-20.88, 55.45)


def test_a_language_with_a_headline_needs_its_description(composer):
    with pytest.raises(UserError) as exc:
        draft(composer, texts={"en": {"headline": "Flood", "description": ""}})
    assert exc.value.problems[0].field == "en_description"
