"""Exact DBSCAN hotspot clustering with memory linear in the number of reports.

Reports are clustered in Lambert-93 metres. The result is the one
:class:`sklearn.cluster.DBSCAN` gives with ``metric="euclidean"`` (same core
points, same clusters of core points, same noise; a border point may be given
to another of the clusters it touches, as DBSCAN allows), but without building
the list of every neighbour pair, which scikit-learn does and which needs more
than 16 GB for a million clustered reports.

The method is the grid algorithm of Gunawan (2013) and de Berg, Gunawan and
Roeloffzen (2017):

1. Points are put in square cells of side just under ``eps / sqrt(2)``, so any
   two points of one cell are neighbours. A cell holding ``min_samples``
   points (or that much weight) makes all of them core at once; the other
   points are counted with a KD-tree.
2. All core points of a cell belong to one cluster, so clusters are connected
   components of a graph on cells. Two cells are joined when some pair of
   their core points are neighbours. A cheap k-nearest-neighbour pass joins
   most cells; every pair of nearby cells still apart is then settled exactly
   by looking for the nearest core point of one cell from each core point of
   the other.
3. Border points take the cluster of their nearest core neighbour.

Every neighbour test is the exact predicate ``dx*dx + dy*dy <= eps*eps`` (and
``abs(dt) <= time_eps`` with times), evaluated like scikit-learn's KD-tree
does; KD-tree searches only propose candidates, with a slightly larger radius.
"""

import math
import numbers

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

__all__ = ["DBSCAN", "dbscan", "same_dbscan_result", "dbscan_differences"]

NOISE = -1

# KD-tree searches use a radius larger by this factor and every candidate is
# then re-checked exactly: scipy's pruning rounds its running distances, so a
# pair exactly eps apart could otherwise be lost.
RADIUS_SLACK = 1e-7

# Most neighbour pairs listed at once (24 bytes each in scipy's output, about
# as much again while it builds it): this is what keeps memory linear in n.
PAIR_BUDGET = 1_000_000

# Points per batch of k-nearest-neighbour queries (k * 16 bytes per point).
QUERY_BATCH = 100_000

# Neighbours looked at per core point by the pass that joins most cells
# before the exact check; more joins more cells but costs more time.
LINK_NEIGHBOURS = 2

# Use every core for KD-tree queries, when there are enough of them: below
# ``PARALLEL_QUERIES``, starting the threads costs more than the queries (a
# six-month period's thousand reports took twice as long), and a server
# answering several users has its other cores busy anyway.
WORKERS = -1
PARALLEL_QUERIES = 20_000


def workers(n_queries):
    """Threads for ``n_queries`` KD-tree queries (scipy's ``workers``)."""
    return WORKERS if n_queries >= PARALLEL_QUERIES else 1


# Cells may be at most this many steps apart (per axis) and still hold
# neighbours, given a cell side just under eps / sqrt(2) and time bins just
# under time_eps.
_REACH = 2

# Cells are shrunk by this relative margin and by this multiple of the
# coordinates' extent, so that rounding in the cell computation can never put
# two points more than eps apart into one cell.
_CELL_MARGIN = 1e-12
_ROUNDING = 2e-15
# Beyond this share of eps lost to rounding the grid would no longer reach
# exactly two cells: eps is then too small for double precision.
_MAX_ROUNDING_SHARE = 0.01

# Duplicate points are found by sorting on a hash of their coordinates
# within each cell; the hash keeps the bits the cell number leaves free.
_HASH_BITS = 32
_HASH_FACTORS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)

#: The clustering defaults of the whole application (page, API, CLI,
#: OpenAPI): a quarter-kilometre street scale and five reports.
DEFAULT_EPS = 250.0
DEFAULT_MIN_SAMPLES = 5


