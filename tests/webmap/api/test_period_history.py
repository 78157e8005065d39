"""The commune card's trend and the emerging cells look at the whole
history up to the end of the period, not only at the period on screen."""

from datetime import datetime, time, timedelta

import orjson
import pytest
from sqlalchemy import func, select

from webmap.db import get_session
from webmap.db.models import PARIS, Report


def get_json(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.data[:300]
    return orjson.loads(response.data)


@pytest.fixture
def api(demo_app):
    return demo_app.test_client()


def latest_day(app):
    with app.app_context():
        latest = get_session().scalar(select(func.max(Report.observed_at)))
    return latest.astimezone(PARIS).date()


def count(app, insee, first_day, last_day):
    start = datetime.combine(first_day, time(), tzinfo=PARIS)
    stop = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=PARIS)
    with app.app_context():
        return get_session().scalar(
            select(func.count())
            .select_from(Report)
            .where(Report.insee == insee, Report.observed_at >= start, Report.observed_at < stop)
        )


def test_commune_trend_reads_the_weeks_before_a_short_period(api, demo_app):
    end = latest_day(demo_app)
    start = end - timedelta(days=89)  # "90 jours"
    short = {c["insee"]: c for c in get_json(api, f"/api/communes?start={start}")["communes"]}
    whole = {c["insee"]: c for c in get_json(api, "/api/communes")["communes"]}
    epinal = short["88160"]
    # The 13 weeks before the period are outside it, yet counted.
    assert epinal["trend"] == {
        "recent": count(demo_app, "88160", end - timedelta(days=90), end),
        "previous": count(demo_app, "88160", end - timedelta(days=181), end - timedelta(days=91)),
    }
    assert epinal["trend"]["previous"] > 0
    assert epinal["count"] < whole["88160"]["count"]
    assert all(short[code]["trend"] == whole[code]["trend"] for code in whole)


def test_commune_trend_ends_with_the_period(api, demo_app):
    end = latest_day(demo_app) - timedelta(days=200)
    communes = {c["insee"]: c for c in get_json(api, f"/api/communes?end={end}")["communes"]}
    assert communes["88160"]["trend"]["recent"] == count(demo_app, "88160", end - timedelta(days=90), end)


def test_emerging_cells_do_not_depend_on_the_first_day_shown(api, demo_app):
    whole = {(c["lon"], c["lat"]): c["category"] for c in get_json(api, "/api/emerging")["cells"]}
    assert whole, "the demo data should show emerging cells"
    start = latest_day(demo_app) - timedelta(days=29)  # "30 jours"
    short = {(c["lon"], c["lat"]): c["category"] for c in get_json(api, f"/api/emerging?start={start}")["cells"]}
    # Judged against the same history, shown only where the period has
    # reports: a subset of the same cells with the same categories.
    assert short and short.items() <= whole.items()
