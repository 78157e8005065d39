"""Exact DBSCAN: every result is checked against scikit-learn's on the same points."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import DBSCAN as SklearnDBSCAN

from analysis import clustering
from analysis.clustering import DBSCAN, dbscan, dbscan_differences, same_dbscan_result

SEEDS = [0, 1, 2, 3]
# Distance given to pairs that are too far apart in time, in the matrices
# handed to scikit-learn: finite (inf would warn) and far beyond any eps.
FAR = 1e12


def neighbour_matrix(xy, eps, times=None, time_eps=None, rows=None):
    """Brute-force neighbour relation (of ``rows`` only, if given), computed
    the way a KD-tree does."""
    xy = np.asarray(xy, dtype=float)
    rows = np.arange(len(xy)) if rows is None else rows
    dx = xy[rows, None, 0] - xy[None, :, 0]
    dy = xy[rows, None, 1] - xy[None, :, 1]
    near = dx * dx + dy * dy <= eps * eps
    if times is not None:
        times = np.asarray(times, dtype=float)
        near &= np.abs(times[rows, None] - times[None, :]) <= time_eps
    return near


def sklearn_reference(xy, eps, min_samples, sample_weight=None, times=None, time_eps=None):
    """scikit-learn's DBSCAN; with times, on a precomputed distance matrix."""
    xy = np.asarray(xy, dtype=float)
    if times is None:
        model = SklearnDBSCAN(eps=eps, min_samples=min_samples)
        return model.fit(xy, sample_weight=sample_weight)
    distance = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=-1))
    distance[~neighbour_matrix(xy, np.inf, times, time_eps)] = FAR
    model = SklearnDBSCAN(eps=eps, min_samples=min_samples, metric="precomputed")
    return model.fit(distance, sample_weight=sample_weight)


def assert_same_as_sklearn(xy, eps, min_samples, sample_weight=None, times=None, time_eps=None):
    """Fit both and check that the results are the same DBSCAN result.

    Same core points, same partition of the core points (core labels are
    even identical, as both number clusters by their first core point), same
    noise, and every border point in the cluster of one of its core
    neighbours.
    """
    ours = DBSCAN(eps=eps, min_samples=min_samples, time_eps=time_eps).fit(xy, sample_weight=sample_weight, times=times)
    theirs = sklearn_reference(xy, eps, min_samples, sample_weight, times, time_eps)
    labels, expected = ours.labels_, theirs.labels_
    n = len(expected)
    assert labels.shape == (n,)
    assert labels.dtype.kind == "i"
    np.testing.assert_array_equal(ours.core_sample_indices_, theirs.core_sample_indices_)
    core = np.zeros(n, dtype=bool)
    core[theirs.core_sample_indices_] = True
    np.testing.assert_array_equal(labels[core], expected[core])
    np.testing.assert_array_equal(labels == -1, expected == -1)
    border = np.flatnonzero(~core & (labels != -1))
    near = neighbour_matrix(xy, eps, times, time_eps, rows=border)
    for i, row in zip(border, near):
        assert labels[i] in labels[row & core], f"border point {i} misplaced"
    assert ours.n_clusters_ == len(set(expected[expected >= 0]))
    np.testing.assert_array_equal(np.unique(labels[labels >= 0]), np.arange(ours.n_clusters_))
    np.testing.assert_array_equal(ours.components_, np.asarray(xy, dtype=float)[core])
    return ours