class DBSCAN:
    """Density-based clustering of reports into hotspots (exact DBSCAN).

    A report is *core* when the reports within ``eps`` metres of it,
    itself included, number at least ``min_samples`` (or weigh that much
    with ``sample_weight``). Core reports within ``eps`` of each other share
    a cluster; a non-core report within ``eps`` of a core report joins one
    of their clusters; every other report is noise, labelled ``-1``.

    The result is that of ``sklearn.cluster.DBSCAN(eps, min_samples=...)``,
    computed with memory linear in the number of reports.

    Parameters
    ----------
    eps : float, default=250.0
        Neighbourhood radius in metres (Lambert-93 coordinates); points
        exactly ``eps`` apart are neighbours.
    min_samples : int, default=5
        Number (or total weight) of reports within ``eps`` that makes a
        report core, the report itself included.
    time_eps : float, optional
        With ``times`` given to :meth:`fit`, two reports are neighbours only
        when they are also at most ``time_eps`` days apart (ST-DBSCAN, as in
        QGIS).

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each report, ``-1`` for noise. Clusters are numbered
        ``0 .. n_clusters_ - 1`` in the order of their lowest-index core
        report, as scikit-learn numbers them.
    core_sample_indices_ : ndarray of shape (n_core_samples,)
        Indices of the core reports, ascending.
    components_ : ndarray of shape (n_core_samples, 2)
        Coordinates of the core reports (a copy).
    n_clusters_ : int
        Number of clusters found.

    Examples
    --------
    >>> import numpy as np
    >>> xy = np.array([[0, 0], [100, 0], [0, 100], [5000, 5000]])
    >>> model = DBSCAN(eps=120, min_samples=3).fit(xy)
    >>> model.labels_
    array([ 0,  0,  0, -1])
    >>> model.core_sample_indices_
    array([0])
    >>> model.n_clusters_
    1
    """

    def __init__(self, *, eps=DEFAULT_EPS, min_samples=DEFAULT_MIN_SAMPLES, time_eps=None):
        self.eps = eps
        self.min_samples = min_samples
        self.time_eps = time_eps

    def fit(self, X, *, sample_weight=None, times=None):
        """Cluster the points ``X`` and return the fitted estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, 2)
            Easting and northing in metres. Not modified.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of each report; a report is core when the
            weights within ``eps`` add up to ``min_samples``.
        times : array-like of shape (n_samples,), optional
            Time of each report in days; required with ``time_eps``.

        Returns
        -------
        self : DBSCAN
            The fitted estimator.

        Examples
        --------
        >>> xy = [[0, 0], [0, 10], [0, 20], [0, 30]]
        >>> DBSCAN(eps=10, min_samples=2, time_eps=1.5).fit(
        ...     xy, times=[0, 1, 9, 10]).labels_
        array([0, 0, 1, 1])
        """
        eps, min_samples, time_eps = _check_params(self.eps, self.min_samples, self.time_eps)
        xy, weights, times = _check_data(X, sample_weight, times, time_eps)
        labels, core = _fit_arrays(xy, weights, times, eps, min_samples, time_eps)
        self.labels_ = labels
        self.core_sample_indices_ = np.flatnonzero(core)
        self.components_ = xy[core].copy()
        self.n_clusters_ = int(labels.max()) + 1 if labels.size else 0
        return self

    def fit_predict(self, X, *, sample_weight=None, times=None):
        """Cluster the points ``X`` and return their labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, 2)
            Easting and northing in metres. Not modified.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of each report.
        times : array-like of shape (n_samples,), optional
            Time of each report in days; required with ``time_eps``.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster of each report, ``-1`` for noise.

        Examples
        --------
        >>> DBSCAN(eps=1, min_samples=2).fit_predict([[0, 0], [1, 0], [9, 9]])
        array([ 0,  0, -1])
        """
        return self.fit(X, sample_weight=sample_weight, times=times).labels_


def dbscan(xy, *, eps=DEFAULT_EPS, min_samples=DEFAULT_MIN_SAMPLES, sample_weight=None, times=None, time_eps=None):
    """Cluster reports with exact DBSCAN and return their labels.

    Functional form of :class:`DBSCAN`; see there for the parameters.

    Parameters
    ----------
    xy : array-like of shape (n_samples, 2)
        Easting and northing in metres. Not modified.
    eps : float, default=250.0
        Neighbourhood radius in metres.
    min_samples : int, default=5
        Number (or weight) of reports within ``eps`` that makes a report core.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weight of each report.
    times : array-like of shape (n_samples,), optional
        Time of each report in days; required with ``time_eps``.
    time_eps : float, optional
        Largest time difference, in days, between neighbours.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Cluster of each report, ``-1`` for noise.

    Examples
    --------
    >>> dbscan([[0, 0], [3, 4], [100, 100]], eps=5, min_samples=2)
    array([ 0,  0, -1])
    >>> dbscan([[0, 0], [3, 4]], eps=5, min_samples=2, sample_weight=[0, 1])
    array([-1, -1])
    """
    model = DBSCAN(eps=eps, min_samples=min_samples, time_eps=time_eps)
    return model.fit(xy, sample_weight=sample_weight, times=times).labels_


