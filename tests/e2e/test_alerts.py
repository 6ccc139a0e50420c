"""The crisis cell's alert flow in a browser: compose fr+en, approve (second person, TOTP), publish,
public page, e-mail and SMS received at local servers, update, end of alert (own text, approval,
confirmation); axe-core on /public/.

Each form button is clicked inside ``expect_navigation``: waiting for "load" after the click can
return on the page already loaded, before the POST was answered, and the next step then races it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
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
    with page.expect_navigation():
        page.get_by_role("button", name="Approuver ce texte").click()
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
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer et prévisualiser").click()
    assert "balisage" in page.content()  # markup is refused, saying so
    # The refused form comes back as a 400 page, which Chromium logs as a failed load: expected here.
    assert all("status of 400" in e for e in page.js_errors), page.js_errors
    page.js_errors.clear()
    page.get_by_label("Consignes – Français").fill("Montez à l'étage. Pas de voiture < 1 h.")
    page.get_by_label("Titre – Anglais").fill("Seine flood: leave basements")
    page.get_by_label("Consignes – Anglais").fill("Move upstairs.")
    page.get_by_label("Gravité").select_option("Severe")
    page.locator("#live-preview pre", has_text="Crue de la Seine").first.wait_for()  # live preview
    screenshot("alerts-compose")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer et prévisualiser").click()
    assert "SMS" in page.content() and "Pas de voiture" in page.content()
    screenshot("alerts-detail-draft")
    with page.expect_navigation():
        page.get_by_role("button", name="Soumettre à l'approbation").click()
    alert = Alert.objects.get()
    _logout(page)

    _login_totp(page, mayor)
    _approve(page, mayor, alert.pk)
    with page.expect_navigation():
        page.get_by_role("button", name="Publier sur tous les canaux").click()
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
    with page.expect_navigation():
        page.get_by_role("button", name="Mettre à jour").click()
    page.get_by_label("Titre – Français").fill("Crue de la Seine : la décrue commence")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer et prévisualiser").click()
    screenshot("alerts-update-saved")
    with page.expect_navigation():
        page.get_by_role("button", name="Soumettre à l'approbation").click()
    _logout(page)
    other_mayor = make_user("maire", ["92063"], totp=True)
    _login_totp(page, other_mayor)
    _approve(page, other_mayor, alert.pk)
    with page.expect_navigation():
        page.get_by_role("button", name="Publier sur tous les canaux").click()
    assert smtp.counter.unique == 2 and sms.counter.unique == 2

    # End of alert: its own text, submitted, approved by a second person, confirmed, published.
    with page.expect_navigation():
        page.get_by_role("button", name="Préparer la fin d'alerte").click()
    page.get_by_label("Description – Français").fill("La Seine a regagné son lit. Ne touchez pas aux câbles.")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer et prévisualiser").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Soumettre à l'approbation").click()
    _logout(page)
    # A third person approves (a TOTP code cannot be used twice in the same time step).
    deputy = make_user("maire", ["92063"], totp=True)
    _login_totp(page, deputy)
    _approve(page, deputy, alert.pk)
    page.get_by_label("Je confirme la fin d'alerte", exact=False).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Publier la fin d'alerte").click()
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


# --- an area drawn on the map, the estimate, and everyone concerned reached ------------------------

DRAWN = [(2.17, 48.862), (2.20, 48.862), (2.20, 48.88), (2.17, 48.88)]  # inside Rueil-Malmaison
FIRST = (2.18, 48.87)  # the first recipient's address point, inside the drawn area


def _screen_points(page, ring):
    # The map centred first: a click gives it the focus, which must not scroll the page meanwhile.
    page.evaluate("document.getElementById('alert-map').scrollIntoView({block: 'center'})")
    return page.evaluate(
        """(ring) => {
            const element = document.getElementById('alert-map');
            const map = element.leafletMap, box = element.getBoundingClientRect();
            return ring.map(([lon, lat]) => {
                const p = map.latLngToContainerPoint([lat, lon]);
                return [box.left + p.x, box.top + p.y];
            });
        }""",
        ring,
    )


def _draw_polygon(page, ring):
    """Draw with Geoman's toolbar: the polygon tool, one click per vertex, then the first vertex."""
    points = _screen_points(page, ring)
    page.locator(".leaflet-pm-icon-polygon").click()
    for x, y in points + points[:1]:
        page.mouse.click(x, y)
        page.wait_for_timeout(120)


