"""The table of reports (/api/reports/table) with 10,000 and 100,000 reports:
first page, next page, a sort, a commune selection, an agency filter, the
sort by place and a search in the references.

Run: .venv/bin/python bench/bench_table.py [--sizes 10000 100000]

Same throw-away instances as bench/bench_api.py. "cold" is the first page
with every cache empty; "after the map" is the first page once the map page
has asked for the same reports (/api/reports?format=compact), which is how
the table is usually reached; the other figures are the answers a user's
clicks then ask for. Every one of them is counted, sorted and cut by the
database (report_table.page_from_database), so the map's cache does not
help them.

Target (issue 12): the table's first page under 300 ms at 100,000 reports.
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_api import build, touch  # noqa: E402  (the same scaled demo data)


def timed(client, url):
    start = time.perf_counter()
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code, response.data[:200])
    return elapsed * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(
        f"{'reports':>8} {'cold':>8} {'after map':>10} {'page 2':>8} {'sort':>8} {'commune':>8} {'agency':>8}"
        f" {'by place':>9} {'ref text':>9}"
    )
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as instance:
            app = build(size, instance)
            client = app.test_client()
            cold = timed(client, "/api/reports/table")
            touch(app)  # empty the caches, as an import would
            timed(client, "/api/reports?format=compact")
            after_map = timed(client, "/api/reports/table")
            page_2 = timed(client, "/api/reports/table?page=2")
            by_commune = timed(client, "/api/reports/table?sort=commune")
            epinal = timed(client, "/api/reports/table?insee=88160")
            agency = timed(client, "/api/reports/table?agencies=GN,DOUANE")
            # Folded text, compared in Python on the columns it needs.
            by_place = timed(client, "/api/reports/table?sort=place")
            ref_text = timed(client, "/api/reports/table?ref=00012")
            print(
                f"{size:>8} {cold:>5.0f} ms {after_map:>7.0f} ms {page_2:>5.0f} ms {by_commune:>5.0f} ms "
                f"{epinal:>5.0f} ms {agency:>5.0f} ms {by_place:>6.0f} ms {ref_text:>6.0f} ms"
            )


if __name__ == "__main__":
    main()
