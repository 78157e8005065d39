"""The table of reports, ``/api/reports/table``: the filter's reports,
narrowed by a selection, sorted and paged on the server; its export is the
same selection."""

import csv
import io
from datetime import datetime

import orjson
import pytest

from webmap.db.models import PARIS


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.data[:300]
    return orjson.loads(response.data)


@pytest.fixture
def api(demo_app):
    return demo_app.test_client()


def test_pages_cover_the_filter_latest_first(api):
    query = "start=2026-09-01&end=2026-11-30&agencies=GN,DOUANE"
    everything = get_json(api, f"/api/reports?{query}")["features"]
    first = get_json(api, f"/api/reports/table?{query}&page_size=100")
    assert first["total"] == len(everything) > 100
    assert first["pages"] == -(-len(everything) // 100)
    times = [datetime.fromisoformat(row["observed_at"]) for row in first["rows"]]
    assert times == sorted(times, reverse=True)
    assert max(times) == max(datetime.fromisoformat(f["properties"]["observed_at"]) for f in everything)
    second = get_json(api, f"/api/reports/table?{query}&page_size=100&page=2")
    assert not {r["id"] for r in first["rows"]} & {r["id"] for r in second["rows"]}
    assert datetime.fromisoformat(second["rows"][0]["observed_at"]) <= times[-1]
    # Weekdays and hours are filters of the table as of the map.
    friday_nights = get_json(api, f"/api/reports/table?{query}&weekdays=4&hours=20-23")
    assert 0 < friday_nights["total"] < first["total"]
    for row in friday_nights["rows"]:
        local = datetime.fromisoformat(row["observed_at"]).astimezone(PARIS)
        assert local.weekday() == 4 and 20 <= local.hour <= 23


@pytest.mark.parametrize("column", ["commune", "agency", "grading", "place"])
def test_any_column_sorts_both_ways(api, column):
    key = {"commune": "commune", "agency": "agency", "grading": "grading", "place": "place"}[column]
    up = get_json(api, f"/api/reports/table?start=2026-11-01&sort={column}&page_size=500")["rows"]
    down = get_json(api, f"/api/reports/table?start=2026-11-01&sort=-{column}&page_size=500")["rows"]
    from webmap.services.report_table import fold

    values = [fold(row[key] or "") if column in ("commune", "place") else row[key] for row in up]
    assert values == sorted(values)
    assert values[0] != values[-1]
    assert (fold(down[0][key] or "") if column in ("commune", "place") else down[0][key]) == values[-1]


def test_selecting_a_commune_a_hotspot_or_text_narrows_the_table(api):
    epinal = get_json(api, "/api/reports/table?insee=88160&page_size=500")
    assert epinal["total"] > 0 and {r["commune"] for r in epinal["rows"]} == {"Épinal"}
    spot = max(get_json(api, "/api/hotspots")["features"], key=lambda f: f["properties"]["count"])
    members = get_json(api, f"/api/reports/table?hotspot={spot['id']}&page_size=500")
    card = get_json(api, f"/api/hotspots/{spot['id']}")
    listed = {f["id"] for f in card["properties"]["reports"]}
    assert members["total"] == len(listed)
    assert {r["id"] for r in members["rows"]} <= listed
    ref = epinal["rows"][0]["agency_ref"]
    found = get_json(api, f"/api/reports/table?ref={ref.lower()}")
    assert ref in [r["agency_ref"] for r in found["rows"]]
    assert get_json(api, "/api/reports/table?hotspot=NOPE", status=400)["parameter"] == "hotspot"
    assert get_json(api, "/api/reports/table?sort=summary", status=400)["parameter"] == "sort"


def test_the_export_of_the_table_is_the_table(api):
    query = "start=2026-06-01&insee=88160&agencies=GN,PN-SP"
    table = get_json(api, f"/api/reports/table?{query}&page_size=500")
    body = api.get(f"/signalements/export/fichier?format=csv&{query}").data.decode("utf-8-sig")
    lines = [line for line in body.splitlines() if line and not line.startswith(("#", "DIFFUSION"))]
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=";"))
    assert len(rows) - 1 == table["total"] > 0
