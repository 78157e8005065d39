"""The API and the exports share one clustering run per question (what
the screen shows, every export shows), and the exports apply need-to-know
as the API does."""

import pytest
from flask_login import login_user
from sqlalchemy import select

from tests.apps import counting_runs, demo_cell
from tests.signin import add_user
from webmap.config import agency_codes
from webmap.db import get_session
from webmap.db.models import User
from webmap.services import snapshots

QUERY = "start=2025-03-01&end=2025-09-30&agencies=GN,PN-SP,DOUANE"


@pytest.fixture(scope="module")
def cell(tmp_path_factory):
    """Two years of demo reports; customs restricted half of theirs."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        app = demo_cell(tmp_path_factory.mktemp("runs") / "instance", monkeypatch, seed=5)
        add_user(app, "analyste-gn", role="analyst", agency="GN")
        add_user(app, "analyste-douane", role="analyst", agency="DOUANE")
        yield app


@pytest.mark.parametrize("user", ["analyste-gn", "analyste-douane"])
def test_a_snapshot_draws_the_run_the_page_drew(cell, monkeypatch, user):
    calls = counting_runs(monkeypatch)
    client = cell.test_client(user=user)
    listed = client.get(f"/api/hotspots?{QUERY}").get_json()["features"]
    assert calls == [1] and listed
    # The page sends its whole state; the run is the same question.
    png = client.get(f"/export/snapshot.png?{QUERY}&size=800x600&layers=communes,reports,hotspots&title=Réunion")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    assert calls == [1]
    with cell.test_request_context(f"/export/snapshot.png?{QUERY}"):
        login_user(get_session().scalar(select(User).where(User.username == user)))
        request = snapshots.parse_snapshot_request(
            dict(item.split("=") for item in QUERY.split("&")), known_agencies=agency_codes(cell.config)
        )
        _, spots = snapshots.map_data(request.report_filter, request.params)
    assert [(s.code, s.count) for s in spots] == [(f["properties"]["code"], f["properties"]["count"]) for f in listed]
    assert calls == [1]


def test_emerging_cells_of_a_snapshot_are_the_viewers_own(cell):
    """The snapshot's "Émergents" layer is judged, as /api/emerging, on the
    history the viewer may see: never on another agency's restricted reports."""
    args = {"start": "2026-09-01", "layers": "communes,cells"}
    answers = {}
    for user in ("analyste-gn", "analyste-douane"):
        listed = cell.test_client(user=user).get("/api/emerging?start=2026-09-01").get_json()["cells"]
        with cell.test_request_context("/export/snapshot.png"), cell.app_context():
            session = get_session()
            login_user(session.scalar(select(User).where(User.username == user)))
            request = snapshots.parse_snapshot_request(args, known_agencies=agency_codes(cell.config))
            reports, _ = snapshots.map_data(request.report_filter, request.params)
            cells = snapshots.page_layers(session, request, reports)["cells"]
        drawn = sorted(zip(cells["category"], cells["count"].astype(int), cells["insee"]))
        assert drawn == sorted((c["category"], c["count"], c["insee"]) for c in listed)
        answers[user] = drawn
    assert answers["analyste-gn"] != answers["analyste-douane"]
