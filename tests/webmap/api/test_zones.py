"""Operation zones: the domain (areas in Lambert-93, contents) and the JSON
API under /api/zones (create, list, update, delete, export, contents)."""

import json
import math

import pandas as pd
import pytest
from shapely.geometry import Polygon, shape

from geo.crs import to_lambert93, to_wgs84
from geo.reference import load_communes
from webmap.services import zones
from webmap.services.zones import ZoneError

# A 2 km x 1 km rectangle in Lambert-93 around Épinal, as the page would send it.
X0, Y0 = 963_000.0, 6_787_000.0


def lambert_rectangle(width, height, x0=X0, y0=Y0):
    xs = [x0, x0 + width, x0 + width, x0, x0]
    ys = [y0, y0, y0 + height, y0 + height, y0]
    lon, lat = to_wgs84(xs, ys)
    return Polygon(zip(lon, lat))


def test_area_is_measured_on_the_ground_in_lambert93():
    assert zones.area_km2(lambert_rectangle(2000, 1000)) == pytest.approx(2.0, rel=1e-6)


def test_circle_polygon_has_the_radius_on_the_ground():
    lon, lat = to_wgs84(X0, Y0)
    circle = zones.circle_polygon((float(lon), float(lat)), 500)
    assert zones.area_km2(circle) == pytest.approx(math.pi * 0.25, rel=0.01)
    xs, ys = to_lambert93(*zip(*circle.exterior.coords))
    distances = [math.hypot(x - X0, y - Y0) for x, y in zip(xs, ys)]
    assert min(distances) == pytest.approx(500, abs=1) and max(distances) == pytest.approx(500, abs=1)


@pytest.mark.parametrize(
    "body, message",
    [
        (None, "objet JSON"),
        ({"geometry": {"type": "Polygon", "coordinates": [[[6, 48], [6.1, 48], [6.1, 48.1], [6, 48]]]}}, "nom"),
        ({"name": "x" * 121, "geometry": None}, "trop long"),
        ({"name": "A", "shape": "star"}, "forme inconnue"),
        ({"name": "A", "geometry": {"type": "Point", "coordinates": [6, 48]}}, "Point"),
        (
            {
                "name": "A",
                "geometry": {"type": "Polygon", "coordinates": [[[6, 48], [6.1, 48.1], [6.1, 48], [6, 48.1], [6, 48]]]},
            },
            "recoupe",
        ),
        (
            {
                "name": "A",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[960000, 6780000], [961000, 6780000], [961000, 6781000], [960000, 6780000]]],
                },
            },
            "WGS84",
        ),
        ({"name": "A", "shape": "circle", "center": [6.45, 48.17], "radius_m": 0}, "rayon"),
        ({"name": "A", "shape": "circle", "center": [6.45, 48.17], "radius_m": 60_000}, "rayon"),
        ({"name": "A", "shape": "circle", "center": "here", "radius_m": 100}, "cercle invalide"),
    ],
)
def test_bad_zones_are_refused_with_a_reason(body, message):
    with pytest.raises(ZoneError, match=message):
        zones.parse_zone(body)


def test_contents_count_reports_inside_by_agency_and_category():
    zone = lambert_rectangle(2000, 1000)
    inside_lon, inside_lat = to_wgs84([X0 + 500, X0 + 1500, X0 + 1000], [Y0 + 500, Y0 + 200, Y0 + 900])
    outside_lon, outside_lat = to_wgs84([X0 - 500, X0 + 3000], [Y0 + 500, Y0 + 500])
    reports = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "lon": [*inside_lon, *outside_lon],
            "lat": [*inside_lat, *outside_lat],
            "agency": ["GN", "GN", "DOUANE", "GN", "PJ"],
            "category": ["seizure", "tip", "seizure", "tip", "tip"],
        }
    )
    before = reports.copy()
    result = zones.zone_contents(zone, reports, [], load_communes())
    assert result["count"] == 3
    assert result["report_ids"] == [1, 2, 3]
    assert result["by_agency"] == {"GN": 2, "DOUANE": 1}
    assert result["by_category"] == {"seizure": 2, "tip": 1}
    assert result["area_km2"] == pytest.approx(2.0, rel=1e-3)
    assert result["communes"] and all(c["insee"].startswith("88") for c in result["communes"])
    pd.testing.assert_frame_equal(reports, before)


def post(client, body):
    return client.post("/api/zones", json=body, headers={"X-CSRFToken": csrf_token(client)})


def csrf_token(client):
    page = client.get("/").get_data(as_text=True)
    return page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def test_zone_lifecycle_through_the_api(demo_app):
    client = demo_app.test_client()
    polygon = lambert_rectangle(3000, 2000)
    created = post(client, {"name": "Opération Gare", "shape": "rectangle", "geometry": polygon.__geo_interface__})
    assert created.status_code == 201, created.get_data(as_text=True)
    zone = created.get_json()
    assert zone["properties"]["name"] == "Opération Gare"
    assert zone["properties"]["area_km2"] == pytest.approx(6.0, rel=1e-3)
    assert zone["properties"]["created_by"] == "test-admin"

    # The card's count is the server-side count of reports in that polygon.
    contents = client.get(f"/api/zones/{zone['id']}/contents").get_json()
    inside = client.get("/api/reports", query_string={"zone": json.dumps(zone["geometry"])}).get_json()["features"]
    assert contents["count"] == len(inside) > 0
    assert sum(contents["by_agency"].values()) == contents["count"]
    assert {c["insee"] for c in contents["communes"]} <= {c.insee for c in load_communes().itertuples()}
    # ...under the page's filter too.
    filtered = client.get(f"/api/zones/{zone['id']}/contents", query_string={"agencies": "GN"}).get_json()
    assert filtered["count"] == sum(f["properties"]["agency"] == "GN" for f in inside)

    token = csrf_token(client)
    lon, lat = to_wgs84(X0, Y0)
    updated = client.put(
        f"/api/zones/{zone['id']}",
        headers={"X-CSRFToken": token},
        json={"name": "Opération Gare bis", "shape": "circle", "center": [float(lon), float(lat)], "radius_m": 800},
    )
    assert updated.status_code == 200
    props = updated.get_json()["properties"]
    assert (props["name"], props["shape"], props["radius_m"]) == ("Opération Gare bis", "circle", 800)
    assert props["area_km2"] == pytest.approx(math.pi * 0.64, rel=0.01)

    export = client.get("/api/zones/export.geojson")
    assert "attachment" in export.headers["Content-Disposition"]
    features = json.loads(export.get_data())["features"]
    # (The demo database is shared by the session: other zones may exist.)
    mine = [f for f in features if f["id"] == zone["id"]]
    assert [f["properties"]["name"] for f in mine] == ["Opération Gare bis"]
    assert shape(mine[0]["geometry"]).geom_type == "Polygon"

    assert client.delete(f"/api/zones/{zone['id']}", headers={"X-CSRFToken": token}).status_code == 204
    assert zone["id"] not in [f["id"] for f in client.get("/api/zones").get_json()["features"]]
    assert client.get(f"/api/zones/{zone['id']}/contents").status_code == 404


def test_zone_changes_need_the_csrf_token(client):
    polygon = lambert_rectangle(1000, 1000)
    response = client.post("/api/zones", json={"name": "Sans jeton", "geometry": polygon.__geo_interface__})
    assert response.status_code == 400
    assert client.get("/api/zones").get_json()["features"] == []


def test_bad_zone_gets_a_french_reason(client):
    response = post(client, {"name": "", "geometry": None})
    assert response.status_code == 400
    assert "nom de la zone manquant" in response.get_json()["error"]
