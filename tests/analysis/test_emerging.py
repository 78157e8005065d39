"""Emerging hot spot analysis: Gi*, Mann-Kendall, FDR and the categories,
checked on inputs small enough to verify by hand."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.emerging import (
    CATEGORIES,
    EmergingHotSpots,
    classify,
    classify_series,
    emerging_hotspots,
    gi_star,
    mann_kendall,
    week_start,
)

SEED = 88
CELL = 500.0
EXTENT = (0.0, 0.0, 20_000.0, 20_000.0)  # 40 x 40 cells
# Sunday 2024-06-30, the last day of the final analysed week.
END = pd.Timestamp("2024-06-30")
N_WEEKS = 40
# Monday of the first of the 40 weeks ending with END's week.
FIRST_MONDAY = pd.Timestamp("2024-06-24") - pd.Timedelta(weeks=N_WEEKS - 1)


# -- classify ----------------------------------------------------------------

H, C, _ = "H", "C", "."


def flags(pattern):
    """'..HH' -> hot flags, cold flags."""
    return np.array([c == H for c in pattern]), np.array([c == C for c in pattern])


@pytest.mark.parametrize(
    ("pattern", "trend_p", "trend_sign", "expected"),
    [
        ("........H", 1.0, 0, "new"),
        ("..C.....H", 1.0, 0, "new"),  # Esri's "new" says nothing of cold weeks
        (".....HHHH", 1.0, 0, "consecutive"),
        (".......HH", 1.0, 0, "consecutive"),
        ("..H...HHH", 1.0, 0, "sporadic"),  # hot before the run
        ("HHHHHHHHHH", 0.01, 1, "intensifying"),
        (".HHHHHHHHH", 0.01, 1, "intensifying"),  # exactly 90 %
        ("HHHHHHHHHH", 0.20, 1, "persistent"),  # trend not significant
        ("HHHH.HHHHH", 1.0, 0, "persistent"),
        ("HHHHHHHHHH", 0.01, -1, "diminishing"),
        ("..HHHHHHHH", 1.0, 0, "consecutive"),  # 80 %: not yet persistent
        ("H.H.H.H..H", 1.0, 0, "sporadic"),
        ("H.H.C.H..H", 1.0, 0, "oscillating"),
        ("HHHHHHHHH.", 1.0, 0, "historical"),
        ("HHHHHHHH..", 1.0, 0, "no_pattern"),  # 80 % and not hot at the end
        ("H........", 1.0, 0, "no_pattern"),
        ("..........", 1.0, 0, "no_pattern"),
        ("........C", 1.0, 0, "new_cold"),
        ("CCCCCCCCCC", 0.01, -1, "intensifying_cold"),  # colder and colder
        ("CCCCCCCCCC", 0.01, 1, "diminishing_cold"),
        ("H", 1.0, 0, "new"),
    ],
)
def test_classify_esri_rules(pattern, trend_p, trend_sign, expected):
    hot, cold = flags(pattern)
    assert classify(hot, cold, trend_p, trend_sign) == expected


def test_classify_prefers_hot_categories():
    # Historical hot spot and new cold spot at once: the hot one wins.
    hot, cold = flags("HHHHHHHHHC")
    assert classify(hot, cold, 1.0, 0) == "historical"


def test_classify_ninety_percent_is_exact_in_floating_point():
    # 0.9 * 70 is 63.00000000000001: 63 hot weeks of 70 are 90 %.
    hot = np.ones(70, bool)
    hot[:7] = False
    assert classify(hot, np.zeros(70, bool), 1.0, 0) == "persistent"


def test_classify_columns_match_single_series():
    patterns = [".........H", "......HHHH", "HHHHHHHHHH", "H.H.C.H..H", "HHHHHHHHH."]
    trend_p = np.array([1.0, 1.0, 0.01, 1.0, 1.0])
    trend_sign = np.array([0, 0, -1, 0, 0])
    hot = np.column_stack([flags(p)[0] for p in patterns])
    cold = np.column_stack([flags(p)[1] for p in patterns])
    together = classify(hot, cold, trend_p, trend_sign)
    one_by_one = [classify(*flags(p), q, s) for p, q, s in zip(patterns, trend_p, trend_sign)]
    assert list(together) == one_by_one == ["new", "consecutive", "diminishing", "oscillating", "historical"]
    assert set(together) <= set(CATEGORIES)


@pytest.mark.parametrize(
    ("hot", "cold", "kwargs"),
    [
        ([True, False], [True, False], {}),  # hot and cold at once
        ([True, False], [False], {}),
        ([], [], {}),
        ([True], [False], {"persistence": 0}),
    ],
)
def test_classify_bad_arguments(hot, cold, kwargs):
    with pytest.raises(ValueError):
        classify(hot, cold, 1.0, 0, **kwargs)


# -- Gi* ---------------------------------------------------------------------


def test_gi_star_by_hand():
    # One row of 3 cells, 2 weeks: n = 6 bins, total 3, sum of squares 5.
    cube = np.array([[[1, 0, 0]], [[0, 2, 0]]])
    s = math.sqrt(5 / 6 - 0.5**2)
    z = gi_star(cube, neighbourhood=1, time_step_neighbours=1).z
    # Week 1, cell 0: cells 0-1 of weeks 0-1, W = 4, sum = 3.
    assert z[1, 0, 0] == pytest.approx((3 - 0.5 * 4) / (s * math.sqrt((6 * 4 - 4**2) / 5)))
    # Week 0, cell 2: cells 1-2 of week 0 only (no earlier week), W = 2, sum = 0.
    assert z[0, 0, 2] == pytest.approx((0 - 0.5 * 2) / (s * math.sqrt((6 * 2 - 2**2) / 5)))
    # Without time neighbours, week 1 cell 0 sees cells 0-1 of week 1: W = 2, sum = 2.
    z0 = gi_star(cube, neighbourhood=1, time_step_neighbours=0).z
    assert z0[1, 0, 0] == pytest.approx((2 - 0.5 * 2) / (s * math.sqrt((6 * 2 - 2**2) / 5)))


def brute_force_gi_star(cube, ring, lags):
    cube = np.asarray(cube, float)
    n = cube.size
    mean = cube.mean()
    s = math.sqrt((cube**2).mean() - mean**2)
    weeks, rows, cols = cube.shape
    z = np.zeros(cube.shape)
    for t, r, c in itertools.product(range(weeks), range(rows), range(cols)):
        block = cube[max(t - lags, 0) : t + 1, max(r - ring, 0) : r + ring + 1, max(c - ring, 0) : c + ring + 1]
        w = block.size
        z[t, r, c] = (block.sum() - mean * w) / (s * math.sqrt((n * w - w**2) / (n - 1)))
    return z


@pytest.mark.parametrize(("ring", "lags"), [(1, 1), (0, 0), (2, 1), (1, 3)])
def test_gi_star_matches_brute_force(ring, lags):
    cube = np.random.default_rng(SEED).poisson(0.3, size=(6, 7, 8))
    before = cube.copy()
    result = gi_star(cube, neighbourhood=ring, time_step_neighbours=lags)
    np.testing.assert_allclose(result.z, brute_force_gi_star(cube, ring, lags), atol=1e-12)
    np.testing.assert_allclose(result.p, 2 * stats.norm.sf(np.abs(result.z)))
    np.testing.assert_array_equal(cube, before)


def test_gi_star_of_a_flat_cube_is_zero():
    result = gi_star(np.zeros((3, 4, 4)))
    assert (result.z == 0).all() and (result.p == 1).all()


def test_gi_star_bad_arguments():
    with pytest.raises(ValueError, match="3 dimensions"):
        gi_star(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="neighbourhood"):
        gi_star(np.zeros((1, 4, 4)), neighbourhood=-1)


def test_cube_z_scores_match_dense_gi_star():
    """The location-only computation of the model equals the dense one."""
    rng = np.random.default_rng(SEED)
    n = 400
    i = rng.integers(0, 12, n)
    j = rng.integers(0, 10, n)
    week = rng.integers(0, 9, n)
    x, y = (i + 0.5) * CELL, (j + 0.5) * CELL
    times = pd.Series(FIRST_MONDAY + pd.to_timedelta(week * 7 + 2, unit="D")).dt.tz_localize("Europe/Paris")
    model = EmergingHotSpots(window_weeks=9, end=times.max(), extent=(0, 0, 12 * CELL, 10 * CELL)).fit(x, y, times)

    cube = np.zeros((9, 12, 10))
    np.add.at(cube, (week, i, j), 1)
    dense = gi_star(cube).z[:, model.cells_[:, 0], model.cells_[:, 1]]
    # Week 0 is the first report's: the week before is outside the data, so
    # the model cuts its neighbourhood short as a bare cube does.
    np.testing.assert_allclose(model.z_, dense, atol=1e-12)
    assert model.n_bins_ == cube.size
    assert model.mean_ == pytest.approx(cube.mean())
    assert model.std_ == pytest.approx(cube.std())
    np.testing.assert_array_equal(model.counts_, cube[:, model.cells_[:, 0], model.cells_[:, 1]])


# -- Mann-Kendall ------------------------------------------------------------


def test_mann_kendall_by_hand():
    # Pairs of [1, 2, 3, 2, 5]: 8 up, 1 down, 1 tie -> S = 7. One pair of
    # tied 2s: var = (5*4*15 - 2*1*9) / 18.
    result = mann_kendall([1, 2, 3, 2, 5])
    assert result.s == 7
    assert result.tau == pytest.approx(0.7)
    assert result.z == pytest.approx(6 / math.sqrt(282 / 18))
    assert result.p == pytest.approx(2 * stats.norm.sf(6 / math.sqrt(282 / 18)))


def test_mann_kendall_without_ties_matches_kendall_tau():
    series = np.random.default_rng(SEED).normal(size=30)
    result = mann_kendall(series)
    assert result.tau == pytest.approx(stats.kendalltau(np.arange(30), series).statistic)
    assert result.z == pytest.approx((result.s - np.sign(result.s)) / math.sqrt(30 * 29 * 65 / 18))


def test_mann_kendall_columns_are_independent():
    rng = np.random.default_rng(SEED)
    series = rng.integers(0, 4, size=(20, 5)).astype(float)  # many ties
    together = mann_kendall(series)
    for k in range(5):
        alone = mann_kendall(series[:, k])
        assert together.s[k] == alone.s
        assert together.z[k] == pytest.approx(alone.z)


def test_mann_kendall_of_a_constant_series():
    result = mann_kendall([3.0] * 8)
    assert (result.s, result.z, result.p) == (0, 0, 1)


def test_mann_kendall_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        mann_kendall([1.0, np.nan, 2.0])


# -- weeks -------------------------------------------------------------------


def test_weeks_are_cut_on_paris_local_dates():
    times = [
        pd.Timestamp("2024-03-10 23:30+01:00"),  # Sunday night in Paris
        pd.Timestamp("2024-03-11 00:30+01:00"),  # Monday
        pd.Timestamp("2024-03-31 23:30+02:00"),  # Sunday, summer time
    ]
    assert list(week_start(times).astype(str)) == ["2024-03-04", "2024-03-11", "2024-03-25"]
    # Naive values, numpy datetime64 included, are UTC: 23:30 UTC on Sunday
    # 10 March is Monday 00:30 in Paris.
    naive = np.array(["2024-03-10T22:30", "2024-03-10T23:30"], dtype="datetime64[ns]")
    assert list(week_start(naive).astype(str)) == ["2024-03-04", "2024-03-11"]


# -- end to end --------------------------------------------------------------


def at_cell(i, j, weekly_counts, weeks=None):
    """Reports at the centre of cell (i, j), ``weekly_counts[k]`` of them on
    the Wednesday of week ``weeks[k]`` (default: the last weeks)."""
    weekly_counts = np.asarray(weekly_counts)
    if weeks is None:
        weeks = np.arange(N_WEEKS - len(weekly_counts), N_WEEKS)
    week = np.repeat(weeks, weekly_counts)
    times = FIRST_MONDAY + pd.to_timedelta(week * 7 + 2, unit="D") + pd.Timedelta(hours=14)
    return np.full(week.size, (i + 0.5) * CELL), np.full(week.size, (j + 0.5) * CELL), list(times)


PLANTED = {
    # (i, j): (expected category, weekly counts of the last weeks)
    (5, 5): ("new", [8]),
    (5, 15): ("consecutive", [6] * 6),
    (5, 25): ("persistent", [6] * N_WEEKS),
    (15, 5): ("intensifying", np.linspace(3, 9, 26).round().astype(int)),
    (15, 15): ("diminishing", np.linspace(9, 3, 26).round().astype(int)),
    (15, 25): ("historical", [6] * 30 + [0, 0]),
    (25, 5): ("sporadic", [6, 0, 0] * 8 + [0, 6]),
}


@pytest.fixture(scope="module")
def planted_reports():
    parts = [at_cell(i, j, counts) for (i, j), (_, counts) in PLANTED.items()]
    # Scattered single reports far from the planted cells, all weeks.
    rng = np.random.default_rng(SEED)
    n = 150
    x = rng.uniform(15_000, 20_000, n)
    y = rng.uniform(0, 20_000, n)
    times = FIRST_MONDAY + pd.to_timedelta(rng.uniform(0, N_WEEKS * 7, n), unit="D")
    x_all = np.concatenate([p[0] for p in parts] + [x])
    y_all = np.concatenate([p[1] for p in parts] + [y])
    times_all = pd.Series([t for p in parts for t in p[2]] + list(times)).dt.tz_localize("Europe/Paris")
    return x_all, y_all, times_all


def test_planted_patterns_get_their_category(planted_reports):
    x, y, times = planted_reports
    result = emerging_hotspots(x, y, times, end=END, extent=EXTENT).set_index(["i", "j"])
    found = {cell: result.loc[cell, "category"] for cell in PLANTED}
    assert found == {cell: category for cell, (category, _) in PLANTED.items()}


def test_result_columns_and_counts(planted_reports):
    x, y, times = planted_reports
    result = emerging_hotspots(x, y, times, end=END, extent=EXTENT)
    assert list(result.columns) == [
        "i", "j", "x", "y", "category", "n_hot_bins", "n_cold_bins", "final_z", "final_p",
        "trend_tau", "trend_z", "trend_p", "count", "count_recent",
    ]  # fmt: skip
    row = result.set_index(["i", "j"]).loc[(5, 15)]
    assert (row["x"], row["y"]) == (2750.0, 7750.0)
    assert (row["count"], row["count_recent"], row["n_hot_bins"]) == (36, 24, 6)
    # The persistent cell had reports before the window: only 26 weeks count.
    assert result.set_index(["i", "j"]).loc[(5, 25), "count"] == 6 * 26


def test_lone_report_is_not_a_hot_spot_by_default():
    # Sparse data: 300 scattered reports over 100 x 100 cells and 26 weeks,
    # so that one report alone already has a z-score above 8.
    rng = np.random.default_rng(SEED)
    x_lone, y_lone, t_lone = at_cell(90, 90, [1])
    x = np.concatenate([rng.uniform(0, 40_000, 300), x_lone])
    y = np.concatenate([rng.uniform(0, 40_000, 300), y_lone])
    times = pd.Series(list(FIRST_MONDAY + pd.to_timedelta(rng.uniform(0, N_WEEKS * 7, 300), unit="D")) + t_lone)
    extent = (0, 0, 50_000, 50_000)
    default = emerging_hotspots(x, y, times, end=END, extent=extent).set_index(["i", "j"])
    esri = emerging_hotspots(x, y, times, end=END, extent=extent, min_count=1).set_index(["i", "j"])
    assert esri.loc[(90, 90), "final_z"] > 8
    assert esri.loc[(90, 90), "category"] == "new"
    assert default.loc[(90, 90), "category"] == "no_pattern"


def test_whole_history_window(planted_reports):
    x, y, times = planted_reports
    model = EmergingHotSpots(window_weeks=None, end=END, extent=EXTENT).fit(x, y, times)
    assert len(model.weeks_) == N_WEEKS
    assert model.weeks_[0] == FIRST_MONDAY
    result = model.locations_.set_index(["i", "j"])
    # 6 hot weeks of 40 instead of 26: still a clean run at the end.
    assert result.loc[(5, 15), "category"] == "consecutive"
    assert result.loc[(5, 25), "category"] == "persistent"


def test_reports_after_end_are_ignored(planted_reports):
    x, y, times = planted_reports
    early_end = END - pd.Timedelta(weeks=2)
    model = EmergingHotSpots(end=early_end, extent=EXTENT).fit(x, y, times)
    assert model.weeks_[-1] == pd.Timestamp("2024-06-10")
    result = model.locations_.set_index(["i", "j"])
    assert (5, 5) not in result.index  # its only reports came later
    assert result.loc[(15, 25), "category"] == "persistent"  # not yet historical
    assert result.loc[(15, 25), "n_hot_bins"] == 26


def test_fdr_modes(planted_reports):
    x, y, times = planted_reports
    raw = EmergingHotSpots(end=END, extent=EXTENT, fdr=None).fit(x, y, times).p_
    cube = EmergingHotSpots(end=END, extent=EXTENT, fdr="cube").fit(x, y, times).p_
    week = EmergingHotSpots(end=END, extent=EXTENT, fdr="week").fit(x, y, times).p_
    np.testing.assert_allclose(cube, benjamini_hochberg(raw.ravel()).reshape(raw.shape))
    np.testing.assert_allclose(week, np.vstack([benjamini_hochberg(row) for row in raw]))


def benjamini_hochberg(p):
    """Adjusted p-values written out: p_(k) * m / k, made monotone from the top."""
    p = np.asarray(p, float)
    order = np.argsort(p)
    m = p.size
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1].clip(max=1)
    result = np.empty(m)
    result[order] = adjusted
    return result


def test_benjamini_hochberg_by_hand():
    # Sorted 0.005, 0.01, 0.03, 0.04 times 4/1, 4/2, 4/3, 4/4.
    expected = [0.02, 0.04, 0.04, 0.02]
    np.testing.assert_allclose(benjamini_hochberg([0.01, 0.04, 0.03, 0.005]), expected)
    np.testing.assert_allclose(stats.false_discovery_control([0.01, 0.04, 0.03, 0.005]), expected)


def test_classify_zone_and_counts(planted_reports):
    x, y, times = planted_reports
    model = EmergingHotSpots(end=END, extent=EXTENT).fit(x, y, times)
    # A "DBSCAN hotspot" spread over two cells, one of them the consecutive one.
    zone = model.classify_zone([2750.0, 3250.0], [7750.0, 7750.0])
    assert zone["category"] == "consecutive"
    assert zone["n_hot_bins"] == 6
    weekly = pd.Series([4] * 6, index=model.weeks_[-6:])
    assert model.classify_counts(weekly, 2)["category"] == "consecutive"


def test_classify_series_with_and_without_counts():
    z = [0.0] * 6 + [4.0, 5.0, 6.0]
    assert classify_series(z)["category"] == "consecutive"
    assert classify_series(z, counts=[0] * 6 + [1, 1, 2])["category"] == "new"


def test_inputs_are_not_modified(planted_reports):
    x, y, times = planted_reports
    x_before, y_before, times_before = x.copy(), y.copy(), times.copy()
    emerging_hotspots(x, y, times, end=END, extent=EXTENT)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)
    pd.testing.assert_series_equal(times, times_before)


def test_ten_thousand_reports_over_three_years():
    rng = np.random.default_rng(SEED)
    n = 10_000
    x = rng.uniform(900_000, 1_000_000, n)
    y = rng.uniform(6_750_000, 6_830_000, n)
    times = pd.Timestamp("2022-01-03", tz="Europe/Paris") + pd.to_timedelta(rng.uniform(0, 160 * 7, n), unit="D")
    result = emerging_hotspots(x, y, pd.Series(times), window_weeks=None)
    assert result["count"].sum() == n
    assert set(result["category"]) <= set(CATEGORIES)


@pytest.mark.parametrize(
    "params",
    [
        {"cell_size": 0},
        {"window_weeks": 0},
        {"window_weeks": 2.5},
        {"neighbourhood": -1},
        {"time_step_neighbours": -1},
        {"alpha": 1.5},
        {"fdr": "bonferroni"},
        {"persistence": 1.2},
        {"min_count": 0},
        {"extent": (10, 0, 0, 10)},
        {"test": "normal"},
        {"area": (0, 0, 10, 10)},
    ],
)
def test_bad_parameters(params):
    with pytest.raises(ValueError):
        emerging_hotspots([0.0], [0.0], pd.Series([END]), **params)


def test_bad_data():
    with pytest.raises(ValueError, match="same length"):
        emerging_hotspots([0.0, 1.0], [0.0], pd.Series([END]))
    with pytest.raises(ValueError, match="missing"):
        emerging_hotspots([0.0], [0.0], pd.Series([pd.NaT]))
    with pytest.raises(ValueError, match="no reports"):
        emerging_hotspots([], [], pd.Series([], dtype="datetime64[ns]"))


def test_empty_period_with_end():
    result = emerging_hotspots([], [], pd.Series([], dtype="datetime64[ns]"), end=END)
    assert result.empty and "category" in result.columns


def test_classify_zones_agrees_with_classify_zone_one_by_one():
    from analysis.demo import generate_reports
    from analysis.hotspots import cluster_reports, summarise
    from geo.reference import load_communes

    reports, _ = generate_reports(load_communes(), seed=2, years=2)
    reports["id"] = np.arange(len(reports))
    spots = summarise(reports, cluster_reports(reports))
    model = EmergingHotSpots(window_weeks=52, min_count=2).fit(
        reports["x_l93"], reports["y_l93"], reports["observed_at"]
    )
    x, y = reports["x_l93"].to_numpy(), reports["y_l93"].to_numpy()
    one_by_one = [model.classify_zone(x[s.report_ids], y[s.report_ids])["category"] for s in spots]
    members = np.concatenate([s.report_ids for s in spots])
    zone = np.repeat(np.arange(len(spots)), [s.count for s in spots])
    assert model.classify_zones(x[members], y[members], zone).tolist() == one_by_one
    assert len(set(one_by_one)) > 1


@pytest.mark.parametrize("test", ["gi", "poisson", "permutation"])
def test_a_built_cube_classifies_zones_as_a_fitted_one(planted_reports, test):
    # Hotspot trends build the cube without testing every cell: their zones
    # must come out exactly as from the full fit.
    x, y, times = planted_reports
    params = {"end": END, "extent": EXTENT, "test": test, "fdr": "week"}
    fitted = EmergingHotSpots(**params).fit(x, y, times)
    built = EmergingHotSpots(**params).build(x, y, times)
    assert not hasattr(built, "locations_")
    # One zone per planted cell, and one spanning two of them.
    cells = [*PLANTED, (5, 5), (5, 15)]
    xs = np.array([(i + 0.5) * CELL for i, _ in cells])
    ys = np.array([(j + 0.5) * CELL for _, j in cells])
    zone = np.array([*range(len(PLANTED)), len(PLANTED), len(PLANTED)])
    categories = built.classify_zones(xs, ys, zone).tolist()
    assert categories == fitted.classify_zones(xs, ys, zone).tolist()
    assert len(set(categories)) > 2
