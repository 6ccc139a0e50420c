from beffroi.crossing import demo


def test_map_and_profile_pages(territory, client_for):
    demo.load(["92063", "92033", "94052"])
    client = client_for("maire")
    page = client.get("/croisements/")
    assert page.status_code == 200
    assert "Données synthétiques" in page.content.decode()
    nav = page.content.decode().split("</nav>")[0]
    assert 'href="/croisements/"' in nav and "Croisements" in nav
    profile = client.get("/croisements/profil/?w_share_75_plus=1")
    assert profile.status_code == 200, profile.content[:2000]
    assert profile.content.decode().count("<tr data-code=") == 3
    csv = client.get("/croisements/profil.csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("code,name,population") and len(lines) == 4
    geo = client.get("/croisements/profil.geojson").json()
    assert len(geo["features"]) == 3 and geo["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    import io

    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(client.get("/croisements/profil.parquet").content))
    assert table.num_rows == 3 and "vulnerability_index" in table.column_names


def test_pages_need_a_role(territory, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user("nobody", password="x"))
    assert client.get("/croisements/").status_code == 403
    assert client.get("/croisements/profil.csv").status_code == 403