def _draw_rectangle(page, ring):
    """Geoman's rectangle tool: two opposite corners (the polygon tool lost vertices in headless
    Chromium at 390 px wide; the rectangle is a polygon all the same)."""
    points = _screen_points(page, [ring[0], ring[2]])
    page.locator(".leaflet-pm-icon-rectangle").click()
    for x, y in points:
        page.mouse.click(x, y)
        page.wait_for_timeout(120)


def _figures(page) -> dict:
    page.locator("#area-estimate[data-state=done]").wait_for()
    return {
        key: page.locator(f"#estimate-figures tr[data-figure={key}] td").inner_text()
        for key in ("residents", "addresses", "subscribers", "facilities", "registry")
    }


def _mails_to(smtp, address):
    return [m for m in smtp.counter.messages.values() if address in m["to"]]


def _three_widths(browser, live_server, path, name, screenshot, page, *, draw=False):
    """Desktop (the test's page), 390 px wide, and English (a new browser context)."""
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(path)
    if draw:
        _draw_rectangle(page, DRAWN)
        assert page.locator("textarea[name=polygon]").input_value()
    _figures(page)
    screenshot(f"{name}-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1366, "height": 900})
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1366, "height": 900}
    )
    context.add_cookies(page.context.cookies())  # the same session, already logged in
    english = context.new_page()
    english.goto(path)
    if draw:
        _draw_polygon(english, DRAWN)
        assert english.locator("textarea[name=polygon]").input_value()
    _figures(english)
    directory = Path(settings.DATA_DIR) / "screenshots"
    english.screenshot(path=str(directory / f"{name}-en.png"), full_page=True)
    text = english.content()
    context.close()
    return text


