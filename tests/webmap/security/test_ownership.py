"""Agencies own their data (issue #16, findings 3 and 4): an analyst of one
agency cannot create, update, roll back or read the rejections of another
agency's reports, nor learn that one of its references exists."""

import io

import pytest

from tests.apps import make_app, stored_reports
from tests.signin import add_user

HEADER = "Référence;Service;Date des faits;Nature;Cotation;Latitude;Longitude;Diffusion;Résumé"
DOUANE_ROWS = [
    "DOU-1;DOUANE;05/03/2026 10:00;Saisie;A1;48,1790;6,4533;Restreint;Secret-Tulipe",
    "DOU-2;DOUANE;06/03/2026 10:00;Saisie;A1;48,1791;6,4534;Restreint;Secret-Rose",
    "DOU-3;DOUANE;06/03/2026 10:00;Saisie;A1;99,0;6,4534;Restreint;Rejet-Secret-Pivoine",
]


@pytest.fixture
def cell(tmp_path, monkeypatch):
    """Customs imported three rows (one rejected) from the command line;
    a gendarmerie analyst and a customs analyst."""
    app = make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False)
    path = tmp_path / "douane-fichier-secret.csv"
    path.write_text("\n".join([HEADER, *DOUANE_ROWS]) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(path), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    add_user(app, "analyst-gn", role="analyst", agency="GN")
    add_user(app, "analyst-douane", role="analyst", agency="DOUANE")
    return app


def upload(client, text, name="gn.csv", **form):
    response = client.post(
        "/signalements/import",
        data={"file": (io.BytesIO(text.encode("utf-8")), name), **form},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    return response.headers["Location"]


def test_an_analyst_cannot_write_over_another_agencys_report(cell):
    """The review's attack: a GN file with a row "Service = DOUANE" carrying
    DOUANE's reference, shared and moved."""
    client = cell.test_client(user="analyst-gn")
    text = (
        "\n".join(
            [
                HEADER,
                "DOU-1;DOUANE;05/03/2026 10:00;Saisie;A1;48,30;6,90;Partagé;écrasé",
                "GN-1;GN;05/03/2026 11:00;Saisie;B2;48,1790;6,4533;Partagé;à nous",
            ]
        )
        + "\n"
    )
    preview_url = upload(client, text)
    page = client.get(preview_url).get_data(as_text=True)
    # The upload is for the analyst's own agency: a row of another is refused.
    assert "service différent de celui annoncé pour le fichier (GN)" in page
    token_url = preview_url.split("?")[0]
    # All or nothing: refused; with skip_invalid, only the GN row.
    client.post(token_url, data={})
    assert set(stored_reports(cell)) == {"DOU-1", "DOU-2"}
    client.post(token_url, data={"skip_invalid": "1"})
    reports = stored_reports(cell)
    assert set(reports) == {"DOU-1", "DOU-2", "GN-1"}
    assert reports["DOU-1"].handling == "restricted" and reports["DOU-1"].summary == "Secret-Tulipe"
    assert reports["GN-1"].agency == "GN"


def test_the_form_agency_is_the_users_own(cell):
    """A file without a Service column, the form asking for DOUANE: the
    rows are the analyst's agency's."""
    client = cell.test_client(user="analyst-gn")
    text = "Référence;Date des faits;Nature;Cotation;Latitude;Longitude\nDOU-2;05/03/2026 10:00;Saisie;B2;48,1;6,45\n"
    preview_url = upload(client, text, agency="DOUANE")
    client.post(preview_url.split("?")[0], data={"agency": "DOUANE"})
    rows = [r for r in stored_reports(cell).values() if r.agency_ref == "DOU-2"]
    # DOUANE's DOU-2 untouched; a new GN report, which reveals nothing.
    assert {r.agency for r in rows} <= {"DOUANE", "GN"}
    with cell.app_context():
        from sqlalchemy import select

        from webmap.db import get_session
        from webmap.db.models import Report

        agencies = sorted(get_session().scalars(select(Report.agency).where(Report.agency_ref == "DOU-2")))
        summary = get_session().scalar(
            select(Report.summary).where(Report.agency == "DOUANE", Report.agency_ref == "DOU-2")
        )
    assert agencies == ["DOUANE", "GN"] and summary == "Secret-Rose"


def test_another_agencys_batch_is_unknown(cell):
    client = cell.test_client(user="analyst-gn")
    listing = client.get("/signalements/lots").get_data(as_text=True)
    assert "douane-fichier-secret.csv" not in listing
    assert client.get("/signalements/lots/1/rejets.csv").status_code == 404
    client.post("/signalements/lots/1/annuler")
    assert set(stored_reports(cell)) == {"DOU-1", "DOU-2"}
    # Its own agency sees, reads and may roll it back.
    own = cell.test_client(user="analyst-douane")
    assert "douane-fichier-secret.csv" in own.get("/signalements/lots").get_data(as_text=True)
    rejections = own.get("/signalements/lots/1/rejets.csv")
    assert rejections.status_code == 200 and b"\r\n4;" in rejections.data  # line 4 of the file
    own.post("/signalements/lots/1/annuler")
    assert stored_reports(cell) == {}


def test_an_admin_sees_every_batch(cell):
    assert "douane-fichier-secret.csv" in cell.test_client().get("/signalements/lots").get_data(as_text=True)


def test_an_upload_is_its_uploaders(cell):
    preview_url = upload(cell.test_client(user="analyst-douane"), "\n".join([HEADER, DOUANE_ROWS[0]]) + "\n")
    assert cell.test_client(user="analyst-gn").get(preview_url).status_code == 404
    assert cell.test_client(user="analyst-douane").get(preview_url).status_code == 200
