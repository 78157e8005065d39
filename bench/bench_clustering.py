"""Wall time and peak memory of crossmap's exact DBSCAN against scikit-learn's.

Run: .venv/bin/python bench/bench_clustering.py [--sizes 10000 100000 1000000]
                                               [--no-sklearn-above 300000]
                                               [--hotspot-size 5000]

Points are synthetic reports in a 100 km square of Lambert-93: gaussian
hotspots of ``--hotspot-size`` reports, 100 to 400 m wide, plus 10 % uniform
noise, from a fixed seed. With the default size a report has about a
thousand others within eps: the dense case where listing neighbour pairs
hurts. A smaller size gives sparser hotspots.
Each algorithm runs in a fresh child process, so its peak resident memory
(ru_maxrss) is its own and nothing is shared or cached between runs; the
table also gives the child's resident memory before clustering (interpreter,
libraries and points). The two results are then compared with
``analysis.clustering.same_dbscan_result``: same core points, same clusters
of core points, same noise, border points in a cluster they touch.

scikit-learn lists every neighbour pair first, about 9 bytes per pair: at a
million such points that is around 10 GB and minutes of work, so it is
skipped above ``--no-sklearn-above``.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEED = 20_240_601
EPS = 250.0
MIN_SAMPLES = 5
EXTENT = 100_000.0
NOISE_SHARE = 0.1
HOTSPOT_SIZE = 5_000
# Lower-left corner of the square, somewhere in the Vosges in Lambert-93.
ORIGIN = (930_000.0, 6_770_000.0)


def synthetic_reports(n, hotspot_size=HOTSPOT_SIZE, seed=SEED):
    """``n`` points: gaussian hotspots (sigma 100-400 m) and uniform noise."""
    rng = np.random.default_rng(seed)
    n_hotspots = max(1, n // hotspot_size)
    centres = rng.uniform(0, EXTENT, (n_hotspots, 2))
    sigma = rng.uniform(100.0, 400.0, n_hotspots)
    n_noise = int(n * NOISE_SHARE)
    which = rng.integers(0, n_hotspots, n - n_noise)
    hotspots = centres[which] + rng.normal(size=(n - n_noise, 2)) * sigma[which, None]
    xy = np.vstack([hotspots, rng.uniform(0, EXTENT, (n_noise, 2))])
    rng.shuffle(xy)
    return xy + ORIGIN


def child(algorithm, n, hotspot_size, out):
    """Cluster in this process and print time and memory as JSON."""
    import resource
    import time

    sys.path.insert(0, str(ROOT))
    if algorithm == "crossmap":
        from analysis.clustering import DBSCAN
    else:
        from sklearn.cluster import DBSCAN
    xy = synthetic_reports(n, hotspot_size)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if algorithm == "crossmap":
        model = DBSCAN(eps=EPS, min_samples=MIN_SAMPLES).fit(xy)
    else:
        # Both cores, as crossmap's KD-tree queries use.
        model = DBSCAN(eps=EPS, min_samples=MIN_SAMPLES, n_jobs=-1).fit(xy)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    np.save(out / f"{algorithm}-labels.npy", model.labels_)
    np.save(out / f"{algorithm}-core.npy", model.core_sample_indices_)
    # ru_maxrss is in kilobytes on Linux.
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak / 1024,
                "before_mb": before / 1024,
                "clusters": int(model.labels_.max()) + 1,
            }
        )
    )


def run(algorithm, n, hotspot_size, out):
    """Run one algorithm in a fresh interpreter; None if it failed."""
    command = [sys.executable, __file__, "--child", algorithm, str(n), str(hotspot_size), str(out)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        print(
            f"  {algorithm} at n={n} failed (exit {result.returncode}): "
            f"{result.stderr.strip().splitlines()[-1:] or ''}",
            file=sys.stderr,
        )
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare(n, hotspot_size, out):
    sys.path.insert(0, str(ROOT))
    from analysis.clustering import same_dbscan_result

    xy = synthetic_reports(n, hotspot_size)
    return same_dbscan_result(
        xy,
        EPS,
        np.load(out / "crossmap-labels.npy"),
        np.load(out / "sklearn-labels.npy"),
        np.load(out / "crossmap-core.npy"),
        np.load(out / "sklearn-core.npy"),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--no-sklearn-above",
        type=int,
        default=300_000,
        help="skip scikit-learn above this many points (default 300000)",
    )
    parser.add_argument(
        "--hotspot-size", type=int, default=HOTSPOT_SIZE, help=f"reports per hotspot (default {HOTSPOT_SIZE})"
    )
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        algorithm, n, hotspot_size, out = args.child
        child(algorithm, int(n), int(hotspot_size), Path(out))
        return

    print(
        f"DBSCAN eps={EPS:g} m, min_samples={MIN_SAMPLES}, synthetic hotspots in a "
        f"{EXTENT / 1000:g} km square, {args.hotspot_size} reports per hotspot, "
        f"{NOISE_SHARE:.0%} noise, seed {SEED}"
    )
    print("Time is wall time of fit(); peak is the child's ru_maxrss; 'base' is its resident memory before fit().")
    header = (
        f"{'n':>9}  {'crossmap s':>10}  {'peak MB':>8}  {'base MB':>8}  "
        f"{'sklearn s':>9}  {'peak MB':>8}  {'base MB':>8}  {'clusters':>8}  agree"
    )
    print(header)
    print("-" * len(header))
    skipped = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            ours = run("crossmap", n, args.hotspot_size, out)
            theirs = None
            if n <= args.no_sklearn_above:
                theirs = run("sklearn", n, args.hotspot_size, out)
            else:
                skipped.append(n)
            agree = "-"
            if ours and theirs:
                agree = "yes" if compare(n, args.hotspot_size, out) else "NO"
        cells = [f"{n:>9}"]
        for result, width in ((ours, 10), (theirs, 9)):
            if result:
                cells += [
                    f"{result['seconds']:>{width}.2f}",
                    f"{result['peak_mb']:>8.0f}",
                    f"{result['before_mb']:>8.0f}",
                ]
            else:
                cells += [
                    f"{'skipped' if result is None and n in skipped else 'failed':>{width}}",
                    f"{'':>8}",
                    f"{'':>8}",
                ]
        clusters = ours["clusters"] if ours else "-"
        cells += [f"{clusters:>8}", agree]
        print("  ".join(cells), flush=True)
    if skipped:
        print(
            f"scikit-learn skipped at n = {', '.join(map(str, skipped))}: it stores every "
            "neighbour pair, gigabytes at that size (see --no-sklearn-above)."
        )


if __name__ == "__main__":
    main()
