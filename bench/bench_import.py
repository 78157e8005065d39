"""Import 100,000 realistic rows into an empty database, then import the same
file again, and print how long each took.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--seed 88]

The mix follows what agencies send: 60 % coordinates, 20 % street addresses
(the online geocoder off, so they fall back to their commune) and 20 % commune
names written every which way. Target on a 2-core machine: under 20 s for the
first import, under 10 s for the re-import that changes nothing.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.reference import load_communes  # noqa: E402

SEED = 88
CATEGORIES = ["Point de deal", "Saisie", "Interpellation", "Renseignement", "Surveillance"]
SUBSTANCES = ["Résine", "Herbe", "Cocaïne", "Héroïne", "", "Résine, cocaïne"]
AGENCIES = ["GN", "PN-SP", "PJ", "DOUANE", "GIR", "PAF"]
STREETS = ["rue de la Gare", "avenue de la Gare", "place du Marché", "rue du Général Leclerc", "chemin des Prés"]


def spellings(name):
    """The ways agencies write one commune name."""
    upper = name.upper()
    plain = name.replace("-", " ")
    return [name, upper, plain, name.replace("Saint-", "St-")]


def make_file(path, rows, seed):
    rng = np.random.default_rng(seed)
    communes = load_communes()
    points = communes.geometry.representative_point()
    header = "Référence;Service;Date des faits;Nature;Produit;Quantité;Unité;Cotation;Commune;Adresse;Latitude;Longitude;Résumé"
    lines = [header]
    kinds = rng.choice(3, size=rows, p=[0.6, 0.2, 0.2])
    picks = rng.integers(0, len(communes), size=rows)
    days = rng.integers(0, 3 * 365, size=rows)
    minutes = rng.integers(0, 24 * 60, size=rows)
    jitter = rng.normal(0, 0.002, size=(rows, 2))
    for i in range(rows):
        commune = communes.iloc[picks[i]]
        day = np.datetime64("2023-01-01") + int(days[i])
        y, m, d = str(day).split("-")
        when = f"{d}/{m}/{y} {minutes[i] // 60:02d}:{minutes[i] % 60:02d}"
        category = CATEGORIES[i % len(CATEGORIES)]
        substance = SUBSTANCES[i % len(SUBSTANCES)] if category in ("Point de deal", "Saisie") else ""
        quantity, unit = (f"{(i % 500) / 10:.1f}".replace(".", ","), "g") if category == "Saisie" else ("", "")
        grading = "ABCDEF"[i % 6] + str(1 + i % 6)
        name, address, lat, lon = "", "", "", ""
        if kinds[i] == 0:
            point = points.iloc[picks[i]]
            lon = f"{point.x + jitter[i, 0] * 0.1:.6f}".replace(".", ",")
            lat = f"{point.y + jitter[i, 1] * 0.1:.6f}".replace(".", ",")
        elif kinds[i] == 1:
            name, address = commune["name"], f"{1 + i % 80} {STREETS[i % len(STREETS)]}"
        else:
            name = spellings(commune["name"])[i % 4]
        agency = AGENCIES[i % len(AGENCIES)]
        lines.append(
            f"{agency}-{i:07d};{agency};{when};{category};{substance};{quantity};{unit};{grading};"
            f"{name};{address};{lat};{lon};Signalement fictif n° {i}"
        )
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=SEED)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        os.environ["CROSSMAP_INSTANCE_PATH"] = str(folder / "instance")
        from webmap import create_app, db
        from webmap.services import importer

        source = folder / "reports.csv"
        started = time.perf_counter()
        make_file(source, arguments.rows, arguments.seed)
        print(
            f"file: {arguments.rows:,} rows, {source.stat().st_size / 1e6:.1f} MB, "
            f"written in {time.perf_counter() - started:.1f} s"
        )

        app = create_app()
        with app.app_context():
            db.migrate(db.get_engine())
            started = time.perf_counter()
            geocoder = importer.geocoder_from_config(app.config)
            print(f"geocoder built in {time.perf_counter() - started:.1f} s (once per process)")
            for attempt in ("first import", "re-import"):
                session = db.get_session()
                stages = {}
                last = [time.perf_counter(), None]

                def progress(stage, done, total, stages=stages, last=last):
                    now = time.perf_counter()
                    if last[1] is not None:
                        stages[last[1]] = stages.get(last[1], 0) + now - last[0]
                    last[:] = [now, stage]

                started = time.perf_counter()
                options = importer.ImportOptions(max_rows=None, max_bytes=None, created_by="bench")
                result = importer.import_file(
                    session,
                    source,
                    geocoder=geocoder,
                    known_agencies=app.config["AGENCIES"],
                    options=options,
                    progress=progress,
                )
                session.commit()
                elapsed = time.perf_counter() - started
                stages[last[1]] = stages.get(last[1], 0) + time.perf_counter() - last[0]
                detail = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in stages.items())
                print(
                    f"{attempt}: {elapsed:.1f} s — {result.added:,} added, {result.updated:,} updated, "
                    f"{result.unchanged:,} unchanged, {result.rejected:,} rejected ({detail})"
                )
                db.close_session()


if __name__ == "__main__":
    main()
