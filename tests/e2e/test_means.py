"""Means with quantities in a browser: a commune commits part of its sandbags to its crisis, asks
another commune for camp beds, which lends part of them; the stock and the main courante follow."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.test import Client

from beffroi.core.actors import SystemActor
from beffroi.crisis.actions import do_open_crisis
from beffroi.crisis.actions_means import do_save_resource
from beffroi.crisis.models import LogEntry, ResourceRequest


def test_commit_request_and_partial_answer_on_the_means_page(browser, live_server, make_user):
    demo = SystemActor("demo")
    mayor = make_user("maire", ["94052", "92033"])
    crisis = do_open_crisis(
        hazard="inondation", communes=["94052"], level=3, exercise=True, title="Crue", actor=mayor
    )
    sandbags = do_save_resource(
        commune="94052", actor=demo, name="Sacs de sable", kind="sacs_sable", quantity=2000, unit="sacs"
    )
    do_save_resource(commune="92033", actor=demo, name="Lits de camp", kind="couchage", quantity=40)
    cell = make_user("cellule_crise", ["94052", "92033"])
    client = Client()
    client.force_login(cell)
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": 1366, "height": 900}
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto("/crise/moyens/")
    row = page.locator(f"#resource-{sandbags.pk}")
    row.get_by_text("Engager", exact=True).first.click()
    row.get_by_label("Quantité").fill("600")
    row.get_by_label("Où").fill("Quai de la Marne")
    row.get_by_role("button", name="Engager").click()
    page.wait_for_url("**/crise/moyens/")
    assert "1400 / 2000 sacs" in page.locator(f"#resource-{sandbags.pk}").inner_text()
    assert (
        "600 sacs Sacs de sable → Quai de la Marne"
        in page.get_by_role("listitem").filter(has_text="Quai de la Marne").first.inner_text()
    )

    page.get_by_text("Demander des moyens à une autre commune ou à la mutualisation").click()
    page.get_by_label("Commune demandeuse").select_option("94052")
    page.get_by_label("Demandée à").select_option("92033")
    page.locator("#q-kind").select_option("couchage")
    page.get_by_label("Besoin", exact=True).fill("Lits de camp")
    page.locator("#q-q").fill("30")
    page.locator("#q-crisis").select_option(str(crisis.pk))
    page.get_by_role("button", name="Envoyer la demande").click()
    page.wait_for_url("**/crise/moyens/")
    request = ResourceRequest.objects.get()
    answer = page.locator(f"#request-{request.pk}")
    answer.get_by_label("Décision").select_option("partial")
    answer.get_by_label("Moyen prêté").select_option(label="Lits de camp (40 disponible(s))")
    answer.get_by_label("Quantité accordée (en partie)").fill("20")
    answer.get_by_label("Motif, précisions").fill("le reste sert à Garches")
    answer.get_by_role("button", name="Répondre").click()
    page.wait_for_url("**/crise/moyens/")
    assert "Acceptée en partie : 20 accordé(s)" in page.locator(f"#request-{request.pk}").inner_text()
    texts = list(LogEntry.objects.filter(crisis=crisis).order_by("seq").values_list("text", flat=True))
    assert any("Engagement : 600 sacs" in t for t in texts)
    assert any(f"Demande de moyens n°{request.pk} acceptée en partie par 92033" in t for t in texts)
    directory = Path(settings.DATA_DIR) / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(directory / "crisis-means.png"), full_page=True)
    context.close()
