"""One server for the care tests (package scope: the tests keep to people of their own)."""

import pytest

from tests.conftest import make_server, seed


@pytest.fixture(scope="package")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("care")
    url = f"sqlite:///{tmp / 'care.db'}"
    engine, _ = seed(url)
    srv = make_server(url, tmp).start()
    yield srv, engine
    srv.stop()
