"""The JSON API over the demo data."""

import gzip
from datetime import datetime, timedelta

import orjson
import pytest
from sqlalchemy import delete, func, select

from webmap.db import get_session
from webmap.db.models import Report

EMERGING = {"new", "consecutive", "intensifying"}


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.data[:300]
    return orjson.loads(response.data)


@pytest.fixture
def api(demo_app):
    return demo_app.test_client()


def db_count(app, *where):
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(Report).where(*where))


def test_reports_follow_the_filter(api, demo_app):
    everything = get_json(api, "/api/reports")["features"]
    assert len(everything) == db_count(demo_app)
    from datetime import datetime

    from webmap.db.models import PARIS

    since = datetime(2026, 6, 1, tzinfo=PARIS)
    some = get_json(api, "/api/reports?start=2026-06-01&agencies=GN,DOUANE")["features"]
    assert len(some) == db_count(demo_app, Report.observed_at >= since, Report.agency.in_(["GN", "DOUANE"]))
    assert {f["properties"]["agency"] for f in some} == {"GN", "DOUANE"}


@pytest.mark.parametrize("query", ["", "?start=2026-06-01&agencies=GN,DOUANE&min_grading=B3"])
def test_compact_reports_hold_what_the_geojson_holds(api, query):
    features = get_json(api, f"/api/reports{query}")["features"]
    compact = get_json(api, f"/api/reports{query}{'&' if query else '?'}format=compact")
    lookup = compact["lookup"]
    assert compact["count"] == len(features) > 0
    assert compact["id"] == [f["id"] for f in features]
    # Five decimals, where the GeoJSON has six: within half a unit of the fifth.
    for axis, key in ((0, "lon"), (1, "lat")):
        assert compact[key] == pytest.approx([f["geometry"]["coordinates"][axis] for f in features], abs=5.1e-6)
        assert all(round(value, 5) == value for value in compact[key])
    for key in ("agency", "category", "grading", "precision"):
        assert [lookup[key][code] for code in compact[key]] == [f["properties"][key] for f in features], key
    for key in ("insee", "place"):
        assert compact[key] == [f["properties"][key] for f in features], key
    times = [datetime.fromisoformat(f["properties"]["observed_at"]) for f in features]
    assert compact["observed_at"] == [int(t.timestamp()) for t in times]
    assert compact["utc_offset"] == [int(t.utcoffset().total_seconds() // 60) for t in times]
    assert set(compact["utc_offset"]) == {60, 120}  # winter and summer in Paris


def test_compact_reports_of_nothing(api):
    compact = get_json(api, "/api/reports?start=2999-01-01&format=compact")
    assert compact["count"] == 0 and compact["id"] == [] and compact["lookup"]["agency"] == []


def test_the_report_format_is_the_reports_own_parameter(api):
    assert get_json(api, "/api/reports?format=geojson")["type"] == "FeatureCollection"
    for path in ("/api/hotspots", "/api/communes"):
        assert get_json(api, f"{path}?format=compact", status=400)["parameter"] == "format"


def test_openapi_lists_the_report_formats(api):
    from webmap.api.serialize import REPORT_FORMATS

    parameters = get_json(api, "/api/openapi.json")["paths"]["/api/reports"]["get"]["parameters"]
    (fmt,) = [p for p in parameters if p["name"] == "format"]
    assert fmt["schema"]["enum"] == list(REPORT_FORMATS) == ["geojson", "compact"]


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("eps=abc", "eps"),
        ("eps=-5", "eps"),
        ("eps=nan", "eps"),
        ("min_samples=0", "min_samples"),
        ("time_eps=x", "time_eps"),
        ("start=2026-13-01", "start"),
        ("min_grading=Z9", "min_grading"),
        ("agencies=NOPE", "agencies"),
        ("bbox=1,2,3", "bbox"),
        ("colour=red", "colour"),
        ("format=csv", "format"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(api, query, parameter):
    for path in ("/api/reports", "/api/hotspots", "/api/communes"):
        answer = get_json(api, f"{path}?{query}", status=400)
        assert answer["parameter"] == parameter
        assert parameter in answer["error"]


def test_hotspots_are_summarised_and_keep_their_codes(api):
    first = get_json(api, "/api/hotspots")["features"]
    assert len(first) > 10
    for feature in first:
        p = feature["properties"]
        assert feature["geometry"]["type"] == "Polygon"
        assert sum(p["by_agency"].values()) == p["count"]
        assert p["n_agencies"] == len(p["by_agency"])
        assert p["convergent"] == (p["n_agencies"] >= 2)
        assert p["first_seen"] <= p["last_seen"]
    codes = [f["id"] for f in first]
    assert len(set(codes)) == len(codes)
    # A different radius makes a new run: the same places keep their names.
    wider = get_json(api, "/api/hotspots?eps=260")["features"]
    assert len({f["id"] for f in wider} & set(codes)) >= 0.8 * len(codes)


def test_hotspot_detail_lists_members_and_weekly_history(api):
    feature = get_json(api, "/api/hotspots")["features"][0]
    detail = get_json(api, f"/api/hotspots/{feature['id']}")
    p = detail["properties"]
    assert len(p["reports"]) == p["count"] == feature["properties"]["count"]
    assert sum(w["count"] for w in p["weekly"]) == p["count"]
    get_json(api, "/api/hotspots/H-9999", status=404)


def planted_hotspots(api, demo_app, demo_truth, query=""):
    """(kind, status) of the hotspot holding each planted place that DBSCAN
    can find: those with at least two cores' worth of reports in the period."""
    features = get_json(api, f"/api/hotspots?{query}")["features"]
    with demo_app.app_context():
        ids = dict(get_session().execute(select(Report.agency_ref, Report.id)).all())
    detail = {
        f["id"]: get_json(api, f"/api/hotspots/{f['id']}?{query}")["properties"]
        for f in features
        if f["properties"]["period_count"] >= 5
    }
    members = {code: {r["id"] for r in d["reports"]} for code, d in detail.items()}
    in_period = {f["id"] for f in get_json(api, f"/api/reports?{query}")["features"]}
    found = {}
    for planted in demo_truth["hotspots"]:
        reports = {ids[ref] for ref in planted["agency_refs"]} & in_period
        if len(reports) < 10:
            continue
        code = max(members, key=lambda c: len(members[c] & reports))
        # Recall: the hotspot holds most of the planted reports.
        assert len(members[code] & reports) >= 0.9 * len(reports), planted["id"]
        found[planted["id"]] = (planted["kind"], detail[code]["status"])
    return found


def test_planted_hotspots_are_found(api, demo_app, demo_truth):
    assert planted_hotspots(api, demo_app, demo_truth)


# Over the whole history a place new in the last weeks is part of its town's
# cluster; the analyst asking "what is new?" looks at "90 jours", where each
# hotspot's status is still told from its whole history.
def test_planted_emerging_hotspots_are_named_for_their_trend(api, demo_app, demo_truth):
    end = datetime.fromisoformat(demo_truth["end"])
    found = planted_hotspots(api, demo_app, demo_truth, f"start={(end - timedelta(days=89)).date()}")
    emerging = [status for kind, status in found.values() if kind == "emerging"]
    assert emerging and all(status in EMERGING for status in emerging), found


def test_communes_list_every_commune_with_rates(api, demo_app):
    communes = get_json(api, "/api/communes")["communes"]
    assert len(communes) == 506
    assert sum(c["count"] for c in communes) == db_count(demo_app)
    epinal = next(c for c in communes if c["insee"] == "88160")
    assert epinal["rate_per_1000"] == pytest.approx(1000 * epinal["count"] / epinal["population"], abs=1e-3)
    assert sum(epinal["by_agency"].values()) == epinal["count"]


def test_cache_is_dropped_when_reports_change(app, runner):
    assert runner.invoke(args=["demo", "--years", "1", "--seed", "5"]).exit_code == 0
    client = app.test_client()
    before = len(get_json(client, "/api/reports")["features"])
    with app.app_context():
        session = get_session()
        session.execute(delete(Report).where(Report.id == 1))
        session.commit()
    assert len(get_json(client, "/api/reports")["features"]) == before - 1


def test_large_answers_are_gzipped(api):
    response = api.get("/api/reports", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert orjson.loads(gzip.decompress(response.data))["type"] == "FeatureCollection"


def test_openapi_describes_every_endpoint(api):
    document = get_json(api, "/api/openapi.json")
    assert set(document["paths"]) == {
        "/api/reports",
        "/api/reports/table",
        "/api/hotspots",
        "/api/hotspots/{code}",
        "/api/emerging",
        "/api/communes",
        "/api/backtest",
    }
    names = {p["name"] for p in document["paths"]["/api/hotspots"]["get"]["parameters"]}
    assert {"start", "end", "agencies", "eps", "min_samples", "time_eps", "bbox", "beyond_expected"} <= names


def test_emerging_cells_carry_a_category(api):
    cells = get_json(api, "/api/emerging")["cells"]
    assert cells
    hot = {
        "new",
        "consecutive",
        "intensifying",
        "persistent",
        "diminishing",
        "sporadic",
        "oscillating",
        "historical",
    }
    assert {c["category"] for c in cells} <= hot | {f"{k}_cold" for k in hot}


def test_weighted_clustering_follows_the_grading_table(app):
    from analysis.demo import generate_reports
    from geo.reference import load_communes
    from webmap.services.store import add_demo_batch

    reports, _ = generate_reports(load_communes(), seed=9, years=1)
    # Five reports at one spot, all graded F6: a hotspot when every report
    # counts 1, none when F6 weighs 0.2.
    spot = reports.head(5).copy()
    spot[["x_l93", "y_l93", "lon", "lat"]] = [900000.0, 6800000.0, 6.0, 48.2]
    spot[["reliability", "credibility", "precision"]] = ["F", 6, "point"]
    spot["agency_ref"] = [f"W-{i}" for i in range(5)]
    with app.app_context():
        session = get_session()
        add_demo_batch(session, spot)
        session.commit()
    client = app.test_client()
    plain = get_json(client, "/api/hotspots")["features"]
    weighted = get_json(client, "/api/hotspots?weighted=true")["features"]
    assert len(plain) == 1 and plain[0]["properties"]["count"] == 5
    assert weighted == []
    app.config["GRADING_WEIGHTS"] = {
        "reliability": dict.fromkeys("ABCDEF", 1.0),
        "credibility": dict.fromkeys("123456", 1.0),
    }
    # Another radius: runs are kept per question, and settings do not change
    # under a running server.
    assert len(get_json(client, "/api/hotspots?weighted=1&eps=251")["features"]) == 1
    assert get_json(client, "/api/hotspots?weighted=peut-etre", status=400)["parameter"] == "weighted"


def test_emerging_cells_name_the_commune_containing_them(api):
    import shapely

    from geo.reference import load_communes

    cells = get_json(api, "/api/emerging")["cells"]
    assert cells
    communes = load_communes()
    for cell in cells[:40]:
        inside = communes[shapely.intersects_xy(communes.geometry.values, cell["lon"], cell["lat"])]
        assert cell["insee"] in inside["insee"].tolist(), cell
        assert cell["commune"] == communes.set_index("insee").loc[cell["insee"], "name"]


def test_weekday_and_hour_filters_keep_paris_days_and_hours(api):
    from webmap.db.models import PARIS

    everything = get_json(api, "/api/reports")["features"]
    local = [datetime.fromisoformat(f["properties"]["observed_at"]).astimezone(PARIS) for f in everything]
    expected = sum(1 for t in local if t.weekday() in (4, 5) and (t.hour >= 22 or t.hour <= 3))
    some = get_json(api, "/api/reports?weekdays=4,5&hours=22-3")["features"]
    assert 0 < len(some) == expected < len(everything)
    hotspots = get_json(api, "/api/hotspots?weekdays=4,5&hours=22-3")["features"]
    assert sum(f["properties"]["count"] for f in hotspots) <= expected
    error = get_json(api, "/api/reports?hours=18-25", status=400)
    assert error["parameter"] == "hours"


def test_over_ninety_days_planted_places_keep_their_kind(api, demo_app, demo_truth):
    # What a commander asks ("where do we act this month?"): over 90 days
    # the town's background is thin, each planted place is its own
    # hotspot, and its status comes from its whole history (#11).
    end = datetime.fromisoformat(demo_truth["end"]).date()
    query = f"start={end - timedelta(days=89)}&end={end}"
    features = get_json(api, f"/api/hotspots?{query}")["features"]
    with demo_app.app_context():
        ids = dict(get_session().execute(select(Report.agency_ref, Report.id)).all())
    members = {
        f["id"]: {r["id"] for r in get_json(api, f"/api/hotspots/{f['id']}?{query}")["properties"]["reports"]}
        for f in features
        if not f["properties"]["dormant"] and f["properties"]["count"] >= 5
    }
    status = {f["id"]: f["properties"]["status"] for f in features}
    found = []
    for planted in demo_truth["hotspots"]:
        recent = {ids[ref] for ref in planted["agency_refs"]} & set().union(*members.values())
        if planted["kind"] != "emerging" or len(recent) < 10:
            continue
        code = max(members, key=lambda c: len(members[c] & recent))
        found.append(status[code])
    assert found and all(s in EMERGING for s in found), found
