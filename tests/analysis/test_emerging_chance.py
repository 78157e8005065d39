"""Do emerging cells beat chance? The exact tests, the study area, the
commune-only reports, the min_count floor of ``hot_`` and the first week's
neighbourhood; then the "Émergents" list on the demo data, against the same
data with shuffled dates, and against the planted truth."""

import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from analysis.emerging import EmergingHotSpots, department_area, emerging_cells, gi_star

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_emerging import measure

CELL = 500.0
MONDAY = pd.Timestamp("2024-01-01 12:00", tz="Europe/Paris")


def reports_at(cells_and_weeks):
    """x, y, times of reports at the centre of cell (i, j) on week w."""
    cells_and_weeks = np.asarray(cells_and_weeks, dtype=float).reshape(-1, 3)
    x = (cells_and_weeks[:, 0] + 0.5) * CELL
    y = (cells_and_weeks[:, 1] + 0.5) * CELL
    times = pd.Series(MONDAY + pd.to_timedelta(cells_and_weeks[:, 2] * 7 + 2, unit="D"))
    return x, y, times


# -- the exact tests ----------------------------------------------------------


def test_permutation_p_values_are_exact_under_shuffled_dates():
    # Six reports in two cells over three weeks. Shuffling the dates among
    # the reports gives 6! orderings: count, for each bin, how often the
    # shuffled count is at least (at most) the observed one.
    x, y, times = reports_at([(0, 0, 0), (0, 0, 2), (0, 0, 2), (0, 0, 2), (1, 0, 0), (1, 0, 1)])
    params = {"window_weeks": None, "neighbourhood": 0, "time_step_neighbours": 0, "fdr": None, "test": "permutation"}
    model = EmergingHotSpots(extent=(0, 0, 2 * CELL, CELL), **params).fit(x, y, times)
    week = np.array([0, 2, 2, 2, 0, 1])
    cell = np.array([0, 0, 0, 0, 1, 1])
    observed = np.zeros((3, 2))
    np.add.at(observed, (week, cell), 1)
    upper = np.zeros((3, 2))
    lower = np.zeros((3, 2))
    orderings = list(itertools.permutations(range(6)))
    for order in orderings:
        shuffled = np.zeros((3, 2))
        np.add.at(shuffled, (week[list(order)], cell), 1)
        upper += shuffled >= observed
        lower += shuffled <= observed
    expected = np.minimum(1, 2 * np.minimum(upper, lower) / len(orderings))
    np.testing.assert_allclose(model.p_, expected, atol=1e-12)


def test_permutation_p_values_match_scipy_on_a_larger_cube():
    # 3,000 reports, a few busy cells: each bin's count against the
    # hypergeometric law of its cell's and its week's totals.
    rng = np.random.default_rng(11)
    n = 3000
    i = np.where(rng.random(n) < 0.3, rng.integers(0, 3, n), rng.integers(0, 30, n))
    j = rng.integers(0, 20, n)
    week = rng.integers(0, 12, n)
    x, y, times = reports_at(np.column_stack([i, j, week]))
    params = {"window_weeks": None, "neighbourhood": 0, "time_step_neighbours": 0, "fdr": None, "test": "permutation"}
    model = EmergingHotSpots(extent=(0, 0, 30 * CELL, 20 * CELL), **params).fit(x, y, times)
    counts = model.counts_
    marked = counts.sum(axis=0)[None, :]
    drawn = counts.sum(axis=1)[:, None]
    upper = stats.hypergeom.sf(counts - 1, n, marked, drawn)
    lower = stats.hypergeom.cdf(counts, n, marked, drawn)
    expected = np.minimum(1, 2 * np.minimum(upper, lower))
    np.testing.assert_allclose(model.p_, expected, rtol=1e-9, atol=1e-12)


def test_poisson_p_values_are_exact():
    # One report alone over a 20 x 20 extent and 4 weeks: the normal
    # approximation makes it significant, the exact Poisson law does not.
    x, y, times = reports_at([(3, 3, 3), (15, 15, 0)])
    common = {"window_weeks": None, "extent": (0, 0, 20 * CELL, 20 * CELL), "fdr": None, "min_count": 1}
    gi = EmergingHotSpots(test="gi", **common).fit(x, y, times)
    poisson = EmergingHotSpots(test="poisson", **common).fit(x, y, times)
    first = np.flatnonzero((gi.cells_ == [3, 3]).all(axis=1))[0]
    mean_count = 2 / (20 * 20 * 4)
    weights = 9 * 2  # 3 x 3 cells, this week and the one before
    assert gi.p_[-1, first] < 0.001
    assert poisson.p_[-1, first] == pytest.approx(2 * stats.poisson.sf(0, mean_count * weights))
    np.testing.assert_allclose(poisson.z_, gi.z_)


# -- the cube ------------------------------------------------------------------


def test_cells_outside_the_area_are_not_in_the_cube():
    # A triangle over a 4 x 4 extent: the cells whose centre lies in it.
    area = shapely.Polygon([(0, 0), (4 * CELL, 0), (0, 4 * CELL)])
    x, y, times = reports_at([(0, 0, 0), (3, 3, 0), (1, 1, 1)])
    model = EmergingHotSpots(area=area, window_weeks=None, neighbourhood=0, time_step_neighbours=0).fit(x, y, times)
    inside = [(i, j) for i in range(4) for j in range(4) if (i + 0.5) + (j + 0.5) < 4]
    assert model.n_bins_ == len(inside) * 2
    assert model.cells_.tolist() == [[0, 0], [1, 1]]  # the report in (3, 3) is outside
    assert model.mean_ == pytest.approx(2 / (len(inside) * 2))


