"""The map's first view computed ahead (``crossmap warm``, and after a
large import): another server process then answers it without computing,
the same answer, each agency its own."""

import gzip
import json
from pathlib import Path

import pytest

from tests.apps import DATA, counting_runs, demo_cell
from tests.signin import add_user
from webmap.services import cache


@pytest.fixture
def cell(tmp_path, monkeypatch):
    app = demo_cell(tmp_path / "instance", monkeypatch, seed=3)
    add_user(app, "analyste-douane", role="analyst", agency="DOUANE")
    add_user(app, "analyste-pj", role="analyst", agency="PJ")
    add_user(app, "ancien-paf", role="analyst", agency="PAF", active=False)
    return app


def another_process(monkeypatch):
    """Forget what this process holds, as a fresh server worker would, and
    count the clustering runs it makes."""
    cache._cache.clear()
    cache._latest.clear()
    return counting_runs(monkeypatch)


def first_view(client):
    answers = {}
    for path in ("/api/hotspots", "/api/emerging", "/api/backtest", "/api/communes"):
        response = client.get(path)
        assert response.status_code == 200
        body = response.get_data()
        answers[path] = json.loads(gzip.decompress(body) if response.content_encoding == "gzip" else body)
    return answers


def test_a_warmed_first_view_is_answered_without_computing(cell, monkeypatch):
    result = cell.test_cli_runner().invoke(args=["warm"])
    assert result.exit_code == 0, result.output
    # Every agency with an active account, none for the inactive one.
    assert "pour : DOUANE, GN, PJ." in result.output
    calls = another_process(monkeypatch)
    users = ("test-admin", "analyste-douane", "analyste-pj")
    warmed = {user: first_view(cell.test_client(user=user)) for user in users}
    assert calls == []
    assert warmed["test-admin"]["/api/hotspots"]["features"]
    # Customs see their restricted reports; the gendarmerie and the PJ,
    # which restrict nothing, see the same shared reports.
    assert warmed["analyste-douane"] != warmed["test-admin"] == warmed["analyste-pj"]
    # The same answers as computed on demand.
    for path in (Path(cell.instance_path) / "answers").iterdir():
        path.unlink()
    calls = another_process(monkeypatch)
    computed = {user: first_view(cell.test_client(user=user)) for user in users}
    # One run for customs, one for every agency that restricts nothing.
    assert calls == [1, 1]
    assert computed == warmed


def test_a_large_import_warms_the_first_view_and_a_small_one_does_not(cell, monkeypatch):
    runner = cell.test_cli_runner()
    small = runner.invoke(args=["import", str(DATA / "reports-douane-utf8bom.csv")])
    assert small.exit_code == 0, small.output
    assert "précalculée" not in small.output
    cell.config["WARM_ABOVE"] = 0
    large = runner.invoke(args=["import", str(DATA / "reports-gn-cp1252.csv")])
    assert large.exit_code == 0, large.output
    assert "Première vue de la carte précalculée pour chaque service" in large.output
    calls = another_process(monkeypatch)
    first_view(cell.test_client())
    assert calls == []