def test_area_drawn_on_the_map_estimate_approval_and_everyone_reached(
    page, browser, live_server, screenshot, make_user, servers
):
    from beffroi.crossing import demo as crossing_demo

    smtp, _sms = servers
    crossing_demo.load(["92063", "92033", "94052"])
    composer = make_user("communication", ["92063"])
    mayor = make_user("maire", ["92063"], totp=True)
    first = _subscriber("email", "premier@example.org")
    first.lon, first.lat, first.points = FIRST[0], FIRST[1], [[FIRST[0], FIRST[1], "domicile"]]
    first.save()
    outside = _subscriber("sms", "+33612345670")  # known by its point outside the drawn area
    outside.lon, outside.lat, outside.points = 2.14, 48.86, [[2.14, 48.86, "loin"]]
    outside.save()

    # The composer draws the area on the map and reads the estimate beside it.
    login(page, composer.username, PASSWORD)
    page.goto("/alertes/nouvelle/?alea=inondation")
    assert page.locator("textarea[name=polygon]").is_hidden()  # the map replaces the text box
    page.get_by_label("Titre – Français").fill("Crue de la Seine : quartier des bords de Seine")
    page.get_by_label("Consignes – Français").fill("Montez à l'étage.")
    _draw_polygon(page, DRAWN)
    drawn = page.locator("textarea[name=polygon]").input_value()
    ring = json.loads(drawn)["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5  # closed, four vertices: what was clicked
    assert all(abs(x - a) < 1e-3 and abs(y - b) < 1e-3 for (x, y), (a, b) in zip(ring, DRAWN, strict=False))
    composed = _figures(page)
    assert composed["subscribers"].startswith("1")  # the first recipient, not the one outside
    assert int(composed["residents"].replace("\u202f", "").replace("\xa0", "").replace(" ", "")) > 0
    assert composed["registry"] not in ("", "non disponible")
    screenshot("alerts-compose-map-desktop")
    english = _three_widths(
        browser,
        live_server,
        "/alertes/nouvelle/?alea=inondation",
        "alerts-compose-map",
        screenshot,
        page,
        draw=True,
    )
    assert "Estimate in the area" in english and "Estimated residents" in english
    page.goto("/alertes/nouvelle/?alea=inondation")
    page.get_by_label("Titre – Français").fill("Crue de la Seine : quartier des bords de Seine")
    page.get_by_label("Consignes – Français").fill("Montez à l'étage.")
    _draw_polygon(page, DRAWN)
    assert _figures(page) == composed
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer et prévisualiser").click()
    alert = Alert.objects.get()
    assert alert.latest().area["polygon"]["type"] == "Polygon"
    with page.expect_navigation():
        page.get_by_role("button", name="Soumettre à l'approbation").click()
    _logout(page)

    # The mayor sees the same map and figures, then approves and publishes.
    _login_totp(page, mayor)
    page.goto(f"/alertes/{alert.pk}/")
    page.locator("#alert-map .leaflet-interactive, #alert-map path").first.wait_for()
    approver = _figures(page)
    for key in ("residents", "addresses", "subscribers", "facilities"):
        assert approver[key] == composed[key], key
    screenshot("alerts-approver-map-desktop")
    english = _three_widths(
        browser, live_server, f"/alertes/{alert.pk}/", "alerts-approver-map", screenshot, page
    )
    assert "Area and estimate" in english
    page.goto(f"/alertes/{alert.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Approuver ce texte").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Publier sur tous les canaux").click()
    assert page.locator("#state").inner_text() == "Publiée"
    page.wait_for_function("() => true")
    assert len(_mails_to(smtp, "premier@example.org")) == 1
    _logout(page)

    # A new resident subscribes on the public page and confirms through the e-mailed link.
    page.goto("/public/abonnement/")
    page.get_by_label("Recevoir les alertes par").select_option("email")
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill("nouveau@example.org")
    page.get_by_label("Commune").first.select_option("92063")
    page.locator("input[name=consent]").check()
    with page.expect_navigation():
        page.get_by_role("button", name="S'abonner").click()
    confirmation = _mails_to(smtp, "nouveau@example.org")
    link = re.search(r"(/public/abonnement/confirmer/[^/\s]+/)", confirmation[0]["body"]).group(1)
    page.goto(link)
    assert Subscriber.objects.get(address="nouveau@example.org").active

    # An Update reaches the first recipient and the new one.
    login(page, composer.username, PASSWORD)
    page.goto(f"/alertes/{alert.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Mettre à jour").click()
    page.get_by_label("Titre – Français").fill("Crue de la Seine : évacuation du quartier")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer et prévisualiser").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Soumettre à l'approbation").click()
    _logout(page)
    second = make_user("maire", ["92063"], totp=True)
    _login_totp(page, second)
    _approve(page, second, alert.pk)
    with page.expect_navigation():
        page.get_by_role("button", name="Publier sur tous les canaux").click()
    for address in ("premier@example.org", "nouveau@example.org"):
        assert any("évacuation du quartier" in m["subject"] for m in _mails_to(smtp, address)), address
    assert not [m for m in smtp.counter.messages.values() if "+33612345670" in m["to"]]
    _logout(page)

    # « Fin d'alerte » with its own text, approved by a second person, reaches both.
    login(page, composer.username, PASSWORD)
    page.goto(f"/alertes/{alert.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Préparer la fin d'alerte").click()
    page.get_by_label("Description – Français").fill("La Seine a regagné son lit. Les quais rouvrent.")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer et prévisualiser").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Soumettre à l'approbation").click()
    _logout(page)
    third = make_user("maire", ["92063"], totp=True)
    _login_totp(page, third)
    _approve(page, third, alert.pk)
    page.get_by_label("Je confirme la fin d'alerte", exact=False).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Publier la fin d'alerte").click()
    assert page.locator("#state").inner_text() == "Publiée"
    for address in ("premier@example.org", "nouveau@example.org"):
        ends = [m for m in _mails_to(smtp, address) if "FIN D'ALERTE" in m["subject"]]
        assert ends and "Les quais rouvrent" in ends[0]["body"], address
    assert page.js_errors == []


def test_area_typed_with_the_keyboard_is_drawn_and_estimated(page, make_user, servers):
    from beffroi.crossing import demo as crossing_demo

    crossing_demo.load(["92063", "92033", "94052"])
    composer = make_user("communication", ["92063"])
    login(page, composer.username, PASSWORD)
    page.goto("/alertes/nouvelle/?alea=inondation")
    toggle = page.get_by_role("button", name="Saisir la zone au clavier (GeoJSON, cercle)")
    assert page.get_by_label("Cercle : latitude").is_hidden()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.get_by_label("Cercle : latitude").fill("48.87")
    page.get_by_label("Cercle : longitude").fill("2.18")
    page.get_by_label("Cercle : rayon (km)").fill("0.8")
    page.get_by_label("Cercle : rayon (km)").press("Tab")  # change event: the map and the estimate follow
    page.wait_for_function(
        "() => document.getElementById('area-estimate').dataset.state === 'done'"
        " && document.querySelector('#area-estimate .area-info').textContent.includes('2,0')"
    )
    circles = page.evaluate(
        "() => { let n = 0; document.getElementById('alert-map').leafletMap.eachLayer("
        "l => { if (l instanceof L.Circle) n++; }); return n; }"
    )
    assert circles == 1
    assert page.js_errors == []
