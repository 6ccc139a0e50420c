"""The crisis cell's alert flow in a browser: compose fr+en, approve (second person, TOTP), publish,
public page, e-mail and SMS received at local servers, update, end of alert (own text, approval,
confirmation); axe-core on /public/."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.alerts.models import Alert, Subscriber
from tests.alerts.servers import BrevoServer, SMTPServer
from tests.conftest import PASSWORD
from tests.e2e.conftest import login


@pytest.fixture
def servers(settings, monkeypatch, tmp_path):
    smtp, sms = SMTPServer(), BrevoServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.server_address[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.PUBLIC_ROOT = tmp_path / "public"
    settings.SMS_URL, settings.SMS_BREVO_BASE_URL = sms.url, sms.base
    yield smtp, sms
    smtp.stop()
    sms.stop()


def _subscriber(channel, address):
    now = timezone.now()
    return Subscriber.objects.create(
        channel=channel,
        address=address,
        token=f"tok-{channel}",
        commune="92063",
        confirmed_at=now,
        consent_at=now,
    )


def _logout(page):
    page.context.clear_cookies()


def _login_totp(page, user):
    login(page, user.username, PASSWORD)
    device = TOTPDevice.objects.get(user=user)
    page.locator("input[name=token]").fill(
        f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Valider").click()


def _approve(page, mayor, alert_id):
    page.goto(f"/alertes/{alert_id}/")
    page.get_by_role("button", name="Approuver ce texte").click()
    page.wait_for_load_state("load")
    assert page.locator("#state").inner_text() == "Approuvée"


def test_compose_approve_publish_update_cancel(page, screenshot, make_user, servers):
    smtp, sms = servers
    composer = make_user("communication", ["92063"])
    mayor = make_user("maire", ["92063"], totp=True)
    _subscriber("email", "habitant@example.org")
    _subscriber("sms", "+33612345678")

    login(page, composer.username, PASSWORD)
    page.goto("/alertes/nouvelle/?alea=inondation")
    page.get_by_label("Titre – Français").fill("Crue de la Seine : évacuez les sous-sols")
    page.get_by_label("Consignes – Français").fill("Montez à l'étage. <b>Pas</b> de voiture.")
    page.get_by_role("button", name="Enregistrer et prévisualiser").click()
    page.wait_for_load_state("load")
    assert "balisage" in page.content()  # markup is refused, saying so
    page.get_by_label("Consignes – Français").fill("Montez à l'étage. Pas de voiture < 1 h.")
    page.get_by_label("Titre – Anglais").fill("Seine flood: leave basements")
    page.get_by_label("Consignes – Anglais").fill("Move upstairs.")
    page.get_by_label("Gravité").select_option("Severe")
    page.locator("#live-preview pre", has_text="Crue de la Seine").first.wait_for()  # live preview
    screenshot("alerts-compose")
    page.get_by_role("button", name="Enregistrer et prévisualiser").click()
    page.wait_for_load_state("load")
    assert "SMS" in page.content() and "Pas de voiture" in page.content()
    screenshot("alerts-detail-draft")
    page.get_by_role("button", name="Soumettre à l'approbation").click()
    page.wait_for_load_state("load")
    alert = Alert.objects.get()
    _logout(page)

    _login_totp(page, mayor)
    _approve(page, mayor, alert.pk)
    page.get_by_role("button", name="Publier sur tous les canaux").click()
    page.wait_for_load_state("load")
    assert page.locator("#state").inner_text() == "Publiée"
    screenshot("alerts-detail-published")

    page.goto("/public/")
    assert "Crue de la Seine" in page.content() and "voiture &lt; 1 h" in page.content()
    screenshot("alerts-public-index")
    page.get_by_role("link", name="Détails de l'alerte « Crue de la Seine : évacuez les sous-sols »").click()
    assert "Seine flood" in page.content()

    assert smtp.counter.unique == 1 and sms.counter.unique == 1
    mail = next(iter(smtp.counter.messages.values()))
    assert (
        "Crue de la Seine" in mail["subject"]
        and "desinscription" in mail["body"]
        and "<b>" not in mail["body"]
    )
    assert "Crue de la Seine" in next(iter(sms.counter.messages.values()))["message"]

    # Update: prepared by the mayor's cell, approved, published: same recipients.
    page.goto(f"/alertes/{alert.pk}/")
    page.get_by_role("button", name="Mettre à jour").click()
    page.wait_for_load_state("load")
    page.get_by_label("Titre – Français").fill("Crue de la Seine : la décrue commence")
    page.get_by_role("button", name="Enregistrer et prévisualiser").click()
    page.wait_for_load_state("load")
    screenshot("alerts-update-saved")
    page.get_by_role("button", name="Soumettre à l'approbation").click()
    page.wait_for_load_state("load")
    _logout(page)
    other_mayor = make_user("maire", ["92063"], totp=True)
    _login_totp(page, other_mayor)
    _approve(page, other_mayor, alert.pk)
    page.get_by_role("button", name="Publier sur tous les canaux").click()
    page.wait_for_load_state("load")
    assert smtp.counter.unique == 2 and sms.counter.unique == 2

    # End of alert: its own text, submitted, approved by a second person, confirmed, published.
    page.get_by_role("button", name="Préparer la fin d'alerte").click()
    page.wait_for_load_state("load")
    page.get_by_label("Description – Français").fill("La Seine a regagné son lit. Ne touchez pas aux câbles.")
    page.get_by_role("button", name="Enregistrer et prévisualiser").click()
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Soumettre à l'approbation").click()
    page.wait_for_load_state("load")
    _logout(page)
    # A third person approves (a TOTP code cannot be used twice in the same time step).
    deputy = make_user("maire", ["92063"], totp=True)
    _login_totp(page, deputy)
    _approve(page, deputy, alert.pk)
    page.get_by_label("Je confirme la fin d'alerte", exact=False).check()
    page.get_by_role("button", name="Publier la fin d'alerte").click()
    page.wait_for_load_state("load")
    assert page.locator("#state").inner_text() == "Publiée"
    assert smtp.counter.unique == 3 and sms.counter.unique == 3
    assert any("FIN D'ALERTE" in m["subject"] for m in smtp.counter.messages.values())
    page.goto("/public/")
    assert "Aucune alerte en cours" in page.content()
    assert page.js_errors == []


def test_public_page_has_no_serious_accessibility_violation(page, screenshot, make_user, servers):
    from beffroi.alerts import actions

    composer = make_user("communication", ["92063"])
    alert = actions.do_draft_alert(hazard="canicule", communes=["92063"], actor=composer)
    version = alert.latest()
    version.state, version.approved_digest = "approved", version.digest()
    version.save()
    actions.do_publish(version, actor=composer)
    from beffroi.public.site import build_site

    build_site()
    for path in ("/public/", f"/public/alertes/{alert.pk}.html", "/public/abonnement/"):
        page.goto(path)
        page.add_script_tag(url="/static/vendor/axe/axe.min.js")
        result = page.evaluate(
            "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
        )
        serious = [
            (v["id"], v["impact"], len(v["nodes"]))
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert result["passes"], "axe-core did not run"
        assert serious == [], (path, serious)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/public/")
    screenshot("alerts-public-mobile")
