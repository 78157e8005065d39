"""Figures per commune counted by the database (GROUP BY insee) equal the
pandas path's, for every viewer, on SQLite and PostgreSQL."""

import json

import pandas as pd
import pytest
from sqlalchemy import text

from geo.reference import load_communes
from tests.apps import demo_cell
from webmap.db import get_session
from webmap.security.need_to_know import WITHHELD_COLUMNS, coarse_filter, visible_reports, withheld_counts
from webmap.services.commune_counts import commune_figures_sql
from webmap.services.filters import parse_filter, select_reports
from webmap.services.hotspots import commune_figures
from webmap.services.store import ANALYSIS_COLUMNS

TRIANGLE = json.dumps(
    {"type": "Polygon", "coordinates": [[[6.38, 48.12], [6.52, 48.13], [6.45, 48.23], [6.38, 48.12]]]}
)
FILTERS = [
    {},
    {"start": "2025-01-01", "end": "2025-09-30"},
    {"end": "2025-06-15", "agencies": "GN,DOUANE,PJ"},
    {"categories": "deal_point,seizure", "min_grading": "C3"},
    {"bbox": "6.3,48.05,6.6,48.3"},
    {"start": "2025-03-01", "zone": TRIANGLE},
    {"start": "2040-01-01"},
    # Paris weekdays and hours, across midnight and the October change.
    {"weekdays": "4,5", "hours": "22-3"},
    {"start": "2025-09-01", "end": "2025-12-31", "hours": "0-3"},
]
K = 2


@pytest.fixture(scope="module")
def cell(tmp_path_factory):
    """Two years of demo reports; customs restricted half of theirs."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield demo_cell(tmp_path_factory.mktemp("communes") / "instance", monkeypatch, seed=5)


def pandas_figures(session, report_filter, agency):
    """What /api/communes computed before the database counted: the
    visible frame, its history, the withheld groups."""
    frame = visible_reports(select_reports(session, report_filter, ANALYSIS_COLUMNS), agency)
    history = visible_reports(select_reports(session, report_filter.history(), ANALYSIS_COLUMNS), agency)
    coarse = coarse_filter(report_filter)
    withheld = {}
    if coarse is not None:
        withheld = withheld_counts(select_reports(session, coarse, WITHHELD_COLUMNS), agency, K)
    return commune_figures(frame, load_communes(), history=history, end=report_filter.end, withheld=withheld)


@pytest.mark.parametrize("params", FILTERS)
@pytest.mark.parametrize("agency", ["GN", "DOUANE"])
def test_database_counts_equal_the_pandas_path(cell, params, agency):
    report_filter = parse_filter(params)
    with cell.app_context():
        session = get_session()
        expected = pandas_figures(session, report_filter, agency)
        counted = commune_figures_sql(session, report_filter, agency, load_communes(), k=K, end=report_filter.end)
        engine = session.get_bind().dialect.name
    if "zone" in params and engine == "sqlite":
        # SQLite cannot test a point in a polygon: the pandas path answers.
        assert counted is None
        return
    pd.testing.assert_frame_equal(counted, expected)
    if not params.get("start") == "2040-01-01":
        assert counted["count"].sum() > 0 and counted["trend_recent"].sum() + counted["trend_previous"].sum() > 0


def test_restricted_reports_of_others_add_only_as_groups(cell):
    with cell.app_context():
        session = get_session()
        gn = commune_figures_sql(session, parse_filter({}), "GN", load_communes(), k=K)
        douane = commune_figures_sql(session, parse_filter({}), "DOUANE", load_communes(), k=K)
        hidden = session.scalar(text("SELECT count(*) FROM report WHERE handling = 'restricted'"))
    seen_by_customs = sum(d.get("DOUANE", 0) for d in douane["by_agency"])
    told_to_gendarmes = sum(d.get("DOUANE", 0) for d in gn["by_agency"])
    assert hidden > 0 and told_to_gendarmes < seen_by_customs
    # Trends count only what the viewer sees.
    assert (
        gn["trend_recent"].sum() + gn["trend_previous"].sum()
        < douane["trend_recent"].sum() + douane["trend_previous"].sum()
    )


def test_the_api_answers_the_database_counts(cell):
    client = cell.test_client()
    answer = client.get("/api/communes?start=2025-01-01").get_json()
    with cell.app_context():
        figures = commune_figures_sql(
            get_session(), parse_filter({"start": "2025-01-01"}), "GN", load_communes(), k=cell.config["NEED_TO_KNOW_K"]
        )
    assert {c["insee"]: c["count"] for c in answer["communes"]} == figures["count"].to_dict()
    hours = client.get("/api/communes?start=2025-01-01&hours=0-11").get_json()
    assert sum(c["count"] for c in hours["communes"]) < sum(c["count"] for c in answer["communes"])
