"""Regression tests of the medium findings of the attack review (issue #16,
findings 6 to 10), each as the review reproduced it."""

import json

import pytest
from sqlalchemy import func, select

from tests.apps import make_app
from tests.databases import keep_engine
from tests.signin import TEST_ADMIN, session_cookie
from webmap import db
from webmap.db.models import AuditEntry, HotspotName, Report


@pytest.fixture
def web(tmp_path, monkeypatch):
    return make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False)


def entries(app, action=None):
    with app.app_context():
        statement = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            statement = statement.where(AuditEntry.action == action)
        return [(e.action, e.username, json.loads(e.details)) for e in db.get_session().scalars(statement)]


def write_csv(path, rows):
    path.write_text(
        "Référence;Service;Date des faits;Nature;Cotation;Commune\n" + "".join(r + "\n" for r in rows), encoding="utf-8"
    )
    return path


# -- 6. dates -----------------------------------------------------------------


@pytest.mark.parametrize("day", ["01/01/0001", "31/12/1899"])
def test_dates_before_1900_are_refused_even_when_confirmed(web, tmp_path, day):
    path = write_csv(tmp_path / "vieux.csv", [f"V-1;GN;{day};Saisie;B2;Épinal", "V-2;GN;01/01/1950;Saisie;B2;Épinal"])
    result = web.test_cli_runner().invoke(args=["import", str(path), "--allow-before-2000", "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "antérieure à 1900" in result.output
    response = web.test_client().get("/api/reports?format=compact")
    assert response.status_code == 200 and response.get_json()["count"] == 1


# -- 7. open redirect --------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example/phish",
        "/%0A/evil.example",
        "/%0D%0ALocation:%20//evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example/",
        "/%5Cevil.example",
        "javascript:alert(1)",
        "/%2F/evil.example",
    ],
)
def test_next_is_only_a_path_of_this_site(web, target):
    """Signed in, ``/connexion?next=`` redirects at once: only to a path here."""
    response = web.test_client().get(f"/connexion?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_plain_path_is_followed(web):
    assert web.test_client().get("/connexion?next=/signalements/lots").headers["Location"] == "/signalements/lots"


# -- 8. sign-out ends the session on the server ---------------------------


def test_a_copied_cookie_dies_with_sign_out(web):
    cookie = session_cookie(web)
    client = web.test_client(user=None)
    client.set_cookie(web.config["SESSION_COOKIE_NAME"], cookie, domain="localhost")
    assert client.get("/api/reports").status_code == 200
    thief = web.test_client(user=None)
    thief.set_cookie(web.config["SESSION_COOKIE_NAME"], cookie, domain="localhost")
    assert client.post("/deconnexion").status_code == 302
    assert thief.get("/api/reports").status_code == 401


# -- 9. lasting hotspot names ------------------------------------------------


def names(app):
    with app.app_context():
        return db.get_session().scalar(select(func.count()).select_from(HotspotName))


def test_custom_parameters_write_no_lasting_name(web, tmp_path):
    rows = [f"GN-{i};GN;0{i + 1}/03/2026 10:00;Saisie;B2;48,17{i};6,45{i}" for i in range(6)]
    rows += [f"GN-{i + 6};GN;0{i + 1}/03/2026 10:00;Saisie;B2;48,190{i};6,470{i}" for i in range(6)]
    path = tmp_path / "gn.csv"
    path.write_text(
        "Référence;Service;Date des faits;Nature;Cotation;Latitude;Longitude\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    result = web.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    client = web.test_client()
    for query in (
        "eps=60&min_samples=3",
        "eps=250&min_samples=5&start=2026-03-01",
        "agencies=GN",
        "eps=5000&min_samples=3&weighted=1",
    ):
        response = client.get(f"/api/hotspots?{query}")
        assert response.status_code == 200
        assert all(f["id"].startswith(("P-", "H-")) for f in response.get_json()["features"])
        assert names(web) == 0, query
    # The reference run (no filter, default parameters) names them.
    spots = client.get("/api/hotspots").get_json()["features"]
    assert spots and names(web) == len(spots)
    assert {f["id"] for f in spots} == {
        f["id"] for f in client.get("/api/hotspots?eps=250&min_samples=5").get_json()["features"]
    }


def test_lasting_names_hold_no_restricted_report(web, tmp_path):
    """An agency with restricted reports still gets lasting names for the
    shared hotspots, written from shared reports only."""
    from tests.signin import add_user

    rows = [f"GN-{i};GN;0{i + 1}/03/2026 10:00;Saisie;B2;48,170{i};6,450{i};Partagé" for i in range(6)]
    rows += [f"DOU-{i};DOUANE;0{i + 1}/03/2026 10:00;Saisie;A1;48,190{i};6,470{i};Restreint" for i in range(6)]
    path = tmp_path / "mix.csv"
    path.write_text(
        "Référence;Service;Date des faits;Nature;Cotation;Latitude;Longitude;Diffusion\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    assert web.test_cli_runner().invoke(args=["import", str(path)]).exit_code == 0
    add_user(web, "analyst-douane", role="analyst", agency="DOUANE")
    add_user(web, "viewer-gn", role="viewer", agency="GN")
    seen_by_douane = web.test_client(user="analyst-douane").get("/api/hotspots").get_json()["features"]
    assert sorted(f["id"][:2] for f in seen_by_douane) == ["H-", "P-"]
    with web.app_context():
        stored = db.get_session().scalars(select(HotspotName)).all()
        restricted = set(db.get_session().scalars(select(Report.id).where(Report.handling == "restricted")))
    assert len(stored) == 1 and not set(json.loads(stored[0].report_ids)) & restricted
    seen_by_gn = web.test_client(user="viewer-gn").get("/api/hotspots").get_json()["features"]
    assert [f["id"] for f in seen_by_gn] == [f["id"] for f in seen_by_douane if f["id"].startswith("H-")]


# -- 10. audit rows with the real actor and action -------------------------


def test_the_journal_export_is_the_admins_action(web):
    client = web.test_client()
    assert client.get("/admin/journal.csv?username=victime").status_code == 200
    action, username, details = entries(web)[-1]
    assert (action, username) == ("export", TEST_ADMIN)
    assert details["filters"] == {"username": "victime"}
    response = client.get("/admin/journal.csv?action=login")
    assert response.status_code == 200
    assert entries(web)[-1][2]["filters"] == {"action": "login"}


def test_command_line_import_export_and_rollback_are_audited(web, tmp_path):
    runner = web.test_cli_runner()
    path = write_csv(tmp_path / "gn.csv", ["GN-1;GN;01/03/2026 10:00;Saisie;B2;Épinal"])
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    assert runner.invoke(args=["export", "--format", "csv", "--out", str(tmp_path / "out.csv")]).exit_code == 0
    assert runner.invoke(args=["rollback", "1"]).exit_code == 0
    recorded = [(action, details) for action, _, details in entries(web)]
    assert [a for a, _ in recorded] == ["import", "export", "rollback"]
    assert recorded[0][1]["batch"] == 1 and recorded[0][1]["agencies"] == ["GN"]
    assert recorded[1][1]["count"] == 1 and recorded[2][1]["removed"] == 1
    assert all(username.endswith("(ligne de commande)") for _, username, _ in entries(web))


# -- 11. low findings ----------------------------------------------------------


def test_zones_belong_to_their_creators_agency(web):
    from tests.signin import add_user

    add_user(web, "commander-gn", role="commander", agency="GN")
    add_user(web, "commander-douane", role="commander", agency="DOUANE")
    square = {"type": "Polygon", "coordinates": [[[6.4, 48.1], [6.5, 48.1], [6.5, 48.2], [6.4, 48.2], [6.4, 48.1]]]}
    created = web.test_client(user="commander-gn").post("/api/zones", json={"name": "Opération", "geometry": square})
    assert created.status_code == 201 and created.get_json()["properties"]["agency"] == "GN"
    url = f"/api/zones/{created.get_json()['id']}"
    other = web.test_client(user="commander-douane")
    assert other.put(url, json={"name": "Volée", "geometry": square}).status_code == 403
    assert other.delete(url).status_code == 403
    assert (
        web.test_client(user="commander-gn").put(url, json={"name": "Renommée", "geometry": square}).status_code == 200
    )
    # The test admin (of GN too) may; an admin of any agency would.
    assert web.test_client().delete(url).status_code == 204


def post_login(app, username, password, address="10.1.1.1"):
    return app.test_client(user=None).post(
        "/connexion", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_one_users_mistakes_do_not_lock_out_colleagues_behind_the_same_address(web):
    from tests.signin import TEST_PASSWORD, add_user

    add_user(web, "collegue", role="viewer", agency="GN")
    for _ in range(5):
        assert post_login(web, TEST_ADMIN, "Mauvais-mot-2026").status_code == 401
    assert post_login(web, TEST_ADMIN, TEST_PASSWORD).status_code == 429  # that account is blocked
    assert post_login(web, "collegue", TEST_PASSWORD).status_code == 302  # not the office


def test_blocked_sign_ins_are_aggregated_without_made_up_names(web):
    for _ in range(5):
        post_login(web, TEST_ADMIN, "Mauvais-mot-2026")
    for attempt in range(30):
        assert post_login(web, TEST_ADMIN, f"Essai-{attempt}").status_code == 429
    name = "x" * 80
    for _ in range(5):
        post_login(web, name, "Mauvais-mot-2026", address="10.2.2.2")
    for _ in range(20):
        post_login(web, name, "Mauvais-mot-2026", address="10.2.2.2")
    blocked = entries(web, "login_blocked")
    assert [username for _, username, _ in blocked] == [TEST_ADMIN, None]


def test_server_processes_sharing_a_database_write_one_blocked_entry(tmp_path, monkeypatch):
    from webmap import create_app

    # Two apps on one database and one shared limiter stand for two worker
    # processes: the second sees the first's entry in the audit trail.
    first = make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False, RATELIMIT_STORAGE_URI="database")
    second = create_app(
        {"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "database"}
        | {"DATABASE_URL": first.config["DATABASE_URL"]}
    )
    second.test_client_class = first.test_client_class
    with second.app_context():
        keep_engine(tmp_path / "instance", db.get_engine())
    for _ in range(5):
        post_login(first, TEST_ADMIN, "Mauvais-mot-2026")
    assert post_login(first, TEST_ADMIN, "Essai").status_code == 429
    assert post_login(second, TEST_ADMIN, "Essai").status_code == 429
    assert len(entries(first, "login_blocked")) == 1


def test_a_csv_in_an_unknown_encoding_is_refused(web, tmp_path):
    path = tmp_path / "sjis.csv"
    path.write_bytes(
        "Référence;Service;Date des faits;Nature;Cotation;Commune\nサイズ-1;GN;01/03/2026;Saisie;B2;東京\n".encode(
            "shift_jis", errors="replace"
        )
    )
    result = web.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code != 0 and "encodage non reconnu" in result.output


def test_unconfirmed_uploads_are_purged(web, tmp_path):
    import io
    import os
    from pathlib import Path

    client = web.test_client()

    def upload():
        data = "Référence;Service;Date des faits;Nature;Cotation;Commune\nGN-1;GN;01/03/2026;Saisie;B2;Épinal\n"
        response = client.post(
            "/signalements/import",
            data={"file": (io.BytesIO(data.encode()), "gn.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
        return response.headers["Location"]

    first = upload()
    folder = Path(web.instance_path) / "uploads" / first.split("/")[-1].split("?")[0]
    assert folder.is_dir()
    old = folder.stat().st_mtime - 25 * 3600
    os.utime(folder, (old, old))
    second = upload()
    assert not folder.exists()
    assert client.get(second).status_code == 200 and client.get(first).status_code == 404


def test_a_csv_field_over_128_kb_is_refused_in_french(web, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "Référence;Service;Date des faits;Nature;Cotation;Commune;Résumé\n"
        f'GN-1;GN;01/03/2026;Saisie;B2;Épinal;"{"x" * 140_000}\n',
        encoding="utf-8",
    )
    result = web.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code != 0 and "CSV illisible" in result.output
