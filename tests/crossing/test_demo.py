from beffroi.crossing import demo
from beffroi.sources.selectors import get_dataset


def test_demo_registers_synthetic_datasets_once(territory):
    stored = demo.load(["92063", "92033", "94052"])
    assert set(stored) == set(demo.TITLES)
    info = get_dataset("iris-population")
    assert info.synthetic and info.geometry_column == "geometry" and info.parquet_path.exists()
    assert "synthétique" in info.title
    assert demo.load(["92063", "92033", "94052"]) == []  # idempotent