def dbscan_differences(xy, eps, labels_a, labels_b, core_a, core_b, *, times=None, time_eps=None):
    """Describe how two DBSCAN results on the same points differ.

    Two results are equivalent when they have the same core points, the same
    partition of the core points into clusters (whatever the numbering), the
    same noise, and each border point of each result carries the cluster of
    one of its own core neighbours. DBSCAN leaves the choice among several
    such clusters open, so that is the only freedom allowed.

    Parameters
    ----------
    xy : array-like of shape (n_samples, 2)
        The clustered points.
    eps : float
        Neighbourhood radius used for both results.
    labels_a, labels_b : array-like of shape (n_samples,)
        Labels of each result, ``-1`` for noise.
    core_a, core_b : array-like of int
        Indices of the core points of each result.
    times : array-like of shape (n_samples,), optional
        Times in days, for spatio-temporal results.
    time_eps : float, optional
        Largest time difference between neighbours, with ``times``.

    Returns
    -------
    differences : list of str
        One sentence per kind of difference; empty when equivalent.

    Examples
    --------
    >>> xy = [[0, 0], [1, 0], [2, 0]]
    >>> dbscan_differences(xy, 1, [0, 0, 0], [3, 3, 3], [1], [1])
    []
    >>> dbscan_differences(xy, 1, [0, 0, 0], [0, 0, -1], [1], [1])
    ['noise differs at 1 point(s)']
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    labels = [np.asarray(labels_a), np.asarray(labels_b)]
    n = len(xy)
    cores = []
    for core_indices in (core_a, core_b):
        core = np.zeros(n, dtype=bool)
        core[np.asarray(core_indices, dtype=np.intp)] = True
        cores.append(core)
    differences = []
    if not np.array_equal(cores[0], cores[1]):
        count = int(np.count_nonzero(cores[0] != cores[1]))
        differences.append(f"core points differ at {count} point(s)")
    noise_a, noise_b = labels[0] == NOISE, labels[1] == NOISE
    if not np.array_equal(noise_a, noise_b):
        count = int(np.count_nonzero(noise_a != noise_b))
        differences.append(f"noise differs at {count} point(s)")
    if differences:
        return differences
    core = cores[0]
    if np.any(labels[0][core] == NOISE) or np.any(labels[1][core] == NOISE):
        differences.append("some core points are labelled noise")
        return differences
    # The core partitions agree exactly when the label pairs (a, b) of core
    # points form a one-to-one mapping.
    pairs = np.unique(np.stack([labels[0][core], labels[1][core]], axis=1), axis=0)
    if len(np.unique(pairs[:, 0])) != len(pairs) or len(np.unique(pairs[:, 1])) != len(pairs):
        differences.append("core points are grouped into different clusters")
        return differences
    eps2 = float(eps) * float(eps)
    times = None if times is None else np.asarray(times, dtype=np.float64)
    tau = None if time_eps is None else float(time_eps)
    core_idx = np.flatnonzero(core)
    border = np.flatnonzero(~core & ~noise_a)
    if border.size and core_idx.size:
        tree = cKDTree(xy[core_idx])
        radius = float(eps) * (1.0 + RADIUS_SLACK)
        for name, lab in zip("ab", labels):
            ok = np.zeros(len(border), dtype=bool)
            for q, j in _iter_pairs(tree, xy[border], radius, 2.0):
                i, j = border[q], core_idx[j]
                near = _are_neighbours(xy, times, eps2, tau, i, j)
                near &= lab[i] == lab[j]
                ok[q[near]] = True
            if not ok.all():
                count = int(np.count_nonzero(~ok))
                differences.append(
                    f"{count} border point(s) of result {name} are not in the cluster of any of their core neighbours"
                )
    elif border.size:
        differences.append("border points exist without any core point")
    return differences


def same_dbscan_result(xy, eps, labels_a, labels_b, core_a, core_b, *, times=None, time_eps=None):
    """Tell whether two DBSCAN results on the same points are equivalent.

    See :func:`dbscan_differences` for what equivalent means.

    Parameters
    ----------
    xy : array-like of shape (n_samples, 2)
        The clustered points.
    eps : float
        Neighbourhood radius used for both results.
    labels_a, labels_b : array-like of shape (n_samples,)
        Labels of each result, ``-1`` for noise.
    core_a, core_b : array-like of int
        Indices of the core points of each result.
    times : array-like of shape (n_samples,), optional
        Times in days, for spatio-temporal results.
    time_eps : float, optional
        Largest time difference between neighbours, with ``times``.

    Returns
    -------
    same : bool
        True when the results are equivalent.

    Examples
    --------
    >>> same_dbscan_result([[0, 0], [1, 0]], 1, [0, 0], [1, 1], [0, 1], [0, 1])
    True
    """
    return not dbscan_differences(xy, eps, labels_a, labels_b, core_a, core_b, times=times, time_eps=time_eps)


# ---------------------------------------------------------------------------
# Validation


def _check_params(eps, min_samples, time_eps):
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise ValueError(f"eps must be a number of metres, got {eps!r}.")
    if not math.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps must be a positive finite distance, got {eps!r}.")
    if isinstance(min_samples, bool) or not isinstance(min_samples, numbers.Integral):
        raise ValueError(f"min_samples must be a whole number, got {min_samples!r}.")
    if min_samples < 1:
        raise ValueError(f"min_samples must be at least 1, got {min_samples!r}.")
    if time_eps is not None:
        if isinstance(time_eps, bool) or not isinstance(time_eps, numbers.Real):
            raise ValueError(f"time_eps must be a number of days, got {time_eps!r}.")
        if not math.isfinite(time_eps) or time_eps <= 0:
            raise ValueError(f"time_eps must be a positive finite number of days, got {time_eps!r}.")
        time_eps = float(time_eps)
    return float(eps), int(min_samples), time_eps


def _as_float_array(values, name):
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must contain only numbers.") from None
    return array


def _check_data(X, sample_weight, times, time_eps):
    xy = _as_float_array(X, "X")
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(
            f"X must be a table of points with two columns (easting, northing), got an array of shape {xy.shape}."
        )
    if not np.isfinite(xy).all():
        raise ValueError("X contains NaN or infinite coordinates.")
    n = len(xy)
    if sample_weight is not None:
        sample_weight = _as_float_array(sample_weight, "sample_weight")
        if sample_weight.shape != (n,):
            raise ValueError(f"sample_weight must hold one weight per point ({n}), got shape {sample_weight.shape}.")
        if not np.isfinite(sample_weight).all():
            raise ValueError("sample_weight contains NaN or infinite values.")
        if (sample_weight < 0).any():
            raise ValueError("sample_weight must not contain negative weights.")
    if time_eps is None and times is not None:
        raise ValueError("times were given but time_eps is not set; set time_eps.")
    if time_eps is not None:
        if times is None:
            raise ValueError("time_eps is set but no times were given to fit.")
        times = _as_float_array(times, "times")
        if times.shape != (n,):
            raise ValueError(f"times must hold one time per point ({n}), got shape {times.shape}.")
        if not np.isfinite(times).all():
            raise ValueError("times contains NaN or infinite values.")
    return xy, sample_weight, times


# ---------------------------------------------------------------------------
# The algorithm. Arrays below are in cell order (points sorted by cell).


def _fit_arrays(xy, weights, times, eps, min_samples, time_eps):
    n = len(xy)
    labels = np.full(n, NOISE, dtype=np.intp)
    core = np.zeros(n, dtype=bool)
    if n == 0:
        return labels, core
    keys, shape = _grid_keys(xy, times, eps, time_eps)
    order, first, location = _sort_and_merge(xy, times, keys)
    # From here on, work on distinct locations in cell order. Duplicates
    # become weight: a KD-tree cannot split a pile of identical points, and
    # searches into such a pile would cost its full size each time.
    picked = order[first]
    xs = xy[picked]
    ts = None if times is None else times[picked]
    if weights is not None:
        ws = np.add.reduceat(weights[order], first)
    elif len(first) < n:
        ws = np.diff(np.append(first, n)).astype(np.float64)
    else:
        ws = None
    # Lowest original index at each location, to number clusters like
    # scikit-learn does.
    lowest = np.minimum.reduceat(order, first)
    grid = _Cells(keys[picked], shape)
    grid.check_cliques(xs, ts, eps, time_eps)
    space = _Space(xs, ts, eps, time_eps)

    core_s = _find_core(space, grid, ws, min_samples)
    core_idx = np.flatnonzero(core_s)
    labels_s = np.full(len(xs), NOISE, dtype=np.intp)
    if core_idx.size:
        core_space = space.subset(core_idx)
        core_tree = core_space.tree()
        cluster_of_core = _link_core_cells(core_space, core_tree, grid.cell[core_idx], grid)
        n_comp = int(cluster_of_core.max()) + 1
        smallest = np.full(n_comp, n, dtype=np.intp)
        np.minimum.at(smallest, cluster_of_core, lowest[core_idx])
        rank = np.empty(n_comp, dtype=np.intp)
        rank[np.argsort(smallest)] = np.arange(n_comp)
        labels_s[core_idx] = rank[cluster_of_core]
        non_core = np.flatnonzero(~core_s)
        if non_core.size:
            nearest = _nearest_core(space, non_core, core_space, core_tree)
            found = nearest >= 0
            labels_s[non_core[found]] = labels_s[core_idx[nearest[found]]]
    labels[order] = labels_s[location]
    core[order] = core_s[location]
    return labels, core


def _grid_keys(xy, times, eps, time_eps):
    """Cell key of every point, and the grid shape behind the keys.

    Cells have side just under eps/sqrt(2) (and time bins just under
    time_eps), so every two points of one cell are neighbours, and neighbours
    are at most ``_REACH`` cells apart along each axis.
    """
    columns = [xy[:, 0], xy[:, 1]]
    radii = [eps, eps]
    if times is not None:
        columns.append(times)
        radii.append(time_eps)
    indices = []
    for axis, (values, radius) in enumerate(zip(columns, radii)):
        low = values.min()
        extent = float(values.max() - low)
        # Absolute rounding error of the cell computation, to stay clear of.
        loss = _ROUNDING * extent
        if loss > _MAX_ROUNDING_SHARE * radius:
            what = "time_eps" if axis == 2 else "eps"
            raise ValueError(
                f"{what} is too small compared with the spread of the data to be resolved in double precision."
            )
        # In space the cell diagonal must stay within eps; in time, the bin
        # width within time_eps.
        full = radius / math.sqrt(2.0) if axis < 2 else radius
        side = full * (1.0 - _CELL_MARGIN) - loss
        indices.append(np.floor((values - low) / side))
    return _cell_keys(indices)


def _sort_and_merge(xy, times, keys):
    """Sort points by cell and find the distinct locations.

    Returns the sorting permutation, the sorted position of the first point
    of each distinct location, and the location of every sorted point.
    """
    by_cell = np.argsort(keys, kind="stable")
    sorted_keys = keys[by_cell]
    cell = np.concatenate([[0], np.cumsum(sorted_keys[1:] != sorted_keys[:-1])])
    # Within a cell, sort by a hash of the coordinates so that duplicates
    # come together. A hash collision only leaves a duplicate unmerged, which
    # is harmless: merging is an optimisation, not needed for correctness.
    columns = [xy[by_cell, 0], xy[by_cell, 1]]
    if times is not None:
        columns.append(times[by_cell])
    hashed = np.zeros(len(keys), dtype=np.uint64)
    for values, factor in zip(columns, _HASH_FACTORS):
        hashed ^= values.view(np.uint64) * np.uint64(factor)
    within = (cell.astype(np.uint64) << np.uint64(_HASH_BITS)) | (hashed >> np.uint64(64 - _HASH_BITS))
    order = by_cell[np.argsort(within, kind="stable")]
    new = np.ones(len(keys), dtype=bool)
    same = np.ones(len(keys) - 1, dtype=bool)
    for values in (xy[order, 0], xy[order, 1]) + (() if times is None else (times[order],)):
        same &= values[1:] == values[:-1]
    new[1:] = ~same
    first = np.flatnonzero(new)
    location = np.cumsum(new) - 1
    return order, first, location


class _Cells:
    """The occupied grid cells, for points sorted by cell."""

    def __init__(self, keys, shape):
        self.shape = shape
        starts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        self.start = np.concatenate([[0], starts, [len(keys)]]).astype(np.intp)
        self.cell_key = keys[self.start[:-1]]
        # Cell index of every point.
        self.cell = np.repeat(np.arange(len(self.cell_key)), np.diff(self.start))

    def check_cliques(self, xy, times, eps, time_eps):
        # Float rounding is monotone, so when a cell's bounding box diagonal
        # passes the neighbour test, so does every pair inside it.
        starts = self.start[:-1]
        spans = [
            np.maximum.reduceat(values, starts) - np.minimum.reduceat(values, starts) for values in (xy[:, 0], xy[:, 1])
        ]
        ok = spans[0] * spans[0] + spans[1] * spans[1] <= eps * eps
        if times is not None:
            span = np.maximum.reduceat(times, starts) - np.minimum.reduceat(times, starts)
            ok &= span <= time_eps
        if not ok.all():
            raise RuntimeError("internal error: a grid cell holds non-neighbours")

    def offsets(self):
        """Key offsets of the cells that may hold neighbours, positive half."""
        n_dims = len(self.shape)
        steps = np.arange(-_REACH, _REACH + 1)
        mesh = np.meshgrid(*([steps] * n_dims), indexing="ij")
        strides = np.cumprod([1] + list(self.shape[::-1]))[:-1][::-1]
        keys = sum(m.ravel() * int(s) for m, s in zip(mesh, strides))
        # Each unordered pair of cells once: only the positive offsets.
        return np.sort(keys[keys > 0]).astype(np.int64)


def _cell_keys(indices):
    """One int64 key per point from its integer cell coordinates.

    Coordinates are shifted to start at ``_REACH`` so that adding an offset of
    up to ``_REACH`` per axis never wraps into another row.
    """
    shifted, shape = [], []
    for values in indices:
        values = values - values.min()
        size = float(values.max()) + 1 + 2 * _REACH
        if size > 2**40:
            # Gaps wider than the reach carry no information: close them so
            # the key fits in 64 bits whatever the spread of the data.
            unique, inverse = np.unique(values, return_inverse=True)
            gaps = np.minimum(np.diff(unique), _REACH + 1)
            values = np.concatenate([[0.0], np.cumsum(gaps)])[inverse]
            size = float(values.max()) + 1 + 2 * _REACH
        shifted.append(values.astype(np.int64) + _REACH)
        shape.append(int(size))
    if math.prod(shape) >= 2**62:
        raise ValueError("the points spread over too many grid cells for eps.")
    keys = shifted[0]
    for values, size in zip(shifted[1:], shape[1:]):
        keys = keys * size + values
    return keys, shape


class _Space:
    """Coordinates of some points and the exact neighbour test between them.

    With times, KD-tree searches run in (x, y, t * eps / time_eps) under the
    maximum norm: a box that contains every neighbour.
    """

    def __init__(self, xy, times, eps, time_eps):
        self.xy = xy
        self.times = times
        self.eps = eps
        self.eps2 = eps * eps
        self.time_eps = time_eps
        self.radius = eps * (1.0 + RADIUS_SLACK)
        self.p = 2.0 if times is None else np.inf

    def subset(self, indices):
        times = None if self.times is None else self.times[indices]
        return _Space(self.xy[indices], times, self.eps, self.time_eps)

    def search_coords(self, extra=None):
        columns = [self.xy]
        if self.times is not None:
            columns.append((self.times * (self.eps / self.time_eps))[:, None])
        if extra is not None:
            columns.append(extra[:, None])
        return np.hstack(columns) if len(columns) > 1 else self.xy

    def tree(self, extra=None):
        # Unbalanced trees build several times faster and query as fast.
        return cKDTree(self.search_coords(extra), balanced_tree=False, compact_nodes=False)

    def neighbours(self, other, i, j):
        """Exact neighbour test between points i of self and j of other."""
        return _are_neighbours_between(self.xy, other.xy, self.times, other.times, self.eps2, self.time_eps, i, j)


def _are_neighbours(xy, times, eps2, time_eps, i, j):
    return _are_neighbours_between(xy, xy, times, times, eps2, time_eps, i, j)


def _are_neighbours_between(xy_a, xy_b, t_a, t_b, eps2, time_eps, i, j):
    # Same operations, in the same order, as scikit-learn's KD-tree distance,
    # so that points exactly eps apart are judged the same way.
    dx = xy_a[i, 0] - xy_b[j, 0]
    dy = xy_a[i, 1] - xy_b[j, 1]
    near = dx * dx + dy * dy <= eps2
    if time_eps is not None:
        near &= np.abs(t_a[i] - t_b[j]) <= time_eps
    return near


def _iter_pairs(tree, queries, radius, p):
    """Yield ``(query_index, tree_index)`` for all pairs within ``radius``.

    Pairs come in chunks of about ``PAIR_BUDGET`` so memory stays bounded
    however dense the points are.
    """
    m = len(queries)
    if m == 0 or tree.n == 0:
        return
    counts = tree.query_ball_point(queries, radius, p=p, return_length=True, workers=workers(m))
    cumulative = np.cumsum(counts)
    start = 0
    while start < m:
        done = cumulative[start - 1] if start else 0
        stop = int(np.searchsorted(cumulative, done + PAIR_BUDGET, side="right"))
        stop = min(max(stop, start + 1), m)
        if cumulative[stop - 1] > done:
            chunk = cKDTree(queries[start:stop])
            pairs = chunk.sparse_distance_matrix(tree, radius, p=p, output_type="ndarray")
            yield pairs["i"] + start, pairs["j"]
        start = stop


def _find_core(space, grid, weights, min_samples):
    """Boolean mask of core points (cell order)."""
    sizes = np.diff(grid.start)
    if weights is None:
        cell_weight = sizes
    else:
        cell_weight = np.add.reduceat(weights, grid.start[:-1])
    # A cell weighing min_samples makes all its points core: they are all
    # neighbours of each other. Only the other points need counting.
    dense = cell_weight >= min_samples
    core = np.repeat(dense, sizes)
    # A point is not core either when all the cells within reach of its own
    # weigh less than min_samples: this settles most of the isolated noise.
    sparse = np.flatnonzero(~dense)
    reachable = cell_weight[sparse].astype(np.float64)
    offsets = grid.offsets()
    for offset in np.concatenate([offsets, -offsets]):
        target = grid.cell_key[sparse] + offset
        pos = np.minimum(np.searchsorted(grid.cell_key, target), len(grid.cell_key) - 1)
        hit = grid.cell_key[pos] == target
        reachable[hit] += cell_weight[pos[hit]]
    undecided = np.zeros(len(cell_weight), dtype=bool)
    undecided[sparse[reachable >= min_samples]] = True
    todo = np.flatnonzero(np.repeat(undecided, sizes))
    if todo.size == 0:
        return core
    tree = space.tree()
    queries = space.search_coords()[todo]
    if weights is None and space.times is None:
        # Counting without listing is far cheaper. Counts at a radius just
        # above and just below eps settle all but the points with another
        # point at almost exactly eps; those are counted exactly below.
        high = tree.query_ball_point(queries, space.radius, return_length=True, workers=workers(len(queries)))
        maybe = np.flatnonzero(high >= min_samples)
        low = tree.query_ball_point(
            queries[maybe],
            space.eps * (1.0 - RADIUS_SLACK),
            return_length=True,
            workers=workers(len(maybe)),
        )
        core[todo[maybe[low >= min_samples]]] = True
        todo = todo[maybe[low < min_samples]]
        queries = queries[maybe[low < min_samples]]
    total = np.zeros(len(todo))
    for q, j in _iter_pairs(tree, queries, space.radius, space.p):
        near = space.neighbours(space, todo[q], j)
        q, j = q[near], j[near]
        pair_weight = None if weights is None else weights[j]
        total += np.bincount(q, weights=pair_weight, minlength=len(todo))
    core[todo[total >= min_samples]] = True
    return core


def _link_core_cells(core_space, core_tree, core_cell, grid):
    """Cluster index of every core point: components of the cell graph."""
    # Core cells, numbered 0..m-1; core points are already grouped by cell.
    starts = np.concatenate([[0], np.flatnonzero(np.diff(core_cell)) + 1])
    n_cells = len(starts)
    bounds = np.concatenate([starts, [len(core_cell)]])
    sizes = np.diff(bounds)
    cell_of = np.repeat(np.arange(n_cells), sizes)
    cell_key = grid.cell_key[core_cell[starts]]

    edges = [_knn_edges(core_space, core_tree, cell_of)]
    component = _components(n_cells, edges)

    # Every pair of cells close enough to hold neighbours but still apart is
    # settled exactly: from each core point of the smaller cell, look for a
    # neighbour among the core points of the other.
    first, second = [], []
    for offset in grid.offsets():
        target = cell_key + offset
        pos = np.searchsorted(cell_key, target)
        pos[pos == n_cells] = 0
        hit = np.flatnonzero(cell_key[pos] == target)
        apart = component[hit] != component[pos[hit]]
        first.append(hit[apart])
        second.append(pos[hit][apart])
    first = np.concatenate(first)
    second = np.concatenate(second)
    if first.size:
        edges.append(_exact_cell_edges(core_space, bounds, sizes, cell_of, first, second))
        component = _components(n_cells, edges)
    return component[cell_of]


def _components(n_cells, edges):
    pairs = np.concatenate(edges) if edges else np.empty((0, 2), dtype=np.intp)
    graph = coo_array(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])),
        shape=(n_cells, n_cells),
    ).tocsr()
    return connected_components(graph, directed=False)[1]


def _knn_edges(core_space, core_tree, cell_of):
    """Cell pairs joined by a core point and one of its nearest neighbours.

    Cheap, and in dense areas joins nearly every cell that must be joined;
    what it misses is found by the exact pass.
    """
    n = len(cell_of)
    k = min(LINK_NEIGHBOURS + 1, n)
    coords = core_space.search_coords()
    n_cells = int(cell_of[-1]) + 1
    found = [np.empty(0, dtype=np.int64)]
    for start in range(0, n, QUERY_BATCH):
        stop = min(start + QUERY_BATCH, n)
        _, j = core_tree.query(
            coords[start:stop],
            k=k,
            p=core_space.p,
            distance_upper_bound=core_space.radius,
            workers=workers(stop - start),
        )
        j = j.reshape(stop - start, k)
        i = np.broadcast_to(np.arange(start, stop)[:, None], j.shape)
        keep = j < n
        i, j = i[keep], j[keep]
        keep = cell_of[i] != cell_of[j]
        i, j = i[keep], j[keep]
        keep = core_space.neighbours(core_space, i, j)
        a, b = cell_of[i[keep]], cell_of[j[keep]]
        # One code per unordered cell pair: sorting integers is much faster
        # than np.unique over rows.
        found.append(np.unique(np.minimum(a, b).astype(np.int64) * n_cells + np.maximum(a, b)))
    found = np.unique(np.concatenate(found))
    return np.stack([found // n_cells, found % n_cells], axis=1)


def _exact_cell_edges(core_space, bounds, sizes, cell_of, first, second):
    """Those of the candidate cell pairs that hold a pair of neighbours."""
    # Query from the smaller cell of each pair, into the other.
    swap = sizes[first] > sizes[second]
    source = np.where(swap, second, first)
    target = np.where(swap, first, second)
    # The cell number becomes an extra coordinate, spaced far more than eps
    # apart, so a search near (x, y, cell) only meets that cell's points.
    spacing = 2.0 ** math.ceil(math.log2(4.0 * core_space.eps))
    lift = cell_of.astype(np.float64) * spacing
    tree = core_space.tree(extra=lift)
    coords = core_space.search_coords()
    joined = np.zeros(len(source), dtype=bool)
    per_pair = sizes[source]
    cumulative = np.cumsum(per_pair)
    start = 0
    while start < len(source):
        done = cumulative[start - 1] if start else 0
        stop = int(np.searchsorted(cumulative, done + QUERY_BATCH, side="right"))
        stop = min(max(stop, start + 1), len(source))
        pair = np.repeat(np.arange(start, stop), per_pair[start:stop])
        # Index of each query point: its cell start plus its rank in the cell.
        rank = np.arange(len(pair)) - np.repeat(
            np.cumsum(per_pair[start:stop]) - per_pair[start:stop], per_pair[start:stop]
        )
        point = bounds[source[pair]] + rank
        queries = np.hstack([coords[point], (target[pair] * spacing)[:, None]])
        if core_space.times is None:
            dist, j = tree.query(queries, k=1, distance_upper_bound=core_space.radius, workers=workers(len(queries)))
            hit = np.flatnonzero(np.isfinite(dist))
            near = core_space.neighbours(core_space, point[hit], j[hit])
            joined[pair[hit[near]]] = True
            # The nearest point being just beyond eps cannot rule out another
            # exactly at eps after rounding: list all candidates for those.
            unsure = hit[~near]
        else:
            # With times the nearest point in space may be too far in time:
            # list every candidate in the search box.
            unsure = np.arange(len(pair))
        for q, j in _iter_pairs(tree, queries[unsure], core_space.radius, core_space.p):
            near = core_space.neighbours(core_space, point[unsure[q]], j)
            joined[pair[unsure[q[near]]]] = True
        start = stop
    return np.stack([source[joined], target[joined]], axis=1)


def _nearest_core(space, points, core_space, core_tree):
    """For each point, index of a core neighbour (nearest in space) or -1."""
    found = np.full(len(points), -1, dtype=np.intp)
    coords = space.search_coords()
    if space.times is None:
        unsure = []
        for start in range(0, len(points), QUERY_BATCH):
            chunk = points[start : start + QUERY_BATCH]
            dist, j = core_tree.query(
                coords[chunk], k=1, distance_upper_bound=space.radius, workers=workers(len(chunk))
            )
            hit = np.flatnonzero(np.isfinite(dist))
            near = space.neighbours(core_space, chunk[hit], j[hit])
            found[start + hit[near]] = j[hit[near]]
            # The nearest core point just beyond eps cannot rule out another
            # exactly at eps after rounding: those are listed in full below.
            unsure.append(start + hit[~near])
        unsure = np.concatenate(unsure)
    else:
        unsure = np.arange(len(points))
    best = np.full(len(unsure), np.inf)
    for q, j in _iter_pairs(core_tree, coords[points[unsure]], space.radius, space.p):
        near = space.neighbours(core_space, points[unsure[q]], j)
        q, j = q[near], j[near]
        d2 = ((space.xy[points[unsure[q]]] - core_space.xy[j]) ** 2).sum(axis=1)
        # Keep the nearest candidate of each query point.
        order = np.lexsort((d2, q))
        q, j, d2 = q[order], j[order], d2[order]
        first = np.concatenate([[True], q[1:] != q[:-1]]) if q.size else q.astype(bool)
        q, j, d2 = q[first], j[first], d2[first]
        better = d2 < best[q]
        best[q[better]] = d2[better]
        found[unsure[q[better]]] = j[better]
    return found
