from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from beffroi.alerts import actions, cap
from beffroi.alerts.models import AlertVersion, Delivery
from beffroi.alerts.outbox import dispatch_all
from beffroi.alerts.selectors import reach_report
from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.core.models import AuditEvent

from .conftest import RUEIL, draft, end_alert, publish_real

pytestmark = pytest.mark.django_db


def test_real_alert_needs_a_second_verified_person(composer, mayor, make_user):
    alert = draft(composer)
    version = alert.latest()
    with pytest.raises(UserError):
        actions.do_publish(version, actor=composer)
    actions.do_submit(version, actor=composer)
    with pytest.raises(PermissionDenied):  # session not TOTP-verified
        actions.do_approve(version, digest=version.digest(), actor=mayor)
    mayor.is_verified = lambda: True
    with pytest.raises(UserError):  # approving something else than what is shown
        actions.do_approve(version, digest="0" * 64, actor=mayor)
    with pytest.raises(PermissionDenied):
        actions.do_approve(version, digest=version.digest(), actor=make_user("communication", [RUEIL]))
    actions.do_approve(version, digest=version.digest(), actor=mayor)
    published = actions.do_publish(version, actor=composer)
    assert published.state == AlertVersion.State.PUBLISHED
    approvals = AuditEvent.objects.filter(action="alerts.approve")
    assert approvals.count() == 1 and approvals[0].detail["texts"]["fr"]["headline"] == "Risque d'inondation"
    assert AuditEvent.objects.filter(action="alerts.submit", actor=composer).exists()


def test_author_cannot_approve_own_alert(make_user):
    mayor = make_user("maire", [RUEIL], totp=True)
    mayor.is_verified = lambda: True
    alert = draft(mayor)
    actions.do_submit(alert.latest(), actor=mayor)
    with pytest.raises(UserError):
        actions.do_approve(alert.latest(), digest=alert.latest().digest(), actor=mayor)


def test_exercise_goes_only_to_test_recipients_and_is_marked(composer, mayor, subscribers, mailoutbox):
    alert = draft(composer, exercise=True, test_recipients=["drill@example.org"])
    with pytest.raises(UserError):  # an exercise needs a second person too
        actions.do_publish(alert.latest(), actor=composer)
    version = publish_real(alert, composer, mayor)
    assert b"<status>Exercise</status>" in version.xml.encode()
    assert list(Delivery.objects.values_list("recipient", flat=True)) == ["drill@example.org"]
    dispatch_all()
    assert [m.to for m in mailoutbox] == [["drill@example.org"]]
    assert mailoutbox[0].subject.startswith("[Rueil-Malmaison] EXERCICE")


def test_targeting_update_and_cancel_reach_the_same_people(composer, mayor, subscribers, mailoutbox):
    alert = draft(composer)
    v1 = publish_real(alert, composer, mayor)
    targeted = set(Delivery.objects.filter(version=v1).values_list("recipient", flat=True))
    assert targeted == {"in@example.org", "+33612345678"}
    update = actions.do_prepare_update(alert, actor=composer, texts={"fr": {"headline": "La crue continue"}})
    actions.do_submit(update, actor=composer)
    actions.do_approve(update, digest=update.digest(), actor=mayor)
    v2 = actions.do_publish(update, actor=composer)
    cancel = end_alert(alert, composer, mayor)
    for v in (v2, cancel):
        assert set(Delivery.objects.filter(version=v).values_list("recipient", flat=True)) == targeted
    assert cap.references_for(cancel).count(",") == 4  # two earlier messages
    assert v1.identifier in cancel.xml and v2.identifier in cancel.xml
    report = reach_report(alert)
    assert report["targeted"] == 6 and report["pending"] == 6
    dispatch_all()
    report = reach_report(alert)
    assert report["targeted"] == 6 and report["pending"] == 0
    assert report["delivered"] + report["failed"] == 6  # SMS has no gateway here: failed with reason
    assert report["failed"] == 3 and "BEFFROI_SMS_URL" in report["versions"][0]["failures"][0]["last_error"]
    assert len(mailoutbox) == 3 and "desinscription" in mailoutbox[0].body
    assert report["versions"][2]["parts"] == {"in_area": 2, "earlier": 2, "both": 2}
    with pytest.raises(UserError):
        actions.do_prepare_update(alert, actor=composer)


@pytest.mark.parametrize(
    "texts, field",
    [
        ({"fr": {"headline": "<b>Crue</b>", "description": "d"}}, "fr_headline"),
        ({"fr": {"headline": "Crue", "description": "<img src=x onerror=alert(1)>"}}, "fr_description"),
        ({"en": {"headline": "Flood", "description": "Rain &amp; wind"}}, "en_description"),
    ],
)
def test_markup_is_refused_at_composition_saying_where(composer, texts, field):
    with pytest.raises(UserError) as exc:
        draft(composer, texts=texts)
    assert "balisage" in exc.value.message and exc.value.problems[0].field == field


