"""The forecasting backtest (``analysis.backtest``) on the demo data: hit
rate, PAI and PEI of the DBSCAN hotspots and of the KDE baseline, per window
and on average, for a few seeds and DBSCAN settings.

Run: .venv/bin/python bench/bench_backtest.py [--seeds 0 88] [--eps 250] [--min-samples 5]
                                               [--train-weeks 12] [--grid]

``--grid`` also prints the mean scores for eps 150/250/400 m and
min_samples 3/5/8, the figures the defaults were chosen on.
"""

import argparse
import time
from datetime import datetime

from analysis.backtest import backtest, markdown_table, summary, vosges_l93
from analysis.demo import generate_reports
from geo.reference import load_communes
from webmap.db.models import PARIS

# A fixed end, so that the figures do not move with the day they are run.
END = datetime(2026, 11, 29, 23, 0, tzinfo=PARIS)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[88])
    parser.add_argument("--eps", type=float, default=250.0)
    parser.add_argument("--min-samples", type=int, default=5)
    parser.add_argument("--train-weeks", type=int, default=12)
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args()
    communes = load_communes()
    outline = vosges_l93()
    for seed in args.seeds:
        reports, _ = generate_reports(communes, seed=seed, end=END)
        started = time.perf_counter()
        table = backtest(reports, outline, eps=args.eps, min_samples=args.min_samples, train_weeks=args.train_weeks)
        elapsed = time.perf_counter() - started
        print(
            f"\n## demo seed {seed}: {len(reports)} reports, eps {args.eps:g} m, min_samples {args.min_samples}, "
            f"{args.train_weeks} weeks -> 4 weeks ({elapsed:.2f} s)\n"
        )
        print(markdown_table(table))
        if args.grid:
            print("\n| eps (m) | min_samples | area % | hit rate | PAI | PEI | KDE hit rate | KDE PAI | KDE PEI |")
            print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for eps in (150.0, 250.0, 400.0):
                for min_samples in (3, 5, 8):
                    s = summary(
                        backtest(reports, outline, eps=eps, min_samples=min_samples, train_weeks=args.train_weeks)
                    )
                    print(
                        f"| {eps:g} | {min_samples} | {100 * s['area_share']:.2f} | {100 * s['hit_rate_dbscan']:.1f} % "
                        f"| {s['pai_dbscan']:.1f} | {s['pei_dbscan']:.2f} | {100 * s['hit_rate_kde']:.1f} % "
                        f"| {s['pai_kde']:.1f} | {s['pei_kde']:.2f} |"
                    )


if __name__ == "__main__":
    main()
