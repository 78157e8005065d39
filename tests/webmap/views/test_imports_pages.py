"""The import, batches and export pages, through Flask's test client."""

import io
import re
from pathlib import Path

import pytest

from tests.apps import make_app

DATA = Path(__file__).parents[2] / "data"


@pytest.fixture
def web(tmp_path, monkeypatch):
    """A client without CSRF tokens to fetch (the token itself is tested below)."""
    app = make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False)
    return app, app.test_client()


def upload(client, name, data=None, **form):
    data = data if data is not None else (DATA / name).read_bytes()
    return client.post(
        "/signalements/import", data={"file": (io.BytesIO(data), name), **form}, content_type="multipart/form-data"
    )


def test_pages_carry_the_csrf_token(client):
    for url in ("/signalements/import", "/signalements/lots"):
        page = client.get(url).get_data(as_text=True)
        assert "DIFFUSION RESTREINTE" in page
    assert 'name="csrf_token"' in client.get("/signalements/import").get_data(as_text=True)
    # Without the token, a state-changing request is refused.
    assert upload(client, "reports-gir.geojson").status_code == 400


def test_upload_preview_confirm_then_rollback(web):
    app, client = web
    response = upload(client, "reports-gn-cp1252.csv")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "Aperçu de l'import" in page
    assert "7 lignes lues" in page and "7 valides" in page
    # The mapping shows each column with its recognised field selected.
    assert re.search(r'name="header" value="Date des faits">\s*<select name="field"', page)
    assert '<option value="observed_at" selected>Date</option>' in page
    # Free text is escaped, never run.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "Géocodeur d&#39;adresses désactivé" in page

    token_url = preview_url.split("?")[0]
    headers = [
        "Référence",
        "Service",
        "Date des faits",
        "Nature",
        "Produit",
        "Quantité",
        "Unité",
        "Cotation",
        "Commune",
        "Code postal",
        "Code INSEE",
        "Adresse",
        "Latitude",
        "Longitude",
        "Résumé",
    ]
    fields = [
        "agency_ref",
        "agency",
        "observed_at",
        "category",
        "substances",
        "quantity",
        "unit",
        "grading",
        "commune",
        "postal_code",
        "insee",
        "address",
        "lat",
        "lon",
        "summary",
    ]
    response = client.post(token_url, data={"header": headers, "field": fields, "save_profile": "GN Vosges"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/signalements/lots")
    page = client.get("/signalements/lots").get_data(as_text=True)
    assert "Lot 1 : 7 ajoutés, 0 mis à jour, 0 inchangés, 0 rejetés." in page
    assert "reports-gn-cp1252.csv" in page
    assert "GN Vosges" in client.get("/signalements/import").get_data(as_text=True)

    response = client.post("/signalements/lots/1/annuler", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Lot 1 annulé : 7 signalements supprimés, 0 restaurés." in page
    assert "annulé le" in page


def test_rejected_rows_are_listed_downloadable_and_block_the_import(web):
    app, client = web
    preview_url = upload(client, "reports-invalid.csv").headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "13 rejetées" in page and "date dans le futur" in page
    token_url = preview_url.split("?")[0]
    errors = client.get(token_url + "/rejets.csv")
    assert errors.status_code == 200 and errors.mimetype == "text/csv"
    assert errors.get_data().decode("utf-8-sig").splitlines()[0] == "Ligne;Colonne;Valeur;Motif"

    page = client.post(token_url, data={}).get_data(as_text=True)
    assert "Import annulé : 13 lignes rejetées" in page
    assert "Aucun lot" in client.get("/signalements/lots").get_data(as_text=True)

    client.post(token_url, data={"skip_invalid": "1"})
    page = client.get("/signalements/lots").get_data(as_text=True)
    assert 'href="/signalements/lots/1/rejets.csv">13</a>' in page
    rows = client.get("/signalements/lots/1/rejets.csv").get_data().decode("utf-8-sig").splitlines()
    assert len(rows) == 14


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("faux.xlsx", b"pas un classeur", "n&#39;est pas un classeur Excel"),
        ("note.pdf", b"%PDF-1.4", "Format non pris en charge"),
    ],
)
def test_wrong_files_get_a_clear_error(web, name, content, message):
    app, client = web
    # The file is read once, at upload (issue #16): refused there.
    response = upload(client, name, content)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_upload_too_large_is_refused_clearly(tmp_path, monkeypatch):
    app = make_app(
        tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False, MAX_CONTENT_LENGTH=2000, IMPORT_MAX_BYTES=1000
    )
    response = upload(app.test_client(), "big.csv", b"x" * 5000)
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.get_data(as_text=True)


def test_export_page_downloads_the_filtered_reports(web):
    app, client = web
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import", str(DATA / "reports-douane-utf8bom.csv")]).exit_code == 0
    assert "GeoPackage" in client.get("/signalements/export").get_data(as_text=True)
    response = client.get("/signalements/export/fichier?format=csv&agencies=DOUANE&start=2025-11-21")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    lines = response.get_data().decode("utf-8-sig").splitlines()
    assert [line.split(";")[0] for line in lines[2:-1]] == ["D-1", "D-3"]
    response = client.get("/signalements/export/fichier?format=gpkg&min_grading=Z")
    assert response.status_code == 400 and "min_grading" in response.get_data(as_text=True)


def test_columns_mapped_on_the_page_and_saved_as_a_profile(web):
    app, client = web
    content = "Num PV;Quand;Quoi;Cote;Où\nSP-1;01/10/2025 10:00;Saisie;B2;Épinal\n".encode("cp1252")
    preview_url = upload(client, "sp.csv", content, agency="PN-SP").headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "Colonnes manquantes" in page
    token_url = preview_url.split("?")[0]
    choices = {
        "header": ["Num PV", "Quand", "Quoi", "Cote", "Où"],
        "field": ["agency_ref", "observed_at", "category", "grading", "commune"],
        "agency": "PN-SP",
    }
    page = client.post(token_url + "/verifier", data=choices).get_data(as_text=True)
    assert "1 valides" in page and "Colonnes manquantes" not in page
    response = client.post(token_url, data={**choices, "save_profile": "SP Épinal"})
    assert response.status_code == 302
    # The upload is gone once imported; the batch keeps its name and hash.
    assert client.get(preview_url).status_code == 404
    with app.app_context():
        from webmap import db
        from webmap.services import importer

        profile = importer.get_profile(db.get_session(), "SP Épinal")
    assert profile["mapping"]["Où"] == "commune" and profile["agency"] == "PN-SP"


MIXED = (
    "Référence;Service;Date des faits;Nature;Produit;Cotation;Lieu\n"
    'M-1;Police nationale;01/10/2025 10:00;Saisie;Cannabis résine;B2;"48,1725 ; 6,4497"\n'
    "M-2;CSP Épinal;01/10/2025 11:00;Point de deal;résine de cannabis marocaine;B2;Capavenir Vosges\n"
    "M-3;DDPN 88;01/10/2025 12:00;Trafic;cocaïne;C3;Nancy\n"
).encode("utf-8")


def test_preview_shows_every_decision_with_filters_and_the_batch_keeps_them(web):
    app, client = web
    preview_url = upload(client, "ddpn.csv", MIXED).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    readings = page[page.index('id="readings"') :]
    # Place as given → how it was read → what is stored, for every row.
    assert "48,1725 ; 6,4497" in readings and "latitude, longitude (degrés décimaux)" in readings
    assert "Épinal (88160), 48.17250 ; 6.44970" in readings
    assert "Capavenir Vosges" in readings and "commune renommée depuis" in readings
    assert "Thaon-les-Vosges (88465), centre" in readings
    assert "« Cannabis résine » → cannabis_resin" in readings
    assert "« Police nationale » → PN-SP" in readings
    assert "valeur approchée (mots en plus)" in readings  # the Moroccan resin
    assert "hors du département" in readings  # Nancy, refused without the option
    glue = "&" if "?" in preview_url else "?"
    approximations = client.get(preview_url + glue + "show=approximations").get_data(as_text=True)
    approximations = approximations[approximations.index('id="readings"') :]
    assert "marocaine" in approximations and "48,1725 ; 6,4497" not in approximations
    rejections = client.get(preview_url + glue + "show=rejections").get_data(as_text=True)
    rejections = rejections[rejections.index('id="readings"') :]
    assert "Nancy" in rejections and "Capavenir" not in rejections

    token_url = preview_url.split("?")[0]
    # Nancy accepted once places outside are allowed: flagged, then imported.
    page = client.post(token_url + "/verifier", data={"allow_outside": "1"}).get_data(as_text=True)
    assert "3 valides" in page and "hors du département (accepté)" in page
    response = client.post(token_url, data={"allow_outside": "1"})
    assert response.status_code == 302
    assert 'href="/signalements/lots/1/decisions"' in client.get("/signalements/lots").get_data(as_text=True)
    history = client.get("/signalements/lots/1/decisions").get_data(as_text=True)
    for expected in (
        "48,1725 ; 6,4497",
        "Thaon-les-Vosges (88465)",
        "Cannabis résine",
        "Police nationale",
        "hors du département (accepté)",
        "approximation",
        "Lieu",
    ):
        assert expected in history, expected


def test_upload_form_pins_the_agency_and_offers_places_outside(web):
    app, client = web
    page = client.get("/signalements/import").get_data(as_text=True)
    assert "Service du fichier" in page and 'name="allow_outside"' in page
    response = upload(client, "ddpn.csv", MIXED.replace(b"Nancy", b"Golbey"), agency="PN-SP", allow_outside="1")
    assert "agency=PN-SP" in response.headers["Location"] and "allow_outside=1" in response.headers["Location"]
