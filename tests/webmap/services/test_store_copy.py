"""On PostgreSQL, the report frames read through COPY (store.frame_from) are
those the driver's rows give, value for value and type for type."""

import json

import pandas as pd
import pytest

from tests import databases
from webmap.db import get_session
from webmap.security.need_to_know import WITHHELD_COLUMNS
from webmap.services import store
from webmap.services.filters import parse_filter, select_reports
from webmap.services.store import ANALYSIS_COLUMNS

pytestmark = pytest.mark.skipif(not databases.ON_POSTGRES, reason="COPY is PostgreSQL's")

TRIANGLE = json.dumps(
    {"type": "Polygon", "coordinates": [[[6.38, 48.12], [6.52, 48.13], [6.45, 48.23], [6.38, 48.12]]]}
)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"start": "2025-01-01", "agencies": "GN,PJ", "substances": "cannabis_resin,cocaine"},
        {"bbox": "6.3,48.05,6.6,48.3", "min_grading": "C3", "categories": "deal_point"},
        {"zone": TRIANGLE, "hours": "22-3"},
        {"start": "2040-01-01"},
    ],
)
@pytest.mark.parametrize("columns", [ANALYSIS_COLUMNS, WITHHELD_COLUMNS])
def test_copy_reads_what_the_driver_reads(demo_app, monkeypatch, params, columns):
    report_filter = parse_filter(params)
    with demo_app.app_context():
        copied = select_reports(get_session(), report_filter, columns)
        monkeypatch.setattr(store, "_CSV_TYPES", {})  # no column by COPY: the driver's rows
        fetched = select_reports(get_session(), report_filter, columns)
    # An empty answer has no values to type: the driver's columns are then
    # of object type, COPY's typed; both are empty.
    pd.testing.assert_frame_equal(copied, fetched, check_dtype=len(fetched) > 0, check_index_type=len(fetched) > 0)
    assert len(copied) > 0 or params.get("start") == "2040-01-01"
