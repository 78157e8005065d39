"""The audit trail: append-only in the database itself, filled by every
sensitive action, listed, filtered and exported by the admin page."""

import csv
import html
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import text

from tests.apps import make_app
from tests.signin import add_user
from webmap import db
from webmap.db.models import PARIS, Report
from webmap.services import audit

DATA = Path(__file__).parents[2] / "data"


@pytest.fixture
def web(tmp_path, monkeypatch):
    return make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False)


def entries(app, action=None):
    with app.app_context():
        return audit.search(db.get_session(), action=action)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET username = 'quelqu''un d''autre'",
        "DELETE FROM audit_entry",
    ],
)
def test_the_database_refuses_to_change_or_remove_an_entry(app, statement):
    with app.app_context():
        session = db.get_session()
        audit.audit(session, "export", username="alice", agency="GN", address="10.0.0.1", format="csv")
        session.commit()
        with pytest.raises(sqlalchemy.exc.DatabaseError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
        assert [(e.username, e.action) for e in audit.search(session)] == [("alice", "export")]


def test_no_route_can_change_the_trail(app):
    methods = {m for rule in app.url_map.iter_rules() if rule.endpoint.startswith("audit.") for m in rule.methods}
    assert methods <= {"GET", "HEAD", "OPTIONS"}


def test_import_rollback_and_export_are_recorded_with_who_and_where(web):
    client = web.test_client()
    data = (DATA / "reports-gn-cp1252.csv").read_bytes()
    upload = client.post(
        "/signalements/import",
        data={"file": (io.BytesIO(data), "gn.csv")},
        content_type="multipart/form-data",
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    token = upload.headers["Location"].split("/")[-1].split("?")[0]
    assert client.post(f"/signalements/import/{token}").status_code == 302
    assert client.get("/signalements/export/fichier?format=csv&agencies=GN").status_code == 200
    assert client.post("/signalements/lots/1/annuler").status_code == 302
    logged = {e.action: e for e in entries(web)}
    assert {"import", "export", "rollback"} <= set(logged)
    assert json.loads(logged["import"].details)["added"] == 7
    assert json.loads(logged["export"].details) == {"agencies": "GN", "count": 7, "format": "csv"}
    assert json.loads(logged["rollback"].details) == {"batch": 1, "removed": 7, "restored": 0}
    assert logged["import"].username == "test-admin" and logged["import"].agency == "GN"


def test_admin_page_lists_and_filters(web):
    with web.app_context():
        session = db.get_session()
        audit.audit(session, "login", username="alice", agency="GN", address="10.0.0.1")
        audit.audit(session, "export", username="bob", agency="PJ", address="10.0.0.2", zone="<script>x</script>")
        session.commit()
    client = web.test_client()
    page = client.get("/admin/journal").get_data(as_text=True)
    assert "Journal d'audit" in html.unescape(page) and "alice" in page and "bob" in page
    assert "<script>x" not in page  # details shown escaped
    only_bob = client.get("/admin/journal?username=bob").get_data(as_text=True)
    assert "bob" in only_bob and "alice" not in only_bob
    only_logins = client.get("/admin/journal?action=login").get_data(as_text=True)
    assert "alice" in only_logins and "bob" not in only_logins
    # The journal counts days in Paris time, which may not be the machine's date.
    today = datetime.now(PARIS).date().isoformat()
    assert "alice" not in client.get("/admin/journal?end=2000-01-01").get_data(as_text=True)
    assert "alice" in client.get("/admin/journal?end=9999-12-31&start=pas-une-date").get_data(as_text=True)
    assert "alice" in client.get(f"/admin/journal?start={today}&end={today}").get_data(as_text=True)


def test_csv_export_holds_every_entry_and_is_itself_recorded(web):
    with web.app_context():
        session = db.get_session()
        audit.audit(session, "login", username="=HYPERLINK(1)", agency="GN", address="10.0.0.1")
        session.commit()
    response = web.test_client().get("/admin/journal.csv")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=journal-audit-")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["n°", "date", "utilisateur", "service", "adresse", "action", "détails"]
    assert rows[1][2] == "'=HYPERLINK(1)"  # no formula runs in a spreadsheet
    assert entries(web)[0].action == "export" and json.loads(entries(web)[0].details) == {
        "what": "audit_trail",
        "filters": {},
    }


def test_only_admins_read_the_trail(web):
    add_user(web, "analyste", role="analyst", agency="GN")
    client = web.test_client(user="analyste")
    assert client.get("/admin/journal").status_code == 403
    assert client.get("/admin/journal.csv").status_code == 403


def test_purge_removes_old_reports_and_is_recorded(app, runner):
    assert runner.invoke(args=["import", str(DATA / "reports-gn-cp1252.csv")]).exit_code == 0
    with app.app_context():
        session = db.get_session()
        session.execute(
            sqlalchemy.update(Report)
            .where(Report.agency_ref == "GN-2025-001")
            .values(observed_at=datetime(2019, 5, 1, tzinfo=PARIS))
        )
        session.commit()
    refused = runner.invoke(args=["purge-reports"])
    assert refused.exit_code != 0 and "REPORT_RETENTION_YEARS" in refused.output
    result = runner.invoke(args=["purge-reports", "--older-than-years", "5"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = db.get_session()
        refs = sorted(session.scalars(sqlalchemy.select(Report.agency_ref)))
        purge = audit.search(session, action="purge")
    assert "GN-2025-001" not in refs and len(refs) == 6
    assert json.loads(purge[0].details)["removed"] == 1


def test_purge_uses_the_configured_retention(tmp_path, monkeypatch):
    app = make_app(tmp_path / "instance", monkeypatch, REPORT_RETENTION_YEARS=1)
    result = app.test_cli_runner().invoke(args=["purge-reports"])
    assert result.exit_code == 0 and "plus de 1 an" in result.output
    assert entries(app, "purge")


def test_zone_changes_and_hotspot_cards_are_recorded(web):
    client = web.test_client()
    square = {
        "type": "Polygon",
        "coordinates": [[[6.44, 48.17], [6.46, 48.17], [6.46, 48.19], [6.44, 48.19], [6.44, 48.17]]],
    }
    created = client.post("/api/zones", json={"name": "Opération Tulipe", "geometry": square})
    assert created.status_code == 201
    zone_id = created.get_json()["id"]
    assert client.delete(f"/api/zones/{zone_id}").status_code == 204
    changes = entries(web, "zone_change")
    assert [json.loads(e.details)["method"] for e in changes] == ["DELETE", "POST"]
    assert json.loads(changes[0].details)["zone_id"] == zone_id
    assert client.get("/api/hotspots/H-9999").status_code == 404
    assert entries(web, "report_viewed") == []  # nothing was shown


def test_a_hotspot_card_is_recorded_with_its_code(demo_client, demo_app):
    code = demo_client.get("/api/hotspots").get_json()["features"][0]["id"]
    assert demo_client.get(f"/api/hotspots/{code}?min_samples=5").status_code == 200
    with demo_app.app_context():
        viewed = audit.search(db.get_session(), action="report_viewed", limit=1)[0]
    assert json.loads(viewed.details) == {"code": code, "endpoint": "api.hotspot", "method": "GET", "min_samples": "5"}
    assert viewed.username == "test-admin"
