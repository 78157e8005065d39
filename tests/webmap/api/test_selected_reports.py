"""The API's reports filtered in memory (up to FRAME_IN_MEMORY_MAX) are
the rows the database selects, for every criterion of the filter."""

import json

import pandas as pd
import pytest

from tests.apps import make_app
from webmap.api.base import selected_reports
from webmap.db import get_session
from webmap.security.need_to_know import WITHHELD_COLUMNS
from webmap.services.filters import parse_filter, select_reports
from webmap.services.store import ANALYSIS_COLUMNS, FRAME_COLUMNS

TRIANGLE = json.dumps(
    {"type": "Polygon", "coordinates": [[[6.38, 48.12], [6.52, 48.13], [6.45, 48.23], [6.38, 48.12]]]}
)
FILTERS = [
    {},
    {"start": "2025-01-01", "end": "2025-06-30", "agencies": "GN,PJ"},
    {"substances": "cannabis_resin,cocaine", "min_grading": "C3", "categories": "deal_point,seizure"},
    {"bbox": "6.3,48.05,6.6,48.3", "weekdays": "4,5", "hours": "22-3"},
    {"zone": TRIANGLE, "end": "2025-12-31"},
    {"start": "2040-01-01"},
]


@pytest.mark.parametrize("params", FILTERS)
@pytest.mark.parametrize("columns", [ANALYSIS_COLUMNS, FRAME_COLUMNS])
def test_in_memory_filtering_selects_what_the_database_selects(demo_app, params, columns):
    report_filter = parse_filter(params)
    with demo_app.app_context():
        kept = selected_reports(report_filter, columns)
        selected = select_reports(get_session(), report_filter, columns)
    assert len(kept) > 0 or params.get("start") == "2040-01-01"
    pd.testing.assert_frame_equal(kept, selected, check_dtype=len(selected) > 0, check_index_type=len(selected) > 0)


def test_above_the_limit_the_database_filters(demo_instance, monkeypatch):
    app = make_app(demo_instance, monkeypatch, FRAME_IN_MEMORY_MAX=10)
    report_filter = parse_filter({"start": "2025-01-01"})
    with app.app_context():
        kept = selected_reports(report_filter, WITHHELD_COLUMNS)
        selected = select_reports(get_session(), report_filter, WITHHELD_COLUMNS)
    pd.testing.assert_frame_equal(kept, selected)