def test_plain_text_with_angle_brackets_stays_plain_everywhere(
    composer, mayor, subscribers, mailoutbox, public_root, django_capture_on_commit_callbacks
):
    alert = draft(composer, texts={"fr": {"headline": "Crue : niveau > 3 m", "description": "a < b"}})
    with django_capture_on_commit_callbacks(execute=True):
        version = publish_real(alert, composer, mayor)
    assert "niveau &gt; 3 m" in version.xml
    page = (public_root / "alertes" / f"{alert.pk}.html").read_text()
    assert "niveau &gt; 3 m" in page


def test_draft_contract_for_monitoring():
    import inspect

    params = inspect.signature(actions.do_draft_alert).parameters
    assert {
        "hazard",
        "communes",
        "headline",
        "description",
        "crisis_id",
        "exercise",
        "source",
        "actor",
    } <= set(params)


def test_monitoring_draft_without_actor(territory):
    alert = actions.do_draft_alert(
        hazard="canicule",
        communes=[RUEIL],
        headline="Canicule : vigilance orange",
        description="Fortes chaleurs",
        source="monitoring",
        actor=SystemActor("demo"),
    )
    assert (
        alert.latest().state == "draft"
        and alert.latest().text("fr")["headline"] == "Canicule : vigilance orange"
    )


def test_reach_report_counts_area_for_a_user(composer, mayor, subscribers, monkeypatch):
    import beffroi.crossing.selectors as crossing

    seen = {}

    def fake_exposure(area, layers, *, user):
        seen["user"] = user
        return {
            "layers": [
                {"layer": "residents", "figures": {"total": 100}},
                {"layer": "registry", "figures": {"total": 3}},
            ]
        }

    monkeypatch.setattr(crossing, "exposure", fake_exposure)
    alert = draft(composer)
    publish_real(alert, composer, mayor)
    dispatch_all()
    report = reach_report(alert, composer)
    assert seen["user"] == composer
    assert report["area_counts"]["residents"] == 100 and report["area_counts"]["registry"] == 3
    assert report["unreachable_in_area"] == 100 - report["area_counts"]["reached_subscribers"]
    assert reach_report(alert)["unreachable_in_area"] is None


def test_count_subscribers_in_area_for_crossing(composer, subscribers):
    from beffroi.alerts.selectors import count_subscribers_in_area

    square = {
        "type": "Polygon",
        "coordinates": [[[2.18, 48.86], [2.19, 48.86], [2.19, 48.88], [2.18, 48.88], [2.18, 48.86]]],
    }
    # The point inside and the subscriber known by Rueil only (an alert over this square reaches
    # both); "gone" unsubscribed, "out" elsewhere.
    assert count_subscribers_in_area(square, user=composer) == 2


def test_the_crossing_counts_only_subscribers_of_the_reader_s_communes(make_user, subscribers):
    from beffroi.alerts.selectors import count_subscribers_in_area

    rueil = {
        "type": "Polygon",
        "coordinates": [[[2.18, 48.86], [2.19, 48.86], [2.19, 48.88], [2.18, 48.88], [2.18, 48.86]]],
    }
    garches_reader = make_user("communication", ["92033"])
    assert count_subscribers_in_area(rueil, user=garches_reader) == 0


def test_publication_is_written_in_the_crisis_log(
    composer, mayor, make_user, django_capture_on_commit_callbacks
):
    from beffroi.crisis.actions import do_open_crisis
    from beffroi.crisis.selectors import entries

    crisis = do_open_crisis(
        hazard="inondation",
        communes=[RUEIL],
        level=2,
        exercise=False,
        title="Crue",
        actor=make_user("maire", [RUEIL]),
    )
    cell = make_user("cellule_crise", [RUEIL])  # may write the crisis log, where the alert goes
    alert = draft(cell, crisis_id=crisis.pk)
    with django_capture_on_commit_callbacks(execute=True):
        version = publish_real(alert, cell, mayor)
    texts = [e.text for e in entries(crisis)]
    assert any(version.identifier in t and "approuvée par" in t for t in texts), texts


def test_chosen_staff_groups_get_the_alert_and_its_update(composer, mayor, make_user, mailoutbox):
    cell = make_user("cellule_crise", [RUEIL])
    cell.email = "cellule@example.org"
    cell.save()
    elsewhere = make_user("cellule_crise", ["94052"])
    elsewhere.email = "nogent@example.org"
    elsewhere.save()
    alert = draft(composer, groups=["cellule_crise"])
    v1 = publish_real(alert, composer, mayor)
    assert list(Delivery.objects.filter(version=v1).values_list("recipient", flat=True)) == [
        "cellule@example.org"
    ]
    cancel = end_alert(alert, composer, mayor)
    assert list(Delivery.objects.filter(version=cancel).values_list("recipient", flat=True)) == [
        "cellule@example.org"
    ]
    with pytest.raises(UserError):
        draft(composer, groups=["nobody"])
