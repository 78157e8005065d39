"""Time map snapshots and the briefing pack on the demo data.

Run: .venv/bin/python bench/bench_snapshot.py [--repeat 3]

Builds a throw-away instance with the demo data (seed 88, three years),
then times, through the same functions the web and the command line use:
a 1920×1080 PNG of the whole département, a one-page A4 PDF, the
briefing pack of the last twelve weeks (its default) and of all three years. The first run of each includes
loading the reference data; the figure kept is the median of the repeats.
Targets: PNG under 2 s, one-page PDF under 3 s, briefing pack under 8 s.
"""

import argparse
import os
import statistics
import tempfile
import time
from datetime import date, timedelta


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        os.environ["CROSSMAP_INSTANCE_PATH"] = instance
        from webmap import create_app, db

        app = create_app()
        with app.app_context():
            db.migrate(db.get_engine())
        result = app.test_cli_runner().invoke(args=["demo", "--seed", "88"])
        assert result.exit_code == 0, result.output
        print(result.output.splitlines()[0])

        from webmap.services.snapshots import (
            make_briefing,
            make_snapshot,
            parse_snapshot_request,
        )

        def png():
            request = parse_snapshot_request({}, known_agencies=codes)
            return make_snapshot(db.get_session(), request, output="png", author="bench").png()

        def pdf():
            request = parse_snapshot_request({"paper": "A4"}, known_agencies=codes)
            return make_snapshot(db.get_session(), request, output="pdf", author="bench").pdf()

        def briefing():
            request = parse_snapshot_request({}, known_agencies=codes)
            return make_briefing(db.get_session(), request, author="bench")

        def briefing_all():
            start = (date.today() - timedelta(days=3 * 365)).isoformat()
            request = parse_snapshot_request({"start": start}, known_agencies=codes)
            return make_briefing(db.get_session(), request, author="bench")

        with app.app_context():
            codes = [a["code"] for a in app.config["AGENCIES"]]
            for name, build, target in (
                ("PNG 1920×1080", png, 2.0),
                ("PDF A4, one page", pdf, 3.0),
                ("briefing pack", briefing, 8.0),
                ("briefing, 3 years", briefing_all, 8.0),
            ):
                times, size = [], 0
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    size = len(build())
                    times.append(time.perf_counter() - started)
                median = statistics.median(times)
                verdict = "ok" if median < target else "TOO SLOW"
                print(
                    f"{name:18s} median {median:5.2f} s (first {times[0]:5.2f} s, target < {target:g} s, "
                    f"{size / 1024:,.0f} KiB) {verdict}"
                )


if __name__ == "__main__":
    main()
