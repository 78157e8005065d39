"""Need-to-know: a report an agency restricted to itself never shows its
details, position or text to another agency's users, on any route, and
adds nothing to what they see where it could be told apart: not to
hotspots, zones, boxes or snapshots; to commune counts only in groups of k
(tests/webmap/security/test_inference.py carries the attacks)."""

import json
import re

import pytest

from tests.apps import make_app
from tests.signin import add_user

# Six reports on one spot of Épinal: five shared by the gendarmerie, one
# restricted by customs, with words and a place found nowhere else.
SECRET_REF = "DOU-SECRET-4242"
SECRET_TEXT = "Indicateur-Tulipe-Confidentiel"
SECRET_PLACE = "Quai-Tulipe-Secret"
SECRET_LAT, SECRET_LON = "48,1790017", "6,4533017"
ROWS = [
    ("GN-1", "GN", "01/03/2026 10:00", "48,1790", "6,4533", "Partagé", "point de vente", "Rue commune"),
    ("GN-2", "GN", "02/03/2026 10:00", "48,1791", "6,4534", "", "point de vente", "Rue commune"),
    ("GN-3", "GN", "03/03/2026 10:00", "48,1792", "6,4532", "partagé", "point de vente", "Rue commune"),
    ("GN-4", "GN", "04/03/2026 10:00", "48,1789", "6,4531", "shared", "point de vente", "Rue commune"),
    ("GN-5", "GN", "04/03/2026 12:00", "48,1790", "6,4532", "shared", "point de vente", "Rue commune"),
    (SECRET_REF, "DOUANE", "05/03/2026 10:00", SECRET_LAT, SECRET_LON, "Restreint", SECRET_TEXT, SECRET_PLACE),
]
SECRETS = (SECRET_REF, SECRET_TEXT, SECRET_PLACE, "48.179002", "6.453302", "48.1790017", "6.4533017")


@pytest.fixture
def cell(tmp_path, monkeypatch):
    """An app holding the five reports, a gendarmerie viewer and a customs
    analyst."""
    app = make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False)
    lines = ["Référence;Service;Date des faits;Nature;Cotation;Latitude;Longitude;Diffusion;Résumé;Adresse"]
    lines += [
        f"{ref};{agency};{when};Point de deal;B2;{lat};{lon};{handling};{summary};{place}"
        for ref, agency, when, lat, lon, handling, summary, place in ROWS
    ]
    path = tmp_path / "cell.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    add_user(app, "viewer-gn", role="viewer", agency="GN")
    add_user(app, "analyst-gn", role="analyst", agency="GN")
    add_user(app, "analyst-douane", role="analyst", agency="DOUANE")
    return app