def test_the_departement_is_the_default_area():
    area = department_area()
    # The outline fills about 57 % of its bounding box: the rest would enter
    # the cube as empty cells.
    xmin, ymin, xmax, ymax = area.bounds
    assert 0.5 < area.area / ((xmax - xmin) * (ymax - ymin)) < 0.65


def test_commune_only_reports_stay_out_of_the_list():
    rng = np.random.default_rng(5)
    n = 400
    frame = pd.DataFrame(
        {
            "x_l93": rng.uniform(940_000, 960_000, n),
            "y_l93": rng.uniform(6_780_000, 6_800_000, n),
            "observed_at": MONDAY + pd.to_timedelta(rng.uniform(0, 52 * 7, n), unit="D"),
            "precision": "point",
        }
    )
    # Forty reports stacked on a commune's centre in the last four weeks:
    # as located reports they would be the strongest emerging cell.
    stack = pd.DataFrame(
        {
            "x_l93": 950_250.0,
            "y_l93": 6_790_250.0,
            "observed_at": MONDAY + pd.to_timedelta(rng.uniform(48 * 7, 52 * 7, 40), unit="D"),
            "precision": "commune",
        }
    )
    both = pd.concat([frame, stack], ignore_index=True)
    assert len(emerging_cells(both.assign(precision="point"))) >= 1
    cells = emerging_cells(both)
    assert not ((cells["x"] == 950_250.0) & (cells["y"] == 6_790_250.0)).any()


def test_hot_bins_respect_the_min_count_floor():
    # A lone report in a sparse cube is significant by Gi*, but the floor of
    # two reports keeps it from being hot: hot_ must say the same as the
    # categories.
    rng = np.random.default_rng(88)
    x = np.concatenate([rng.uniform(0, 40_000, 300), [45_250.0]])
    y = np.concatenate([rng.uniform(0, 40_000, 300), [45_250.0]])
    times = pd.Series(
        list(MONDAY + pd.to_timedelta(rng.uniform(0, 26 * 7, 300), unit="D")) + [MONDAY + pd.Timedelta(days=25 * 7 + 2)]
    )
    model = EmergingHotSpots(extent=(0, 0, 50_000, 50_000), min_count=2).fit(x, y, times)
    lone = np.flatnonzero((model.cells_ == [90, 90]).all(axis=1))[0]
    assert model.p_[-1, lone] <= model.alpha and model.z_[-1, lone] > 0
    assert not model.hot_[:, lone].any()
    assert (model.hot_.sum(axis=0) == model.locations_["n_hot_bins"].to_numpy()).all()


@pytest.mark.parametrize("test", ["gi", "permutation"])
def test_no_empty_week_before_the_first_report(test):
    # Two reports a week in one cell from week 0: with window_weeks=None the
    # first week's neighbourhood is that week alone, as in a bare cube, not
    # that week plus an "empty" week before the data begin.
    x, y, times = reports_at([(5, 5, w) for w in range(8) for _ in range(2)] + [(0, 0, 3), (9, 9, 6)])
    extent = (0, 0, 10 * CELL, 10 * CELL)
    model = EmergingHotSpots(window_weeks=None, extent=extent, test=test, fdr=None).fit(x, y, times)
    if test == "gi":
        cube = np.zeros((8, 10, 10))
        np.add.at(cube, (np.r_[np.repeat(np.arange(8), 2), 3, 6], np.r_[[5] * 16, 0, 9], np.r_[[5] * 16, 0, 9]), 1)
        dense = gi_star(cube).z[:, model.cells_[:, 0], model.cells_[:, 1]]
        np.testing.assert_allclose(model.z_, dense, atol=1e-12)
    else:
        # Week 0 holds 2 of the 18 reports, all of them in the 3 x 3 block
        # of (5, 5) but the two lone ones: the block's 16 of 18 reports,
        # drawn 2: the hypergeometric law, with nothing added for week -1.
        block = np.flatnonzero((model.cells_ == [5, 5]).all(axis=1))[0]
        upper = stats.hypergeom.sf(1, 18, 16, 2)
        lower = stats.hypergeom.cdf(2, 18, 16, 2)
        assert model.p_[0, block] == pytest.approx(min(1, 2 * min(upper, lower)))


# -- on the demo data ------------------------------------------------------------

SEEDS = (0, 1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def demo_runs():
    return [measure(seed) for seed in SEEDS]


def test_shuffled_dates_label_at_most_five_percent(demo_runs):
    real = sum(run["labelled_real"] for run in demo_runs)
    shuffled = sum(run["labelled_shuffled"] for run in demo_runs)
    print(f"\nlabelled cells over seeds {SEEDS}: real {real}, dates shuffled {shuffled}")
    # Meaningful only if the real data label something.
    assert real >= len(SEEDS)
    assert shuffled <= 0.05 * real


def test_planted_emerging_places_are_recovered(demo_runs):
    true_cells = sum(run["emerging_true"] for run in demo_runs)
    labelled = sum(run["emerging_labelled"] for run in demo_runs)
    found = sum(run["planted_found"] for run in demo_runs)
    planted = sum(run["planted"] for run in demo_runs)
    precision, recall = true_cells / labelled, found / planted
    print(
        f"\nemerging cells, seeds {SEEDS}: precision {true_cells}/{labelled} = {precision:.2f}, "
        f"recall {found}/{planted} = {recall:.2f}"
    )
    # Levels measured with bench/bench_emerging.py (precision 1.00 and
    # recall 0.34 over seeds 0-7): the planted places add only 2-5 times
    # their background, and many have 3-6 reports, which no test can tell
    # from chance. What is listed must be right.
    assert precision >= 0.9
    assert recall >= 0.25
