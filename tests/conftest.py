"""Fixtures shared by the suite: apps on temporary instance folders, each with
its own real SQLite file (as in Flask's tutorial, ``tests/conftest.py``)."""

import json
from pathlib import Path

import pytest

from tests.apps import make_app

DEMO_SEED = 88
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture
def app(tmp_path, monkeypatch):
    """An app on an empty, migrated database."""
    return make_app(tmp_path / "instance", monkeypatch)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def demo_instance(tmp_path_factory):
    """An instance folder holding the demo data, generated once per session:
    the generator takes seconds and the tests only read it."""
    instance = tmp_path_factory.mktemp("demo") / "instance"
    with pytest.MonkeyPatch.context() as monkeypatch:
        app = make_app(instance, monkeypatch)
        result = app.test_cli_runner().invoke(args=["demo", "--seed", str(DEMO_SEED)])
        assert result.exit_code == 0, result.output
    return instance


@pytest.fixture
def demo_app(demo_instance, monkeypatch):
    return make_app(demo_instance, monkeypatch)


@pytest.fixture
def demo_truth(demo_instance):
    return json.loads((demo_instance / "demo-truth.json").read_text())


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()
