"""How often the hotspot cards' statuses name the demo's planted places for
what they are (recall), and how often hotspots holding nothing planted get
the same status (false rate), over the whole history and over 90 days.

    .venv/bin/python bench/bench_trends.py [--seeds 0 1 2 3 4 5 88]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "analysis"))

from test_hotspot_trends import EXPECTED, false_rate, outcomes, recall  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5, 88])
    args = parser.parse_args()
    table = outcomes(args.seeds)
    print(f"seeds {args.seeds}")
    print(f"{'period':<8} {'planted kind':<12} {'expected status':<28} {'recall':>12} {'false rate':>10}")
    for period in (None, 90):
        for kind, statuses in EXPECTED.items():
            found, n = recall(table, kind, period)
            if not n:
                continue
            hits = round(found * n)
            print(
                f"{('tout' if period is None else '90 j'):<8} {kind:<12} {'/'.join(sorted(statuses)):<28}"
                f" {hits:>4}/{n:<3} {found:4.0%} {false_rate(table, statuses, period):>9.0%}"
            )
    missing = table[(table["kind"].notna()) & (table["status"] == "-")]
    print("planted places in no hotspot of the period:", missing.groupby(["period"], dropna=False).size().to_dict())


if __name__ == "__main__":
    main()
