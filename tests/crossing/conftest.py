import pyarrow.parquet as pq
import pytest

from beffroi.crossing import synthetic
from beffroi.crossing.layers import LayerSource


@pytest.fixture(scope="session")
def demo_tables(reference_communes):
    communes = [(c.code, c.population, c.geometry_geojson()) for c in reference_communes.values()]
    return synthetic.generate(communes)


@pytest.fixture(scope="session")
def demo_layers(demo_tables, tmp_path_factory):
    """The synthetic tables as Parquet files, seen by the engine like catalogue datasets."""
    base = tmp_path_factory.mktemp("crossing")
    layers = {}
    for name, table in demo_tables.items():
        path = base / f"{name}.parquet"
        pq.write_table(table, path)
        layers[name] = LayerSource(name, name, path, "geometry", synthetic=True)
    return layers
