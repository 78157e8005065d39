"""``crossmap basemap add|list|default|remove``, and the three bad files a
cell may bring: broken, of another region, empty."""

from pathlib import Path

import pytest
from sqlalchemy import select

from tests import basemap_archives as archives
from tests.basemap_archives import archive_files  # noqa: F401 - a fixture
from webmap.db import get_session
from webmap.db.models import AuditEntry


def basemap_folder(app):
    return Path(app.instance_path) / "basemaps"


def test_add_list_default_remove(app, runner, archive_files):  # noqa: F811
    result = runner.invoke(args=["basemap", "list"])
    assert result.exit_code == 0 and "Aucun fond de carte" in result.output

    result = runner.invoke(
        args=[
            "basemap",
            "add",
            str(archive_files["raster"]),
            "--name",
            "Plan IGN 2026",
            "--attribution",
            "IGN – Plan IGN",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "« Plan IGN 2026 » installé : raster png, zooms 6 à 14 (par défaut)" in result.output
    result = runner.invoke(args=["basemap", "add", str(archive_files["vector"]), "--name", "OpenStreetMap"])
    assert result.exit_code == 0, result.output
    assert "vectoriel pbf" in result.output and "(par défaut)" not in result.output

    listing = runner.invoke(args=["basemap", "list"]).output.splitlines()
    assert listing[0].startswith("Plan IGN 2026\traster png\tzooms 6-14\tIGN – Plan IGN") and "par défaut" in listing[0]
    assert listing[1].startswith("OpenStreetMap\tvector pbf") and "© OpenStreetMap (test)" in listing[1]

    assert runner.invoke(args=["basemap", "default", "OpenStreetMap"]).exit_code == 0
    assert "par défaut" in runner.invoke(args=["basemap", "list"]).output.splitlines()[1]

    result = runner.invoke(args=["basemap", "remove", "Plan IGN 2026"])
    assert result.exit_code == 0 and "retiré" in result.output
    assert sorted(p.name for p in basemap_folder(app).iterdir()) == ["basemaps.json", "openstreetmap.pmtiles"]
    with app.app_context():
        actions = get_session().scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["basemap_added", "basemap_added", "basemap_default", "basemap_removed"]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda folder, good: archives.write_broken(folder / "coupe.mbtiles", good["raster"]), "abîmé"),
        (lambda folder, good: archives.write_broken(folder / "coupe.pmtiles", good["vector"]), "tronquée"),
        (
            lambda folder, good: archives.write_mbtiles(folder / "rennes.mbtiles", box=archives.RENNES_BOX),
            "couvre une autre région",
        ),
        (lambda folder, good: archives.write_empty(folder / "vide.pmtiles"), "fichier vide"),
    ],
)
def test_bad_files_get_a_french_error_and_change_nothing(app, runner, archive_files, tmp_path, make, message):  # noqa: F811
    assert runner.invoke(args=["basemap", "add", str(archive_files["raster"]), "--name", "Plan"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in basemap_folder(app).iterdir()}
    bad = make(tmp_path, archive_files)
    result = runner.invoke(args=["basemap", "add", str(bad), "--name", "Autre"])
    assert result.exit_code == 1
    assert "fond de carte refusé, rien n'a changé" in result.output and message in result.output
    assert {p.name: p.read_bytes() for p in basemap_folder(app).iterdir()} == before
