"""/api/hotspots over "90 jours" tells each hotspot from its whole history:
the county of ``tests/places.py`` laid on the Vosges."""

from datetime import timedelta

import numpy as np
import orjson
import pytest

from geo.crs import to_lambert93
from tests.places import C_START, END, VOSGES_ORIGIN, A, B, C, county, load_county

ORIGIN = VOSGES_ORIGIN
NINETY_DAYS = f"start={(END - timedelta(days=89)).isoformat()}&end={END.isoformat()}"


@pytest.fixture(scope="module")
def places():
    return county(ORIGIN)


@pytest.fixture
def client(app):
    load_county(app, ORIGIN)
    return app.test_client()


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.data
    return orjson.loads(response.data)


def _nearest(features, place):
    """The feature whose centroid is nearest the place's centre."""
    x, y = place[0] + ORIGIN[0], place[1] + ORIGIN[1]

    def distance(feature):
        fx, fy = to_lambert93(*feature["properties"]["centroid"])
        return np.hypot(fx - x, fy - y)

    best = min(features, key=distance)
    assert distance(best) < 100
    return best["properties"]


def test_ninety_days_show_each_place_as_its_history_tells(client, places):
    features = _get(client, f"/api/hotspots?{NINETY_DAYS}")["features"]
    a, b, c = (_nearest(features, place) for place in (A, B, C))

    first_a = places.loc[places["place"] == "A", "observed_at"].min()
    assert a["status"] == "persistent" and not a["dormant"]
    assert a["first_seen"] == first_a.isoformat()
    # The period's own count stays the period's.
    in_period = places["observed_at"].dt.date >= END - timedelta(days=89)
    assert a["period_count"] == int(((places["place"] == "A") & in_period).sum())
    assert a["history_count"] > a["period_count"]

    last_b = places.loc[places["place"] == "B", "observed_at"].max()
    assert b["status"] == "dormant" and b["dormant"] and b["period_count"] == 0
    assert b["last_seen"] == last_b.isoformat()

    assert c["status"] in {"new", "consecutive", "intensifying"}
    assert c["first_seen"] >= C_START.isoformat()


def test_the_backtest_sentence_is_served(client):
    answer = _get(client, f"/api/backtest?{NINETY_DAYS}")
    assert answer["windows"] >= 1
    assert answer["sentence"].startswith("Les points chauds des 12 dernières semaines ont capté")
    assert 0 < answer["hit_rate_dbscan"] <= 1 and 0 < answer["area_share"] < answer["hit_rate_dbscan"]


def test_beyond_expected_keeps_the_places_their_commune_does_not_explain(client):
    every = _get(client, f"/api/hotspots?{NINETY_DAYS}")["features"]
    kept = _get(client, f"/api/hotspots?{NINETY_DAYS}&beyond_expected=true")["features"]
    assert all(f["properties"]["beyond_expected"] in (True, None) for f in kept)
    assert {f["properties"]["code"] for f in kept} <= {f["properties"]["code"] for f in every}
    # A and C, dense in a thin background, are in excess; the dormant B
    # stays listed.
    assert {_nearest(kept, place)["code"] for place in (A, B, C)} == {
        _nearest(every, place)["code"] for place in (A, B, C)
    }


def test_a_dormant_place_opens_its_card_with_its_history(client, places):
    features = _get(client, f"/api/hotspots?{NINETY_DAYS}")["features"]
    b = _nearest(features, B)
    card = _get(client, f"/api/hotspots/{b['code']}?{NINETY_DAYS}")["properties"]
    assert card["dormant"] and card["status"] == "dormant"
    assert len(card["reports"]) == b["count"] > 0
    assert sum(week["count"] for week in card["weekly"]) == b["count"]
