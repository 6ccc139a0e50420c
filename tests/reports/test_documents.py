"""Printed documents: the PCS kit and the RETEX, as PDF (A4) with the chain head."""

from __future__ import annotations

import pytest

from beffroi.crisis.actions import do_append_entry, do_close_crisis, do_open_crisis
from beffroi.crisis.actions_means import do_create_task, do_set_task_status
from beffroi.crisis.demo import load
from beffroi.reports import builders


@pytest.fixture
def closed_crisis(make_user):
    maire = make_user("maire", ["94052"])
    crisis = do_open_crisis(
        hazard="inondation", communes=["94052"], level=3, exercise=True, title="Crue de la Marne", actor=maire
    )
    do_append_entry(crisis, text="Fermeture du quai", category="decision", source="terrain", actor=maire)
    task = do_create_task(
        crisis, title="Poser les barrières", actor=maire, assignee_label="Services techniques"
    )
    do_set_task_status(task, status="done", actor=maire)
    do_close_crisis(crisis, summary="Décrue amorcée", actor=maire)
    return crisis


def test_retex_gathers_timeline_decisions_tasks_and_chain(closed_crisis):
    data = builders.retex(closed_crisis)
    assert data["chain"].ok and data["figures"]["entries"] == len(data["entries"])
    assert any("Fermeture du quai" in e.text for e in data["decisions"])
    assert data["figures"]["tasks_done"] == 1
    assert data["recommendations"]


def test_retex_pdf_from_the_cli(closed_crisis, tmp_path, capsys):
    from beffroi.cli import main

    out = tmp_path / "retex.pdf"
    assert main(["reports", "retex", str(closed_crisis.pk), "--out", str(out)]) == 0
    body = out.read_bytes()
    assert body.startswith(b"%PDF") and len(body) > 5000
    closed_crisis.chain.refresh_from_db()
    assert closed_crisis.chain.head_hash[:16] in capsys.readouterr().out.replace(" ", "")
    html = tmp_path / "retex.html"
    assert main(["reports", "retex", str(closed_crisis.pk), "--out", str(html)]) == 0
    text = html.read_text()
    closed_crisis.chain.refresh_from_db()
    assert closed_crisis.chain.head_hash in text and "EXERCICE" in text


def test_pcs_kit_is_versioned_and_holds_the_directory(territory, closed_crisis, tmp_path):
    from beffroi.cli import main

    load(["94052"])
    data = builders.pcs([c for c in territory if c.code == "94052"])
    commune, svg, _zones, has_background = data["maps"][0]
    assert not has_background  # tiles are off in the tests
    assert svg.startswith("<svg") and commune.code == "94052" and "H1" in svg
    assert data["contacts"] and data["sheets"] and data["shelters"]
    out = tmp_path / "pcs.pdf"
    assert main(["reports", "pcs", "--out", str(out), "--commune", "94052"]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert main(["reports", "pcs", "--out", str(out), "--commune", "99999"]) == 2


def test_pdf_buttons_download(client_for, closed_crisis):
    client = client_for("lecteur", ["94052"])
    response = client.get(f"/documents/retex/{closed_crisis.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client.get("/documents/pcs.pdf").content.startswith(b"%PDF")
    assert client.get(f"/documents/main-courante/{closed_crisis.pk}.pdf").status_code == 200
    other = client_for("lecteur", ["92063"])
    assert other.get(f"/documents/retex/{closed_crisis.pk}.pdf").status_code == 403


def test_pcs_map_hatches_the_risk_zones_of_the_commune(territory, tmp_path, monkeypatch):
    from types import SimpleNamespace

    import pyarrow as pa
    import pyarrow.parquet as pq
    from shapely.geometry import shape

    import beffroi.crossing.selectors as crossing_selectors

    nogent = next(c for c in territory if c.code == "94052")
    centre = shape(nogent.boundary).centroid
    zone = centre.buffer(0.003)
    path = tmp_path / "zones.parquet"
    pq.write_table(pa.table({"level": [3.0], "label": ["Marne à 3 m"], "geometry": [zone.wkb]}), path)
    info = SimpleNamespace(
        name="zones",
        title="Zones inondables (test)",
        parquet_path=path,
        geometry_column="geometry",
        synthetic=True,
        origin="test",
    )
    monkeypatch.setattr(crossing_selectors, "hazard_datasets", lambda datasets=None: [info])
    data = builders.pcs([nogent])
    _commune, svg, zones, _background = data["maps"][0]
    assert [z["label"] for z in zones] == ["Marne à 3 m"]
    assert "url(#hatch-94052)" in svg
