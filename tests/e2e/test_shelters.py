"""A crisis cell opens a shelter, registers arrivals, and citizens see it on the public page."""

from __future__ import annotations

import time

from beffroi.alerts.models import AlertVersion
from beffroi.core.actors import SystemActor
from beffroi.crisis.actions_means import do_save_shelter
from beffroi.crisis.models import ShelterEntry
from tests.conftest import PASSWORD
from tests.e2e.conftest import login


def test_open_a_shelter_register_arrivals_and_the_public_page_follows(page, make_user, settings, tmp_path):
    settings.PUBLIC_ROOT = tmp_path / "public"
    do_save_shelter(
        commune="92063",
        actor=SystemActor("demo"),
        name="Gymnase Jean-Jaurès",
        address="12 avenue Jean-Jaurès, Rueil-Malmaison",
        capacity=60,
        accessible=True,
        contact="Service des sports",
        contact_phone="01 47 32 00 00",
    )
    cell = make_user("cellule_crise", ["92063"])
    login(page, cell.username, PASSWORD)
    page.goto("/crise/moyens/")
    page.get_by_role("button", name="Ouvrir Gymnase Jean-Jaurès").click()
    page.get_by_text("Gymnase Jean-Jaurès est ouvert.").wait_for()
    page.get_by_role("link", name="Registre des personnes accueillies").click()

    for name, size, needs in (
        ("Famille Martin", "4", ["Animaux"]),
        ("M. Durand", "1", ["Mobilité réduite", "Soins / traitement"]),
        ("Famille Nguyen", "3", ["Langue"]),
    ):
        page.get_by_label("Nom du foyer").fill(name)
        page.get_by_label("Nombre de personnes").fill(size)
        page.get_by_label("Téléphone de contact").fill("06 00 00 00 00")
        for need in needs:
            page.get_by_label(need, exact=True).check()
        page.get_by_role("button", name="Enregistrer l'arrivée").click()
        page.get_by_text(f"Arrivée enregistrée : {name}.").wait_for()
    assert page.locator(".register-summary .count").inner_text() == "8"
    assert ShelterEntry.objects.filter(departed_at__isnull=True).count() == 3

    page.add_script_tag(url="/static/vendor/axe/axe.min.js")
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
    )
    serious = [
        (v["id"], len(v["nodes"])) for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert result["passes"] and serious == [], serious
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path="/tmp/shelters-register-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/shelters-register-390.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width

    # Citizens: the public page shows the shelter open with its count, with no alert published.
    public = page.context.new_page()
    deadline = time.monotonic() + 10
    while True:
        public.goto("/public/")
        if "8 / 60 places" in public.content():
            break
        assert time.monotonic() < deadline, "the public page did not follow within 10 s"
        time.sleep(0.5)
    row = public.locator("tr", has_text="Gymnase Jean-Jaurès")
    assert "Ouvert" in row.inner_text() and "Martin" not in public.content()
    public.screenshot(path="/tmp/shelters-public.png", full_page=True)
    assert not AlertVersion.objects.exists()
    assert not page.js_errors, page.js_errors
