"""Emerging cells on the demo data: do they beat chance, do they find the
planted places?

For each seed, the demo data (3 years) are analysed as the "Émergents" list
does (``analysis.emerging.emerging_cells``), then again with the report dates
shuffled across reports (same places, same dates, no link between them).
Prints the labelled cells real vs shuffled, and the precision and recall of
the cells labelled as emerging against the planted emerging places.

Run: PYTHONPATH=. python bench/bench_emerging.py [--seeds 0 1 2 ...] [--param value ...]
"""

import argparse
import json
import time

import numpy as np
import pandas as pd

from analysis.demo import generate_reports
from analysis.emerging import emerging_cells
from geo.reference import load_communes

# A fixed end, so that the figures do not move with today's date.
END = pd.Timestamp("2026-11-29 23:00", tz="Europe/Paris").to_pydatetime()
#: Categories that say "this is new": what an emerging place should get.
EMERGING = ("new", "consecutive", "intensifying")
#: A labelled cell belongs to a planted place when its centre is this close
#: (a 500 m cell's half-diagonal plus the place's scatter).
MATCH_M = 600.0
#: Recall is also given for the planted places with at least this many
#: reports: below it, no test can tell a place from chance.
SUBSTANTIAL = 8


def shuffled_dates(reports, seed):
    """The same reports with their dates permuted among them."""
    rng = np.random.default_rng(seed)
    shuffled = reports.copy()
    shuffled["observed_at"] = reports["observed_at"].to_numpy()[rng.permutation(len(reports))]
    return shuffled


def recovery(cells, truth, kind="emerging", categories=EMERGING):
    """(true positives, labelled, planted found, planted, substantial planted
    found, substantial planted) of ``kind``."""
    places = [h for h in truth["hotspots"] if h["kind"] == kind]
    labelled = cells[cells["category"].isin(categories)]
    if not places:
        return 0, len(labelled), 0, 0, 0, 0
    px = np.array([h["x_l93"] for h in places])
    py = np.array([h["y_l93"] for h in places])
    substantial = np.array([len(h["agency_refs"]) >= SUBSTANTIAL for h in places])
    distance = np.hypot(labelled["x"].to_numpy()[:, None] - px, labelled["y"].to_numpy()[:, None] - py)
    close = distance <= MATCH_M
    found = close.any(axis=0)
    return (
        int(close.any(axis=1).sum()),
        len(labelled),
        int(found.sum()),
        len(places),
        int((found & substantial).sum()),
        int(substantial.sum()),
    )


def measure(seed, **params):
    reports, truth = generate_reports(load_communes(), seed=seed, end=END)
    started = time.perf_counter()
    real = emerging_cells(reports, **params)
    elapsed = time.perf_counter() - started
    fake = emerging_cells(shuffled_dates(reports, seed), **params)
    tp, labelled, found, planted, found_big, planted_big = recovery(real, truth)
    return {
        "seed": seed,
        "reports": len(reports),
        "labelled_real": len(real),
        "labelled_shuffled": len(fake),
        "emerging_labelled": labelled,
        "emerging_true": tp,
        "planted_found": found,
        "planted": planted,
        "substantial_found": found_big,
        "substantial": planted_big,
        "categories": real["category"].value_counts().to_dict(),
        "seconds": round(elapsed, 3),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(8)))
    parser.add_argument("--params", default="{}", help='JSON overrides of CELL_LIST_PARAMS, e.g. \'{"fdr": "week"}\'')
    args = parser.parse_args()
    params = json.loads(args.params)
    rows = [measure(seed, **params) for seed in args.seeds]
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    real = sum(r["labelled_real"] for r in rows)
    fake = sum(r["labelled_shuffled"] for r in rows)
    tp = sum(r["emerging_true"] for r in rows)
    labelled = sum(r["emerging_labelled"] for r in rows)
    found = sum(r["planted_found"] for r in rows)
    planted = sum(r["planted"] for r in rows)
    print(
        f"labelled cells, real data: {real} ({real / len(rows):.1f} a seed); dates shuffled: {fake} "
        f"({100 * fake / max(real, 1):.1f} % of real)"
    )
    found_big = sum(r["substantial_found"] for r in rows)
    planted_big = sum(r["substantial"] for r in rows)
    print(
        f"emerging cells: precision {tp}/{labelled} = {tp / max(labelled, 1):.2f}; "
        f"planted emerging places found (recall) {found}/{planted} = {found / max(planted, 1):.2f}; "
        f"those with {SUBSTANTIAL}+ reports {found_big}/{planted_big} = {found_big / max(planted_big, 1):.2f}"
    )


if __name__ == "__main__":
    main()
