import pytest

from beffroi.core.actors import SystemActor


@pytest.fixture(autouse=True)
def datasets_dir(settings, tmp_path):
    """Every test gets its own empty catalogue directory."""
    settings.DATASETS_DIR = tmp_path / "data"
    return settings.DATASETS_DIR


@pytest.fixture
def server(settings):
    """A local HTTP server; 127.0.0.1 is allowed past the SSRF guard for the test only."""
    from tests.sources.fakeserver import FakeServer

    settings.SOURCES_ALLOW_HOSTS = ["127.0.0.1"]
    srv = FakeServer()
    yield srv
    srv.close()


@pytest.fixture
def make_source(db):
    """Configure a source pointed at the local server, with fast retries."""
    from beffroi.sources.actions import do_add_source

    def make(kind, name=None, **config):
        config.setdefault("backoff", "0.01")
        config.setdefault("timeout", "2")
        return do_add_source(name or kind, kind, config=config, actor=SystemActor("cli"))

    return make
