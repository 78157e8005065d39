"""End-to-end latency of /api/hotspots with 10,000 and 100,000 reports in view,
and over "90 jours" (whose hotspots are told from the whole history).

Run: .venv/bin/python bench/bench_api.py [--sizes 10000 100000]

Builds a throw-away instance per size from the demo generator (scaled by
repeating it with jitter and fresh references), then times the first
(uncached) answer and a cached repeat through Flask's test client.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

# The test suite's sign-in helpers live in tests/, beside this folder.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def build(size, instance):
    os.environ["CROSSMAP_INSTANCE_PATH"] = instance
    from analysis.demo import generate_reports
    from geo.crs import to_wgs84
    from geo.reference import load_communes
    from webmap import create_app, db
    from webmap.services.store import add_demo_batch

    app = create_app()
    with app.app_context():
        db.migrate(db.get_engine())
        base, _ = generate_reports(load_communes(), seed=1)
        rng = np.random.default_rng(0)
        copies = []
        for k in range(int(np.ceil(size / len(base)))):
            copy = base.copy()
            if k:
                copy["x_l93"] += rng.normal(0, 30, len(copy))
                copy["y_l93"] += rng.normal(0, 30, len(copy))
                copy["lon"], copy["lat"] = to_wgs84(copy["x_l93"].to_numpy(), copy["y_l93"].to_numpy())
                copy["agency_ref"] = copy["agency_ref"] + f"-{k}"
            copies.append(copy)
        reports = pd.concat(copies, ignore_index=True).head(size)
        session = db.get_session()
        add_demo_batch(session, reports)
        session.commit()
    # The API wants a signed-in user: the test suite's admin will do.
    from tests import signin

    signin.add_test_users(app)
    app.test_client_class = signin.SignedInClient
    return app


def touch(app):
    """Change one report (and back), as an import would."""
    from sqlalchemy import update

    from webmap import db
    from webmap.db.models import Report

    with app.app_context():
        session = db.get_session()
        session.execute(update(Report).where(Report.id == 1).values(summary=Report.summary + ""))
        session.commit()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(
        f"{'reports':>8} {'first ever':>11} {'after a change':>15} {'cached':>9} {'hotspots':>9} {'gzip bytes':>11}"
        f" {'90 days':>9}"
    )
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as instance:
            app = build(size, instance)
            client = app.test_client()
            headers = {"Accept-Encoding": "gzip"}
            # The very first run also mints a name for every hotspot.
            start = time.perf_counter()
            first = client.get("/api/hotspots", headers=headers)
            cold = time.perf_counter() - start
            assert first.status_code == 200, first.status_code
            # Any change to reports drops the cache; names are known by then.
            # This is the latency an analyst sees after each import.
            touch(app)
            start = time.perf_counter()
            client.get("/api/hotspots", headers=headers)
            changed = time.perf_counter() - start
            start = time.perf_counter()
            client.get("/api/hotspots", headers=headers)
            warm = time.perf_counter() - start
            import gzip

            import orjson

            count = len(orjson.loads(gzip.decompress(first.data))["features"])
            # The "90 jours" preset: the period's clustering, the history's
            # footprints, dormant places and trends.
            from datetime import date, timedelta

            today = date.today()
            start = time.perf_counter()
            recent = client.get(f"/api/hotspots?start={today - timedelta(days=89)}&end={today}", headers=headers)
            ninety = time.perf_counter() - start
            assert recent.status_code == 200, recent.status_code
            print(
                f"{size:>8} {cold * 1000:>8.0f} ms {changed * 1000:>12.0f} ms {warm * 1000:>6.1f} ms {count:>9} {len(first.data):>11}"
                f" {ninety * 1000:>6.0f} ms"
            )


if __name__ == "__main__":
    main()
