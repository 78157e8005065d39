"""End-to-end latency of /api/hotspots with 10,000 and 100,000 reports in view.

Run: .venv/bin/python bench/bench_api.py [--sizes 10000 100000]

Builds a throw-away instance per size from the demo generator (scaled by
repeating it with jitter and fresh references), then times the first
(uncached) answer and a cached repeat through Flask's test client.
"""

import argparse
import os
import tempfile
import time

import numpy as np
import pandas as pd


def build(size, instance):
    os.environ["CROSSMAP_INSTANCE_PATH"] = instance
    from analysis.demo import generate_reports
    from geo.crs import to_wgs84
    from geo.reference import load_communes
    from webmap import create_app, db
    from webmap.store import add_demo_batch

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
    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(f"{'reports':>8} {'first /api/hotspots':>20} {'cached repeat':>14} {'hotspots':>9} {'gzip bytes':>11}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as instance:
            app = build(size, instance)
            client = app.test_client()
            headers = {"Accept-Encoding": "gzip"}
            start = time.perf_counter()
            first = client.get("/api/hotspots", headers=headers)
            cold = time.perf_counter() - start
            start = time.perf_counter()
            client.get("/api/hotspots", headers=headers)
            warm = time.perf_counter() - start
            import gzip

            import orjson

            count = len(orjson.loads(gzip.decompress(first.data))["features"])
            print(f"{size:>8} {cold * 1000:>17.0f} ms {warm * 1000:>11.1f} ms {count:>9} {len(first.data):>11}")


if __name__ == "__main__":
    main()
