from beffroi.crossing import demo
from beffroi.sources.selectors import get_dataset


def test_demo_registers_synthetic_datasets_once(territory):
    stored = demo.load(["92063", "92033", "94052"])
    assert set(stored) == set(demo.TITLES)
    info = get_dataset("iris-population")
    assert info.synthetic and info.geometry_column == "geometry" and info.parquet_path.exists()
    assert "synthétique" not in info.title  # the pages add the « synthétique » badge: never twice
    assert demo.load(["92063", "92033", "94052"]) == []  # idempotent


def test_synthetic_data_is_deterministic_and_sums_to_real_populations(reference_communes, demo_tables):
    from beffroi.crossing import synthetic

    communes = [(c.code, c.population, c.geometry_geojson()) for c in reference_communes.values()]
    again = synthetic.generate(communes)
    assert set(again) == set(demo_tables)
    for name, table in again.items():
        assert table.equals(demo_tables[name]), name
    pop = demo_tables["iris-population"].to_pylist()
    for c in reference_communes.values():
        rows = [r for r in pop if r["commune_code"] == c.code]
        assert sum(r["pop_total"] for r in rows) == c.population
        assert all(sum(r[b] for b in synthetic.BANDS) == r["pop_total"] for r in rows)