def get_json(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_json()


def test_import_reads_the_handling_column(cell):
    from webmap.db import get_session
    from webmap.services.store import reports_frame

    with cell.app_context():
        frame = reports_frame(get_session())
    assert dict(zip(frame["agency_ref"], frame["handling"])) == {
        "GN-1": "shared",
        "GN-2": "shared",
        "GN-3": "shared",
        "GN-4": "shared",
        "GN-5": "shared",
        SECRET_REF: "restricted",
    }


def test_unknown_handling_is_rejected(tmp_path, monkeypatch):
    app = make_app(tmp_path / "instance", monkeypatch)
    path = tmp_path / "bad.csv"
    path.write_text(
        "Référence;Service;Date des faits;Nature;Cotation;Commune;Diffusion\n"
        "X-1;GN;01/03/2026;Saisie;B2;Épinal;Très secret\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code != 0
    assert "diffusion inconnue" in result.output


def test_another_agency_sees_neither_details_nor_position(cell):
    client = cell.test_client(user="viewer-gn")
    features = get_json(client, "/api/reports")["features"]
    assert sorted(f["properties"]["agency_ref"] for f in features) == ["GN-1", "GN-2", "GN-3", "GN-4", "GN-5"]


def test_the_own_agency_and_only_it_sees_the_restricted_report(cell):
    features = get_json(cell.test_client(user="analyst-douane"), "/api/reports")["features"]
    secret = [f for f in features if f["properties"]["agency_ref"] == SECRET_REF]
    assert len(features) == 6 and secret[0]["properties"]["place"] == SECRET_PLACE
    # The test admin belongs to the gendarmerie: being admin grants no
    # need-to-know.
    assert len(get_json(cell.test_client(), "/api/reports")["features"]) == 5


def test_the_compact_reports_follow_need_to_know(cell):
    own = get_json(cell.test_client(user="analyst-douane"), "/api/reports?format=compact")
    (secret_id,) = [i for i, place in zip(own["id"], own["place"]) if place == SECRET_PLACE]
    # The test admin belongs to the gendarmerie too.
    for client in (cell.test_client(user="viewer-gn"), cell.test_client()):
        response = client.get("/api/reports?format=compact")
        assert response.status_code == 200
        seen = response.get_json()
        assert seen["count"] == 5 and secret_id not in seen["id"]
        assert "DOUANE" not in seen["lookup"]["agency"]
        for secret in (SECRET_REF, SECRET_TEXT, SECRET_PLACE):
            assert secret.encode() not in response.data


def test_a_lone_restricted_report_adds_to_no_figure_of_another_agency(cell):
    """Below k reports in its commune and week, the restricted report is
    absent from the other agencies' hotspots and commune counts; its own
    agency counts it everywhere."""
    client = cell.test_client(user="viewer-gn")
    spots = get_json(client, "/api/hotspots")["features"]
    assert [s["properties"]["count"] for s in spots] == [5]
    assert spots[0]["properties"]["by_agency"] == {"GN": 5}
    card = get_json(client, f"/api/hotspots/{spots[0]['id']}")
    assert card["properties"]["count"] == 5
    assert sorted(r["properties"]["agency_ref"] for r in card["properties"]["reports"]) == [
        "GN-1",
        "GN-2",
        "GN-3",
        "GN-4",
        "GN-5",
    ]
    communes = {c["insee"]: c for c in get_json(client, "/api/communes")["communes"]}
    assert communes["88160"]["count"] == 5 and communes["88160"]["by_agency"] == {"GN": 5}  # Épinal
    douane = cell.test_client(user="analyst-douane")
    assert [s["properties"]["count"] for s in get_json(douane, "/api/hotspots")["features"]] == [6]
    assert {c["insee"]: c["count"] for c in get_json(douane, "/api/communes")["communes"]}["88160"] == 6


def test_exports_leave_it_out_for_another_agency(cell):
    for format_name in ("csv", "geojson"):
        body = cell.test_client(user="analyst-gn").get(f"/signalements/export/fichier?format={format_name}").data
        assert b"GN-1" in body
        assert SECRET_REF.encode() not in body and SECRET_TEXT.encode() not in body
    own = cell.test_client(user="analyst-douane").get("/signalements/export/fichier?format=csv").data
    assert SECRET_REF.encode() in own


def _get_urls(app):
    """Every GET route, with arguments filled in from the data."""
    with app.test_request_context():
        spots = json.loads(app.test_client().get("/api/hotspots").data)["features"]
    values = {
        "code": spots[0]["id"],
        "zone_id": 1,
        "batch_id": 1,
        "output": "png",
        "token": "x" * 20,
        "filename": "css/crossmap.css",
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values.get(name, "1")), url)
        urls.append(url)
    return urls


def test_no_get_route_leaks_the_restricted_report(cell):
    """Every page, API answer, export and snapshot, as a user of another
    agency with every permission (an admin of the gendarmerie)."""
    client = cell.test_client()
    checked = 0
    for url in _get_urls(cell):
        for query in ("", "?format=csv", "?format=geojson", "?format=xlsx", "?format=gpkg"):
            response = client.get(url + query)
            body = response.get_data()
            if response.content_encoding == "gzip":
                import gzip

                body = gzip.decompress(body)
            for secret in SECRETS:
                assert secret.encode() not in body, (url + query, secret)
            checked += 1
    assert checked > 50


def test_a_tiny_zone_does_not_locate_the_restricted_report(cell):
    lon, lat = 6.4533017, 48.1790017
    d = 0.000001  # ten centimetres: GN-1 lies 20 cm away
    square = {
        "type": "Polygon",
        "coordinates": [
            [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]
        ],
    }
    created = cell.test_client().post("/api/zones", json={"name": "Piège", "geometry": square})
    assert created.status_code == 201
    url = f"/api/zones/{created.get_json()['id']}/contents"
    seen_by_gn = get_json(cell.test_client(user="viewer-gn"), url)
    assert seen_by_gn["count"] == 0 and seen_by_gn["report_ids"] == [] and seen_by_gn["by_agency"] == {}
    seen_by_douane = get_json(cell.test_client(user="analyst-douane"), url)
    assert len(seen_by_douane["report_ids"]) == 1


@pytest.mark.parametrize("format_name", ["csv", "xlsx", "geojson"])
def test_an_export_imported_again_keeps_the_handling_code(cell, tmp_path, monkeypatch, format_name):
    from webmap.db import get_session
    from webmap.services.store import reports_frame

    body = cell.test_client(user="analyst-douane").get(f"/signalements/export/fichier?format={format_name}").data
    path = tmp_path / f"export.{format_name}"
    path.write_bytes(body)
    other = make_app(tmp_path / "other", monkeypatch)
    result = other.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    with other.app_context():
        frame = reports_frame(get_session())
    assert dict(zip(frame["agency_ref"], frame["handling"]))[SECRET_REF] == "restricted"
    assert (frame["handling"] == "shared").sum() == 5


def test_the_report_table_and_its_export_follow_need_to_know(cell):
    table = get_json(cell.test_client(user="viewer-gn"), "/api/reports/table?insee=88160")
    assert table["total"] == 5 and SECRET_REF not in json.dumps(table)
    own = get_json(cell.test_client(user="analyst-douane"), "/api/reports/table?ref=secret")
    assert [row["agency_ref"] for row in own["rows"]] == [SECRET_REF]
    body = cell.test_client(user="analyst-gn").get("/signalements/export/fichier?format=csv&insee=88160").data
    assert b"GN-1" in body and SECRET_REF.encode() not in body
