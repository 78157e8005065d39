"""The table's pages computed by the database (``page_from_database``) are
the pages computed from every report in memory (``select_rows`` and
``table_page``, the path a hotspot's selection and the export take): same
rows, same order, same totals, need-to-know included, on SQLite and on
PostgreSQL (``make test-postgres``)."""

import json
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from shapely.geometry import box
from sqlalchemy import update

from analysis.calendar import PARIS
from analysis.demo import generate_reports
from geo.reference import load_communes
from tests.apps import make_app
from webmap.db import get_session
from webmap.db.models import Report
from webmap.security.need_to_know import visible_reports
from webmap.services.filters import parse_filter, select_reports
from webmap.services.hotspots import communes_l93
from webmap.services.report_table import page_from_database, parse_table_request, select_rows, table_page
from webmap.services.store import add_demo_batch, reports_frame

# Épinal and around, a shape the bbox alone does not describe.
TRIANGLE = {"type": "Polygon", "coordinates": [[[6.35, 48.10], [6.60, 48.10], [6.45, 48.30], [6.35, 48.10]]]}


@pytest.fixture(scope="module")
def table_app(tmp_path_factory):
    """Two years of generated reports, some restricted to their agency."""
    instance = tmp_path_factory.mktemp("table") / "instance"
    with pytest.MonkeyPatch.context() as monkeypatch:
        app = make_app(instance, monkeypatch)
        with app.app_context():
            session = get_session()
            end = datetime(2026, 11, 30, 12, 0, tzinfo=PARIS)
            reports, _ = generate_reports(load_communes(), seed=5, years=2, end=end)
            # Reports around the change to summer time (29/03/2026 at 01:00
            # UTC, 02:00 Paris becomes 03:00), where the Paris hour is easy
            # to get wrong in SQL: 00:10 to 02:30 UTC.
            dst = reports.head(8).copy()
            start = datetime(2026, 3, 29, 0, 10, tzinfo=timezone.utc)
            dst["agency_ref"] += "-DST"
            dst["observed_at"] = [(start + timedelta(minutes=20 * i)).astimezone(PARIS) for i in range(8)]
            # Reports at the same minute, the latest: pages break ties by id.
            same = reports.tail(12).copy()
            same["agency_ref"] += "-SAME"
            same["observed_at"] = datetime(2026, 11, 30, 11, 0, tzinfo=PARIS)
            add_demo_batch(session, pd.concat([reports, dst, same], ignore_index=True))
            table = Report.__table__
            for agency, every in (("DOUANE", 3), ("GN", 7)):
                session.execute(
                    update(table).where(table.c.agency == agency, table.c.id % every == 0).values(handling="restricted")
                )
            session.commit()
        yield app


CASES = [
    # (filter, table parameters, viewer's agency)
    ({}, {}, None),
    ({}, {"page": "3", "page_size": "37"}, "GN"),
    ({"start": "2026-06-01", "end": "2026-09-30", "agencies": "GN,DOUANE"}, {"sort": "agency"}, "GN"),
    ({}, {"sort": "-commune", "page": "2", "page_size": "100"}, "DOUANE"),
    ({"weekdays": "4,5,6", "hours": "22-3"}, {"sort": "grading", "page": "2"}, "GN"),
    ({"hours": "2-3", "start": "2026-03-28", "end": "2026-03-30"}, {"sort": "observed_at"}, "GN"),
    ({"categories": "deal_point,seizure", "min_grading": "C3"}, {"sort": "-place", "page": "2"}, "PJ"),
    ({"substances": "cannabis_resin,cocaine"}, {"sort": "-category", "page_size": "500"}, "DOUANE"),
    ({"bbox": "6.3,48.0,6.7,48.4"}, {"sort": "precision"}, "DOUANE"),
    ({"zone": TRIANGLE}, {"sort": "id", "page": "2", "page_size": "20"}, "GN"),
    ({}, {"zone_id": "1", "sort": "-agency_ref"}, "GN"),
    ({}, {"ref": "douane", "place": "rue"}, "GN"),
    ({}, {"insee": "88160", "sort": "agency_ref", "page_size": "20"}, "DOUANE"),
    ({"start": "2026-11-01"}, {"page": "999"}, "PAF"),
]


@pytest.mark.parametrize(("filter_params", "table_params", "agency"), CASES)
def test_the_database_pages_are_the_in_memory_pages(table_app, filter_params, table_params, agency):
    params = {**filter_params, **({"zone": json.dumps(filter_params["zone"])} if "zone" in filter_params else {})}
    report_filter = parse_filter(params)
    request = parse_table_request(table_params)
    zone = parse_filter({"zone": json.dumps(TRIANGLE)}).zone if request.zone_id else None
    names = dict(zip(communes_l93()["insee"], communes_l93()["name"]))
    with table_app.app_context():
        session = get_session()
        visible = visible_reports(select_reports(session, report_filter), agency)
        expected = table_page(select_rows(visible, request, zone=zone), request, commune_names=names)
        answer = page_from_database(session, report_filter, request, agency=agency, zone=zone, commune_names=names)
    assert answer == expected
    assert answer["rows"] or answer["page"] == answer["pages"] > 1


def test_other_agencies_restricted_reports_stay_out_of_the_pages(table_app):
    names = dict(zip(communes_l93()["insee"], communes_l93()["name"]))
    with table_app.app_context():
        session = get_session()
        every = reports_frame(session)
        withheld = every[(every["handling"] == "restricted") & (every["agency"] != "GN")]
        own = every[(every["handling"] == "restricted") & (every["agency"] == "GN")]
        seen = set()
        request = parse_table_request({"page_size": "500"})
        first = page_from_database(session, parse_filter({}), request, agency="GN", commune_names=names)
        for page in range(1, first["pages"] + 1):
            request = parse_table_request({"page_size": "500", "page": str(page)})
            answer = page_from_database(session, parse_filter({}), request, agency="GN", commune_names=names)
            seen |= {row["id"] for row in answer["rows"]}
    assert len(withheld) > 0 and len(own) > 0
    assert first["total"] == len(every) - len(withheld) == len(seen)
    assert not seen & set(withheld["id"]) and set(own["id"]) <= seen


def test_the_dst_reports_are_filtered_by_their_paris_hour(table_app):
    # Of the reports at 00:10 ... 02:30 UTC that night, those after 01:00
    # UTC are at 03:10 ... 04:30 in Paris, the first three at 01:xx.
    names = dict(zip(communes_l93()["insee"], communes_l93()["name"]))
    report_filter = parse_filter({"start": "2026-03-29", "end": "2026-03-29", "hours": "3-3"})
    with table_app.app_context():
        answer = page_from_database(
            get_session(), report_filter, parse_table_request({}), agency=None, commune_names=names
        )
    hours = {datetime.fromisoformat(row["observed_at"]).astimezone(PARIS).hour for row in answer["rows"]}
    assert answer["total"] > 0 and hours == {3}


def test_a_box_around_a_zone_is_not_the_zone(table_app):
    # The zone case above would pass if the polygon were ignored for its box.
    names = dict(zip(communes_l93()["insee"], communes_l93()["name"]))
    triangle = parse_filter({"zone": json.dumps(TRIANGLE)})
    around = parse_filter({"bbox": ",".join(str(v) for v in box(*triangle.zone.bounds).bounds)})
    with table_app.app_context():
        session = get_session()
        inside = page_from_database(session, triangle, parse_table_request({}), agency=None, commune_names=names)
        boxed = page_from_database(session, around, parse_table_request({}), agency=None, commune_names=names)
    assert 0 < inside["total"] < boxed["total"]
