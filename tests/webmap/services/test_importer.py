"""Import of agency files through ``crossmap import``: formats, validation,
all-or-nothing, idempotence, history, rollback and a kill in the middle."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, text

from webmap import db
from webmap.db.models import PARIS, Base, ImportBatch, ImportRejection, Report, ReportHistory
from webmap.services import importer

DATA = Path(__file__).parents[2] / "data"


def dump(app):
    """Every row of every table, to compare a database before and after
    (SQLite's dump, or its likeness on PostgreSQL)."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return list(connection.iterdump())
        finally:
            connection.close()
    with app.app_context(), db.get_engine().connect() as connection:
        return [
            f'INSERT INTO "{name}" VALUES{tuple(row)}'
            for name in sorted(Base.metadata.tables)
            for row in connection.execute(text(f"SELECT * FROM {name} ORDER BY 1"))
        ]


def written_bytes(app):
    """Bytes written so far, committed or not: SQLite's write-ahead log, or
    the size of PostgreSQL's report table (uncommitted rows take room too)."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        wal = Path(url.removeprefix("sqlite:///") + "-wal")
        return wal.stat().st_size if wal.exists() else 0
    with app.app_context(), db.get_engine().connect() as connection:
        return connection.scalar(text("SELECT pg_relation_size('report')"))


def reports(app):
    with app.app_context():
        return {r.agency_ref: r for r in db.get_session().scalars(select(Report))}


def invoke(runner, *args):
    return runner.invoke(args=["import", *map(str, args)])


def test_french_csv_in_windows_1252_with_every_place_form(app, runner):
    result = invoke(runner, DATA / "reports-gn-cp1252.csv")
    assert result.exit_code == 0, result.output
    assert "7 ajouté(s)" in result.output
    found = reports(app)
    first = found["GN-2025-001"]
    assert (first.lon, first.lat, first.precision, first.insee) == (6.4497, 48.1734, "point", "88160")
    assert first.observed_at == datetime(2025, 11, 25, 22, 40, tzinfo=PARIS)
    assert (first.category, first.substances, first.quantity, first.unit) == ("deal_point", "cannabis_resin", 12.5, "g")
    assert first.summary == "Vente devant l'école"
    assert (found["GN-2025-002"].insee, found["GN-2025-002"].substances) == ("88158", "cannabis_herb,cocaine")
    assert found["GN-2025-003"].insee == "88075"  # Bresse (La)
    assert found["GN-2025-004"].insee == "88413"  # St Dié des Vosges, 88100
    assert (found["GN-2025-005"].insee, found["GN-2025-005"].precision) == ("88160", "commune")  # address, BAN off
    assert found["GN-2025-006"].insee == "88321"  # Rollainville, now Neufchâteau
    assert found["GN-2025-007"].insee == "88160"  # INSEE code
    assert found["GN-2025-007"].summary == "<script>alert(1)</script>"  # stored as given
    assert found["GN-2025-005"].summary.startswith("=HYPERLINK")
    assert {r.precision for r in found.values()} == {"point", "commune"}
    assert "Géocodeur d'adresses désactivé" in result.output


def test_utf8_bom_commas_english_headers_lambert93_and_excel_serial_dates(app, runner):
    result = invoke(runner, DATA / "reports-douane-utf8bom.csv")
    assert result.exit_code == 0, result.output
    found = reports(app)
    assert found["D-1"].observed_at == datetime(2026, 11, 25, 22, 40, tzinfo=PARIS)
    assert (round(found["D-1"].x_l93), found["D-1"].insee, found["D-1"].precision) == (956354, "88160", "point")
    assert (found["D-2"].substances, found["D-2"].reliability, found["D-2"].credibility) == ("cannabis_resin", "B", 2)
    assert found["D-3"].observed_at == datetime(2025, 11, 21, 7, 45, tzinfo=PARIS)


def test_geojson_points(app, runner):
    result = invoke(runner, DATA / "reports-gir.geojson")
    assert result.exit_code == 0, result.output
    found = reports(app)
    assert (found["GIR-1"].lon, found["GIR-1"].lat, found["GIR-1"].agency) == (6.5906, 48.0167, "GIR")


def test_xlsx_with_real_dates_numbers_and_serials(app, runner, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Export du logiciel de la PAF"])  # a title line above the header
    sheet.append(["N° procédure", "Date", "Heure", "Nature", "Cotation", "Code INSEE", "Quantité", "Unité"])
    sheet.append(["PAF-1", datetime(2025, 10, 1), "21:15", "Saisie", "B2", 88160, 2.5, "kg"])
    sheet.append(["PAF-2", 45931.5, None, "Renseignement", "C3", "88413", None, None])
    path = tmp_path / "paf.xlsx"
    workbook.save(path)
    result = invoke(runner, path, "--agency", "PAF")
    assert result.exit_code == 0, result.output
    found = reports(app)
    assert found["PAF-1"].observed_at == datetime(2025, 10, 1, 21, 15, tzinfo=PARIS)
    assert (found["PAF-1"].insee, found["PAF-1"].quantity, found["PAF-1"].agency) == ("88160", 2.5, "PAF")
    assert found["PAF-2"].observed_at == datetime(2025, 10, 1, 12, 0, tzinfo=PARIS)


EXPECTED_REJECTIONS = {
    3: ("Référence", "référence manquante"),
    4: ("Date des faits", "date impossible"),
    5: ("Date des faits", "date dans le futur"),
    6: ("Date des faits", "antérieure à 2000"),
    7: ("Cotation", "cotation invalide"),
    8: ("Service", "service inconnu"),
    9: ("Nature", "catégorie inconnue"),
    10: ("Longitude", "hors de la zone couverte"),
    11: ("Longitude", "hors du département"),
    12: ("Commune", "Vouliez-vous dire : Épinal (88160)"),
    13: ("Code postal", "partagé par 9 communes"),
    14: ("Référence", "en double dans le fichier (déjà ligne 2)"),
    15: ("Produit", "produit inconnu"),
}


def test_every_kind_of_rejection_and_nothing_is_written(app, runner, tmp_path):
    invoke(runner, DATA / "reports-gir.geojson")
    before = dump(app)
    errors = tmp_path / "rejets.csv"
    result = invoke(runner, DATA / "reports-invalid.csv", "--errors-out", errors)
    assert result.exit_code == 1
    assert "Import annulé" in result.output and "13 ligne(s) rejetée(s) sur 14" in result.output
    for line, (column, reason) in EXPECTED_REJECTIONS.items():
        assert any(
            f"ligne {line}, colonne « {column} »" in out and reason in out for out in result.output.splitlines()
        ), (line, reason)
    assert dump(app) == before
    content = errors.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Ligne;Colonne;Valeur;Motif"
    assert len(lines) == 1 + len(EXPECTED_REJECTIONS)


def test_before_2000_is_accepted_once_confirmed(app, runner, tmp_path):
    path = tmp_path / "old.csv"
    path.write_text(
        "Référence;Service;Date;Nature;Cotation;Commune\nOLD-1;GN;03/02/1998 10:00;Saisie;B2;Épinal\n", encoding="utf-8"
    )
    assert invoke(runner, path).exit_code == 1
    assert invoke(runner, path, "--allow-before-2000").exit_code == 0


def test_skip_invalid_imports_the_valid_rows_and_keeps_the_rejections(app, runner):
    result = invoke(runner, DATA / "reports-invalid.csv", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "1 ajouté(s)" in result.output and "13 rejeté(s)" in result.output
    assert set(reports(app)) == {"PJ-1"}
    with app.app_context():
        session = db.get_session()
        batch = session.scalars(select(ImportBatch)).one()
        assert (batch.added, batch.rejected, batch.filename) == (1, 13, "reports-invalid.csv")
        lines = [r.line for r in session.scalars(select(ImportRejection).order_by(ImportRejection.line))]
        assert lines == sorted(EXPECTED_REJECTIONS)


def test_reimport_is_idempotent(app, runner):
    assert invoke(runner, DATA / "reports-gn-cp1252.csv").exit_code == 0
    before = {ref: (r.id, r.content_hash) for ref, r in reports(app).items()}
    result = invoke(runner, DATA / "reports-gn-cp1252.csv")
    assert result.exit_code == 0, result.output
    assert "0 ajouté(s), 0 mis à jour, 7 inchangé(s)" in result.output
    assert {ref: (r.id, r.content_hash) for ref, r in reports(app).items()} == before


def _changed_copy(tmp_path):
    text = (DATA / "reports-gn-cp1252.csv").read_bytes().decode("cp1252")
    text = text.replace("Guetteurs signalés", "Guetteurs et rabatteurs").replace("C3;Bresse", "B2;Bresse")
    path = tmp_path / "gn-v2.csv"
    path.write_bytes(text.encode("cp1252"))
    return path


def test_changed_row_updates_and_keeps_history_then_rollback_restores(app, runner, tmp_path):
    assert invoke(runner, DATA / "reports-gn-cp1252.csv").exit_code == 0
    original = reports(app)["GN-2025-003"]
    after_first = dump(app)
    result = invoke(runner, _changed_copy(tmp_path))
    assert "0 ajouté(s), 1 mis à jour, 6 inchangé(s)" in result.output, result.output
    updated = reports(app)["GN-2025-003"]
    assert (updated.id, updated.summary, updated.grading) == (original.id, "Guetteurs et rabatteurs", "B2")
    with app.app_context():
        (history,) = db.get_session().scalars(select(ReportHistory)).all()
        assert (history.report_id, history.summary, history.credibility) == (original.id, "Guetteurs signalés", 3)
        assert history.observed_at == original.observed_at
        assert (history.batch_id, history.superseded_by) == (1, 2)

    # The first batch cannot go while the second one changed its reports.
    refused = runner.invoke(args=["rollback", "1"])
    assert refused.exit_code == 1 and "annulez d'abord ce lot" in refused.output

    result = runner.invoke(args=["rollback", "2"])
    assert result.exit_code == 0 and "0 signalement(s) supprimé(s), 1 restauré(s)" in result.output
    restored = reports(app)["GN-2025-003"]
    assert (restored.summary, restored.grading, restored.batch_id) == ("Guetteurs signalés", "C3", 1)
    assert restored.observed_at == original.observed_at
    with app.app_context():
        assert db.get_session().scalars(select(ReportHistory)).all() == []

    result = runner.invoke(args=["rollback", "1"])
    assert result.exit_code == 0 and "7 signalement(s) supprimé(s)" in result.output
    assert reports(app) == {}
    assert runner.invoke(args=["rollback", "1"]).exit_code == 1  # already rolled back
    listing = runner.invoke(args=["batches"]).output
    assert "annulé le" in listing and "reports-gn-cp1252.csv" in listing
    assert not [line for line in dump(app) if line.startswith(('INSERT INTO "report"', 'INSERT INTO "report_history"'))]
    assert any(line.startswith('INSERT INTO "report"') for line in after_first)


def test_rollback_removes_exactly_what_the_batch_added(app, runner):
    invoke(runner, DATA / "reports-gir.geojson")
    before = set(reports(app))
    invoke(runner, DATA / "reports-douane-utf8bom.csv")
    assert runner.invoke(args=["rollback", "2"]).exit_code == 0
    assert set(reports(app)) == before


def test_crash_during_write_leaves_the_database_as_before(app, runner):
    invoke(runner, DATA / "reports-gir.geojson")
    before = dump(app)

    def crash(stage, done, total):
        if stage == "enregistrement":
            raise RuntimeError("disque plein")

    with app.app_context():
        session = db.get_session()
        with pytest.raises(RuntimeError):
            importer.import_file(
                session,
                DATA / "reports-gn-cp1252.csv",
                known_agencies=app.config["AGENCIES"],
                geocoder=importer.geocoder_from_config(app.config),
                progress=crash,
            )
        session.rollback()
    assert dump(app) == before


def test_kill_in_the_middle_leaves_the_database_as_before(app, runner, tmp_path):
    invoke(runner, DATA / "reports-gir.geojson")
    before = dump(app)
    rows = ["Référence;Service;Date des faits;Nature;Cotation;Latitude;Longitude"]
    rows += [f"K-{i};GN;25/11/2025 22:40;Point de deal;B2;48,{1700 + i % 97};6,{4400 + i % 89}" for i in range(60_000)]
    big = tmp_path / "big.csv"
    big.write_text("\n".join(rows), encoding="utf-8")
    environment = {**os.environ, "CROSSMAP_INSTANCE_PATH": app.instance_path, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [Path(sys.executable).parent / "crossmap", "import", str(big)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    written = written_bytes(app)
    try:
        for line in process.stderr:
            if "Enregistrement" in line:
                break
        # Kill once uncommitted rows are on disk (spilled into the WAL), so
        # the kill lands in the middle of writing, not before it.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and written_bytes(app) < written + 200_000:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    assert dump(app) == before
    # And the database is still usable.
    assert invoke(runner, DATA / "reports-douane-utf8bom.csv").exit_code == 0


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("rapport.pdf", b"%PDF-1.4", "Format non pris en charge"),
        ("classeur.xlsx", "Référence;Service\r\nX;GN\r\n".encode(), "n'est pas un classeur Excel"),
        ("vieux.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel 97-2003"),
        ("faux.csv", b"PK\x03\x04" + b"\x00" * 100, "n'est pas un fichier CSV"),
        ("carte.geojson", b"{pas du json", "n'est pas un GeoJSON valide"),
        ("colonnes.csv", "Couleur;Forme\nrouge;rond\n".encode(), "Colonnes manquantes"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(app, runner, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = invoke(runner, path)
    assert result.exit_code == 1
    assert message in result.output


def test_size_and_row_limits(tmp_path, monkeypatch):
    from tests.apps import make_app

    app = make_app(tmp_path / "instance", monkeypatch, IMPORT_MAX_ROWS=5, IMPORT_MAX_BYTES=600)
    runner = app.test_cli_runner()
    result = invoke(runner, DATA / "reports-gn-cp1252.csv")
    assert "Fichier trop volumineux" in result.output
    result = invoke(runner, DATA / "reports-douane-utf8bom.csv")
    assert result.exit_code == 0
    six_rows = tmp_path / "six.csv"
    six_rows.write_text(
        "Référence;Service;Date;Nature;Cotation;Commune\n"
        + "".join(f"R{i};GN;01/10/2025;Saisie;B2;Golbey\n" for i in range(6)),
        encoding="utf-8",
    )
    result = invoke(runner, six_rows)
    assert result.exit_code == 1 and "Trop de lignes : plus de 5 (maximum 5)" in result.output


def test_profile_maps_unknown_headers_and_is_reused(app, runner, tmp_path):
    path = tmp_path / "sp.csv"
    path.write_text("Num PV;Quand;Quoi;Cote;Où\nSP-1;01/10/2025 10:00;Saisie;B2;Épinal\n", encoding="utf-8")
    assert "Colonnes manquantes" in invoke(runner, path, "--agency", "PN-SP").output
    result = invoke(
        runner,
        path,
        "--agency",
        "PN-SP",
        "--map",
        "Num PV=agency_ref",
        "--map",
        "Quand=observed_at",
        "--map",
        "Quoi=category",
        "--map",
        "Cote=grading",
        "--map",
        "Où=commune",
        "--save-profile",
        "SP Épinal",
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["profiles"]).output
    assert "SP Épinal (service : PN-SP)" in listing and "Num PV → Référence" in listing
    path.write_text("Num PV;Quand;Quoi;Cote;Où\nSP-2;02/10/2025 10:00;Saisie;B2;Golbey\n", encoding="utf-8")
    result = invoke(runner, path, "--profile", "SP Épinal")
    assert result.exit_code == 0, result.output
    assert reports(app)["SP-2"].agency == "PN-SP"


def test_geocode_command_prints_json(runner):
    import json

    result = runner.invoke(args=["geocode", "Bresse (La)"])
    assert result.exit_code == 0
    assert json.loads(result.output)["insee"] == "88075"
    result = runner.invoke(args=["geocode", "cp 88200"])
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["error"] == "ambiguous" and len(document["candidates"]) == 5


MIXED = (
    "Référence;Service;Date des faits;Nature;Produit;Cotation;Lieu\n"
    'M-1;Police nationale;01/10/2025 10:00;Saisie;Cannabis résine;B2;"48,1725 ; 6,4497"\n'
    "M-2;CSP Épinal;01/10/2025 11:00;Point de deal;Résine de cannabis;B2;Capavenir Vosges\n"
    "M-3;commissariat de Saint-Dié;01/10/2025 12:00;Trafic;Cannabis (résine), cocaïne;C3;Saint-Dié-des-Vosges\n"
)


def test_a_file_as_agencies_write_it_imports_with_every_decision_kept(app, runner, tmp_path):
    path = tmp_path / "ddpn.csv"
    path.write_text(MIXED, encoding="utf-8")
    result = invoke(runner, path)
    assert result.exit_code == 0, result.output
    assert "3 ajouté(s)" in result.output
    found = reports(app)
    assert {r.agency for r in found.values()} == {"PN-SP"}
    assert found["M-1"].substances == "cannabis_resin" and found["M-1"].precision == "point"
    assert (found["M-1"].lat, found["M-1"].lon, found["M-1"].insee) == (48.1725, 6.4497, "88160")
    assert found["M-2"].insee == "88465"  # Thaon-les-Vosges
    assert found["M-3"].category == "trafficking"  # not a deal point
    assert found["M-3"].substances == "cannabis_resin,cocaine"

    history = runner.invoke(args=["batches", "--decisions", "1"]).output
    assert "« 48,1725 ; 6,4497 » → point, latitude, longitude (degrés décimaux) → Épinal (88160)" in history
    assert (
        "« Capavenir Vosges » → nom de commune, centre de la commune · commune renommée depuis → "
        "Thaon-les-Vosges (88465)" in history
    )
    assert "« Cannabis résine » → valeur reconnue (autre écriture) → cannabis_resin" in history
    assert "« Police nationale » → valeur reconnue (autre écriture) → PN-SP" in history
    assert "ancien nom de Thaon-les-Vosges" in history
    assert "[approximation]" not in history


def test_a_pinned_agency_takes_every_row(app, runner, tmp_path):
    path = tmp_path / "gn.csv"
    path.write_text(
        "Référence;Service;Date des faits;Nature;Cotation;Commune\n"
        "P-1;BTA Bruyères;01/10/2025 10:00;Saisie;B2;Bruyères\n"
        "P-2;;01/10/2025 10:00;Saisie;B2;Bruyères\n"
        "P-3;Unité 12;01/10/2025 10:00;Saisie;B2;Bruyères\n",
        encoding="utf-8",
    )
    output = invoke(runner, path).output
    assert "ligne 3, colonne « Service », valeur «  » : service manquant" in output
    assert "ligne 4, colonne « Service », valeur « Unité 12 » : service inconnu" in output
    result = invoke(runner, path, "--agency", "Gendarmerie")
    assert result.exit_code == 0, result.output
    assert {r.agency for r in reports(app).values()} == {"GN"}
    history = runner.invoke(args=["batches", "--decisions", "1"]).output
    assert "« BTA Bruyères » → valeur approchée (mots en plus) → GN [approximation]" in history
    assert "« Unité 12 » → service du fichier retenu → GN [approximation]" in history
    path.write_text(
        "Référence;Service;Date des faits;Nature;Cotation;Commune\nP-4;Douane;01/10/2025 10:00;Saisie;B2;Bruyères\n",
        encoding="utf-8",
    )
    assert "service différent de celui annoncé" in invoke(runner, path, "--agency", "GN").output


def test_points_outside_the_departement_need_the_option(app, runner, tmp_path):
    path = tmp_path / "nancy.csv"
    path.write_text(
        "Référence;Service;Date des faits;Nature;Cotation;Latitude;Longitude\n"
        "N-1;GN;01/10/2025 10:00;Saisie;B2;48,6921;6,1844\n",
        encoding="utf-8",
    )
    result = invoke(runner, path)
    assert result.exit_code == 1 and "hors du département" in result.output
    result = invoke(runner, path, "--allow-outside")
    assert result.exit_code == 0, result.output
    assert reports(app)["N-1"].insee == "54395"
    history = runner.invoke(args=["batches", "--decisions", "1"]).output
    assert "hors du département (accepté)" in history and "[approximation]" in history


def test_unknown_product_gets_suggestions(app, runner, tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text(
        "Référence;Service;Date des faits;Nature;Produit;Cotation;Commune\n"
        "T-1;GN;01/10/2025 10:00;Saisie;cannabis;B2;Épinal\n",
        encoding="utf-8",
    )
    output = invoke(runner, path).output
    assert "produit inconnu : « cannabis »" in output
    assert "Valeurs proches : « Herbe de cannabis », « Résine de cannabis »" in output


@pytest.mark.parametrize(
    "text, read_as",
    [
        ("48.1734, 6.4497", "latitude, longitude"),
        ("48,1734 ; 6,4497", "latitude, longitude"),
        ("6.4497 48.1734", "longitude, latitude"),
        ("48°10'24\"N 6°26'59\"E", "degrés, minutes, secondes"),
        ("956354 6791494", "X, Y Lambert-93"),
    ],
)
def test_geocode_command_answers_each_coordinate_form(runner, text, read_as):
    import json

    result = runner.invoke(args=["geocode", text])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["insee"] == "88160" and read_as in document["read_as"]


@pytest.mark.parametrize(
    "text, error",
    [
        ("48.6921, 6.1844", "outside_departement"),  # Nancy
        ("cp 88200", "ambiguous"),
        ("88160", "ambiguous"),  # Épinal's INSEE code, Le Thillot's postal code
        ("Epinla", "not_found"),
    ],
)
def test_geocode_command_still_refuses(runner, text, error):
    import json

    result = runner.invoke(args=["geocode", text])
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["error"] == error and document["candidates"]
    assert runner.invoke(args=["geocode", "48.6921, 6.1844", "--allow-outside"]).exit_code == 0