def blobs(seed, n=1500, n_blobs=12, extent=20_000.0, spread=(80.0, 400.0), noise=0.2):
    """Gaussian hotspots of a few hundred metres plus uniform noise."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, extent, (n_blobs, 2))
    sigma = rng.uniform(*spread, n_blobs)
    n_noise = int(n * noise)
    which = rng.integers(0, n_blobs, n - n_noise)
    points = centres[which] + rng.normal(size=(n - n_noise, 2)) * sigma[which, None]
    xy = np.vstack([points, rng.uniform(0, extent, (n_noise, 2))])
    return xy + [900_000.0, 6_800_000.0]  # Lambert-93 magnitudes


# --- Hand-checked -----------------------------------------------------------


def test_hand_checked_example():
    xy = [[0, 0], [0, 1], [10, 10], [10, 11], [5, 5]]
    model = DBSCAN(eps=1, min_samples=2).fit(xy)
    np.testing.assert_array_equal(model.labels_, [0, 0, 1, 1, -1])
    np.testing.assert_array_equal(model.core_sample_indices_, [0, 1, 2, 3])
    assert model.n_clusters_ == 2


def test_border_point_takes_a_touching_cluster():
    # Point 2 is within eps of the core points 1 and 3 of two clusters.
    xy = [[0, 0], [1, 0], [2, 0], [3, 0], [4, 0]]
    labels = dbscan(xy, eps=1, min_samples=3, sample_weight=[2, 1, 0, 1, 2])
    assert labels[2] in (0, 1)
    np.testing.assert_array_equal(labels[[0, 1, 3, 4]], [0, 0, 1, 1])


def test_functional_form_matches_class():
    xy = blobs(0, n=300)
    model = DBSCAN(eps=250, min_samples=5).fit(xy)
    np.testing.assert_array_equal(dbscan(xy, eps=250, min_samples=5), model.labels_)
    np.testing.assert_array_equal(DBSCAN().fit_predict(xy), model.labels_)


# --- Against scikit-learn ---------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_uniform_points(seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 5_000, (800, 2))
    assert_same_as_sklearn(xy, eps=150.0, min_samples=4)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("min_samples", [3, 10])
def test_clustered_blobs(seed, min_samples):
    assert_same_as_sklearn(blobs(seed), eps=250.0, min_samples=min_samples)


def test_larger_clustered_input():
    assert_same_as_sklearn(blobs(7, n=20_000, n_blobs=60), eps=250.0, min_samples=5)


def test_duplicate_points():
    rng = np.random.default_rng(5)
    spots = rng.integers(0, 40, (30, 2)).astype(float)
    xy = np.vstack([np.repeat(spots[:5], 50, axis=0), spots, spots[rng.integers(0, 30, 200)]])
    rng.shuffle(xy)
    for min_samples in (1, 3, 8, 60):
        assert_same_as_sklearn(xy, eps=3.0, min_samples=min_samples)


def test_only_duplicates():
    xy = np.full((100, 2), 123_456.5)
    model = assert_same_as_sklearn(xy, eps=1.0, min_samples=100)
    assert model.n_clusters_ == 1
    assert_same_as_sklearn(xy, eps=1.0, min_samples=101)


@pytest.mark.parametrize("spacing", [1, 3, 250])
@pytest.mark.parametrize("min_samples", [2, 3, 5, 6])
def test_lattice_points_exactly_eps_apart(spacing, min_samples):
    # Neighbours sit exactly eps away: with min_samples=5 an inner lattice
    # point is core only if the boundary counts, as it must.
    rng = np.random.default_rng(spacing)
    grid = np.stack(np.meshgrid(np.arange(12), np.arange(9)), axis=-1).reshape(-1, 2)
    xy = (grid[rng.random(len(grid)) < 0.75] * spacing).astype(float)
    assert_same_as_sklearn(xy, eps=float(spacing), min_samples=min_samples)


def test_pythagorean_boundary():
    # 3-4-5 triangles: distances of exactly eps along diagonals, which is
    # also the diagonal of a grid cell.
    xy = np.array([[0, 0], [3, 4], [6, 8], [6, 0], [9, 4], [20, 20], [23, 24]]) * 50.0
    model = assert_same_as_sklearn(xy, eps=250.0, min_samples=2)
    np.testing.assert_array_equal(model.labels_, [0, 0, 0, 0, 0, 1, 1])


def test_collinear_runs():
    # Runs spaced exactly eps then eps + 1 apart, horizontal and diagonal.
    x = np.concatenate([np.arange(0, 50, 5), np.arange(100, 160, 6)]).astype(float)
    xy = np.vstack([np.c_[x, np.zeros_like(x)], np.c_[x * 3, x * 4] + 1_000, np.c_[x, x]])
    for min_samples in (2, 3, 4):
        assert_same_as_sklearn(xy, eps=5.0, min_samples=min_samples)


def test_single_dense_blob():
    rng = np.random.default_rng(11)
    xy = rng.normal(size=(3000, 2)) * 40 + [950_000.0, 6_790_000.0]
    model = assert_same_as_sklearn(xy, eps=250.0, min_samples=5)
    assert model.n_clusters_ == 1


def test_all_noise():
    xy = np.arange(40, dtype=float).reshape(20, 2) * 1_000
    model = assert_same_as_sklearn(xy, eps=250.0, min_samples=2)
    assert model.n_clusters_ == 0
    assert (model.labels_ == -1).all()
    assert model.core_sample_indices_.size == 0


def test_empty_input():
    model = DBSCAN().fit(np.empty((0, 2)))
    assert model.labels_.shape == (0,)
    assert model.core_sample_indices_.size == 0
    assert model.components_.shape == (0, 2)
    assert model.n_clusters_ == 0


@pytest.mark.parametrize("min_samples", [1, 2])
def test_single_point(min_samples):
    assert_same_as_sklearn([[650_000.0, 6_860_000.0]], eps=250.0, min_samples=min_samples)


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_min_samples_one_makes_every_point_core(seed):
    model = assert_same_as_sklearn(blobs(seed, n=500), eps=250.0, min_samples=1)
    assert model.core_sample_indices_.size == 500


# --- Weights ----------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_sample_weight(seed):
    rng = np.random.default_rng(seed)
    xy = blobs(seed, n=800)
    # Whole and half weights add up exactly in any order, as they must for
    # the comparison with min_samples to be order-independent.
    weight = rng.integers(0, 5, len(xy)) / 2
    assert_same_as_sklearn(xy, eps=250.0, min_samples=6, sample_weight=weight)


def test_zero_weights_prevent_core_points():
    # scikit-learn refuses all-zero weights, hence the one light point.
    xy = np.vstack([np.zeros((10, 2)), [[5.0, 0.0]]])
    weight = np.append(np.zeros(10), 0.5)
    model = assert_same_as_sklearn(xy, eps=1.0, min_samples=1, sample_weight=weight)
    assert model.n_clusters_ == 0


def test_heavy_point_is_core_on_its_own():
    xy = [[0.0, 0.0], [100.0, 0.0], [1_000.0, 0.0], [1_100.0, 0.0]]
    weight = [5.0, 0.0, 1.0, 1.0]
    model = assert_same_as_sklearn(xy, eps=150.0, min_samples=5, sample_weight=weight)
    np.testing.assert_array_equal(model.labels_, [0, 0, -1, -1])
    np.testing.assert_array_equal(model.core_sample_indices_, [0, 1])


def test_weights_on_duplicates_and_lattice():
    rng = np.random.default_rng(3)
    xy = rng.integers(0, 15, (400, 2)).astype(float)
    weight = rng.choice([0.0, 0.5, 1.0, 3.0], len(xy))
    for min_samples in (1, 4, 12):
        assert_same_as_sklearn(xy, eps=2.0, min_samples=min_samples, sample_weight=weight)


# --- Space and time ---------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_space_time_matches_sklearn_precomputed(seed):
    rng = np.random.default_rng(seed)
    xy = rng.integers(0, 30, (400, 2)).astype(float) * 50
    times = rng.integers(0, 60, len(xy)).astype(float)
    for time_eps in (1.0, 7.0):
        assert_same_as_sklearn(xy, eps=100.0, min_samples=4, times=times, time_eps=time_eps)


def test_space_time_with_weights_and_fractional_days():
    rng = np.random.default_rng(9)
    xy = blobs(9, n=600)
    times = rng.uniform(0, 90, len(xy))
    weight = rng.integers(0, 3, len(xy)).astype(float)
    assert_same_as_sklearn(xy, eps=250.0, min_samples=3, sample_weight=weight, times=times, time_eps=10.0)


def test_time_separates_clusters_in_one_place():
    xy = np.zeros((6, 2))
    times = [0, 1, 2, 30, 31, 32]
    model = assert_same_as_sklearn(xy, eps=10.0, min_samples=3, times=times, time_eps=1.0)
    np.testing.assert_array_equal(model.labels_, [0, 0, 0, 1, 1, 1])


# --- Small chunks: the memory-bounding loops must not change the result -----


def test_small_chunks_give_the_same_result(monkeypatch):
    monkeypatch.setattr(clustering, "PAIR_BUDGET", 7)
    monkeypatch.setattr(clustering, "QUERY_BATCH", 5)
    rng = np.random.default_rng(4)
    xy = blobs(4, n=500)
    assert_same_as_sklearn(xy, eps=250.0, min_samples=4)
    weight = rng.integers(0, 3, len(xy)).astype(float)
    assert_same_as_sklearn(xy, eps=250.0, min_samples=4, sample_weight=weight)
    times = rng.integers(0, 20, len(xy)).astype(float)
    assert_same_as_sklearn(xy, eps=250.0, min_samples=3, times=times, time_eps=3.0)


def test_without_the_nearest_neighbour_shortcut(monkeypatch):
    # The exact pass alone must join the cells.
    monkeypatch.setattr(clustering, "LINK_NEIGHBOURS", 0)
    assert_same_as_sklearn(blobs(2), eps=250.0, min_samples=4)
    grid = np.stack(np.meshgrid(np.arange(10), np.arange(10)), axis=-1).reshape(-1, 2)
    assert_same_as_sklearn(grid * 3.0, eps=3.0, min_samples=3)


# --- Property test ----------------------------------------------------------


@st.composite
def small_problems(draw):
    n = draw(st.integers(1, 40))
    coordinate = st.integers(-6, 6)
    xy = draw(st.lists(st.tuples(coordinate, coordinate), min_size=n, max_size=n))
    problem = {
        "xy": np.array(xy, dtype=float) * draw(st.sampled_from([1, 7, 1_000])),
        "min_samples": draw(st.integers(1, 6)),
    }
    problem["eps"] = float(draw(st.integers(1, 4))) * problem["xy"].max(initial=1) / 6 or 1.0
    if draw(st.booleans()):
        weights = st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=n, max_size=n)
        weight = np.array(draw(weights))
        # scikit-learn refuses weights that are all zero.
        weight[0] = weight[0] or 1.0
        problem["sample_weight"] = weight
    if draw(st.booleans()):
        days = st.lists(st.integers(0, 10), min_size=n, max_size=n)
        problem["times"] = np.array(draw(days), dtype=float)
        problem["time_eps"] = float(draw(st.integers(1, 3)))
    return problem


@settings(max_examples=50, deadline=None, database=None)
@given(small_problems())
def test_property_same_as_sklearn(problem):
    assert_same_as_sklearn(**problem)


# --- Parameters and data checks ---------------------------------------------

XY = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"eps": 0}, "eps must be a positive"),
        ({"eps": -1.0}, "eps must be a positive"),
        ({"eps": float("nan")}, "eps must be a positive"),
        ({"eps": float("inf")}, "eps must be a positive"),
        ({"eps": "250"}, "eps must be a number"),
        ({"eps": True}, "eps must be a number"),
        ({"min_samples": 0}, "min_samples must be at least 1"),
        ({"min_samples": -3}, "min_samples must be at least 1"),
        ({"min_samples": 2.5}, "min_samples must be a whole number"),
        ({"time_eps": 0}, "time_eps must be a positive"),
        ({"time_eps": -2.0}, "time_eps must be a positive"),
        ({"time_eps": "7"}, "time_eps must be a number"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        DBSCAN(**params).fit(XY, times=[0.0, 1.0, 2.0] if "time_eps" in params else None)


@pytest.mark.parametrize(
    "X, fit_params, time_eps, message",
    [
        ([0.0, 1.0, 2.0], {}, None, "two columns"),
        (np.zeros((3, 3)), {}, None, "two columns"),
        (np.zeros((2, 2, 2)), {}, None, "two columns"),
        ([[0.0, np.nan], [1.0, 1.0]], {}, None, "NaN or infinite"),
        ([[0.0, np.inf], [1.0, 1.0]], {}, None, "NaN or infinite"),
        ([["a", "b"]], {}, None, "only numbers"),
        (XY, {"sample_weight": [1.0, -1.0, 1.0]}, None, "negative weights"),
        (XY, {"sample_weight": [1.0, 1.0]}, None, "one weight per point"),
        (XY, {"sample_weight": [1.0, np.nan, 1.0]}, None, "NaN or infinite"),
        (XY, {}, 3.0, "no times were given"),
        (XY, {"times": [0.0, 1.0, 2.0]}, None, "time_eps is not set"),
        (XY, {"times": [0.0, 1.0]}, 3.0, "one time per point"),
        (XY, {"times": [0.0, np.nan, 1.0]}, 3.0, "NaN or infinite"),
        ([[0.0, 0.0], [1e6, 0.0]], {}, None, "too small"),
    ],
)
def test_bad_data(X, fit_params, time_eps, message):
    eps = 1e-12 if message == "too small" else 1.0
    with pytest.raises(ValueError, match=message):
        DBSCAN(eps=eps, time_eps=time_eps).fit(X, **fit_params)


def test_input_not_modified():
    rng = np.random.default_rng(0)
    xy = blobs(0, n=400)
    weight = rng.uniform(0, 2, len(xy))
    times = rng.uniform(0, 30, len(xy))
    copies = [xy.copy(), weight.copy(), times.copy()]
    for array in (xy, weight, times):
        array.flags.writeable = False
    DBSCAN(eps=250.0, min_samples=3, time_eps=5.0).fit(xy, sample_weight=weight, times=times)
    for array, copy in zip((xy, weight, times), copies):
        np.testing.assert_array_equal(array, copy)


def test_integer_and_list_input_give_the_same_result():
    xy = np.array([[0, 0], [0, 3], [4, 0], [50, 50], [53, 54]])
    expected = dbscan(xy.astype(float), eps=5.0, min_samples=2)
    np.testing.assert_array_equal(dbscan(xy, eps=5, min_samples=2), expected)
    np.testing.assert_array_equal(dbscan(xy.tolist(), eps=5, min_samples=2), expected)


# --- The public comparison helper -------------------------------------------


def test_same_dbscan_result_accepts_sklearn_result():
    xy = blobs(1, n=600)
    ours = DBSCAN(eps=250.0, min_samples=4).fit(xy)
    theirs = SklearnDBSCAN(eps=250.0, min_samples=4).fit(xy)
    assert same_dbscan_result(
        xy,
        250.0,
        ours.labels_,
        theirs.labels_,
        ours.core_sample_indices_,
        theirs.core_sample_indices_,
    )


def test_same_dbscan_result_ignores_numbering():
    xy = [[0, 0], [1, 0], [10, 0], [11, 0]]
    assert same_dbscan_result(xy, 1, [0, 0, 1, 1], [1, 1, 0, 0], [0, 1, 2, 3], [0, 1, 2, 3])


@pytest.mark.parametrize(
    "labels_b, core_b, message",
    [
        ([0, 0, 0, 0, -1], [0, 1, 2, 3], "different clusters"),
        ([0, 0, 1, 1, 1], [0, 1, 2, 3], "noise differs"),
        ([0, 0, 1, 1, -1], [0, 1, 2], "core points differ"),
    ],
)
def test_same_dbscan_result_spots_differences(labels_b, core_b, message):
    xy = [[0, 0], [1, 0], [10, 0], [11, 0], [50, 50]]
    labels_a, core_a = [0, 0, 1, 1, -1], [0, 1, 2, 3]
    assert not same_dbscan_result(xy, 1, labels_a, labels_b, core_a, core_b)
    differences = dbscan_differences(xy, 1, labels_a, labels_b, core_a, core_b)
    assert any(message in difference for difference in differences)


def test_same_dbscan_result_checks_border_points():
    # Point 2 is a border of cluster 0 only; putting it in cluster 1 is wrong.
    xy = [[0, 0], [1, 0], [2, 0], [10, 0], [11, 0]]
    core = [0, 1, 3, 4]
    differences = dbscan_differences(xy, 1, [0, 0, 0, 1, 1], [0, 0, 1, 1, 1], core, core)
    assert differences == ["1 border point(s) of result b are not in the cluster of any of their core neighbours"]


def test_same_dbscan_result_with_times():
    xy = np.zeros((4, 2))
    times = [0.0, 1.0, 5.0, 6.0]
    assert same_dbscan_result(
        xy,
        1.0,
        [0, 0, 1, 1],
        [1, 1, 0, 0],
        [0, 1, 2, 3],
        [0, 1, 2, 3],
        times=times,
        time_eps=1.0,
    )
    assert not same_dbscan_result(
        xy,
        1.0,
        [0, 0, 1, 1],
        [0, 0, 0, 0],
        [0, 1, 2, 3],
        [0, 1, 2, 3],
        times=times,
        time_eps=1.0,
    )
