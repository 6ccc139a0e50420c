import pytest


@pytest.fixture(autouse=True)
def datasets_dir(settings, tmp_path):
    """Every test gets its own empty catalogue directory."""
    settings.DATASETS_DIR = tmp_path / "data"
    return settings.DATASETS_DIR
