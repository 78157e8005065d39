"""Emerging hot spot analysis of reports: where clusters appear, last or fade.

This follows Esri ArcGIS Pro's *Emerging Hot Spot Analysis*:

1. Reports are counted in a **space-time cube**: square cells of
   ``cell_size`` metres on Lambert-93 x/y, by week (Monday to Sunday, local
   date in Europe/Paris).
2. Every bin gets a **Getis-Ord Gi*** z-score: the count of its space-time
   neighbourhood (the cell and its ring of neighbours, this week and the
   ``time_step_neighbours`` previous weeks) against the mean and standard
   deviation of the whole cube. p-values are corrected for the false
   discovery rate (Benjamini-Hochberg); a bin is then hot, cold or neither.
3. A **Mann-Kendall** test on each location's z-score series says whether
   the intensity of clustering rises or falls.
4. Each location is given a **category** from its hot and cold bins and its
   trend (see :func:`classify` for the definitions).

Choices that differ from, or are left open by, Esri's description:

* **Locations** are the cells with at least one report in the analysed weeks
  (as in Esri without an analysis mask). The **study extent**, over which the
  cube's mean and standard deviation are taken, is every cell of the grid: by
  default the bounding grid of the reports padded by the neighbourhood ring,
  so that every location has a full neighbourhood of real (possibly empty)
  cells; pass ``extent`` to fix it. Empty cells count, which is what makes a
  town centre stand out against the countryside.
* **Study area.** A département is not a rectangle: 43 % of the Vosges'
  bounding box lies outside it, and those cells would enter the mean and
  variance as zeros. Pass ``area`` (a Lambert-93 polygon, e.g.
  :func:`department_area`): only the cells whose centre lies inside it are in
  the cube, its counts, its neighbourhoods and its statistics; reports in
  other cells are left out.
* **Window.** Analysts want recent dynamics, so by default only the last
  ``WINDOW_WEEKS`` = 26 weeks are analysed (``window_weeks=None`` analyses all
  weeks, like Esri). The 90 % rule then applies to the window: with 26 weeks a
  location must be hot in at least 24 of them (two misses allowed) to be
  persistent, intensifying or diminishing. So a hot spot that switched on in
  the last 2 to 23 weeks is *consecutive* (a clean run) or *sporadic*; one
  that has lasted longer than the window is persistent, or intensifying or
  diminishing when its z-scores trend; and *historical* means "hot almost the
  whole half-year but not in the final week". Half a year is long enough for
  the Mann-Kendall test (26 points detect a steady trend) and for the 90 %
  rule to tolerate a couple of quiet weeks, short enough for a hot spot that
  started this spring not to be drowned in three years of history.
* **Edges in time.** The first analysed weeks' neighbourhoods reach back
  into the weeks before the window, which are counted (a bare cube, as in
  :func:`gi_star` and Esri, must cut them short, which would shift the first
  z-scores and so the trend test). But they never reach before the week of
  the first report: there the data do not say the weeks were empty, so the
  neighbourhood is cut short as in a bare cube (with ``window_weeks=None``
  the first week's neighbourhood is that week alone). The final week is the
  week of ``end``: if that week is not over, its counts are partial.
* **FDR** is applied once over all (location, week) bins of the window
  (``fdr="cube"``), the claims the result makes; ``fdr="week"`` corrects each
  week separately and ``fdr=None`` not at all.
* **Sparse counts.** With a few reports a week over a department, the cube's
  mean is tiny, the normal approximation behind Gi* p-values is poor, and a
  single report already gets z of about 5. Every isolated report of the last
  fortnight would then make a "new" or "consecutive" hot spot, and in a town
  the scattered background reports make every cell flicker on and off. So a
  bin is hot only if its space-time neighbourhood also holds at least
  ``min_count`` reports (``MIN_HOT_COUNT`` = 2: a lone report is never a hot
  spot); ``min_count=1`` gives Esri's rule. On the demonstration data
  (``analysis.demo``, 3 years, seeds 0-3) this divides the labelled cells by
  three (about 80 instead of 250 in a 26-week window), and planted emerging
  hot spots come out "consecutive" 8 times in 12 instead of 4 (otherwise
  "sporadic", when town reports had made the cell hot before). The price:
  a persistent hot spot of only 2 reports a week (the demo's) has about one
  week in ten with fewer than 2 reports in its neighbourhood, so it is
  "persistent" (or intensifying or diminishing) 11 times in 16 and "sporadic"
  otherwise.
* **Fading hot spots.** A hot spot that has dwindled to a trickle is no
  longer hot in the final week, so Esri's rules cannot call it diminishing
  (which requires a hot final week): in a 26-week window it is "no_pattern" or
  "sporadic". It is "diminishing" while it is still hot almost every week of
  the window with falling z-scores. To see hot spots that faded over the
  years, analyse the whole history (``window_weeks=None, min_count=1``): the
  demo's fading hot spots then come out "historical" or "diminishing" 10
  times in 12.
* Cold spot categories mirror the hot ones with a ``_cold`` suffix; with
  sparse counts they are rare, because an empty neighbourhood is barely below
  a mean close to zero.
* **Tests** (``test``). ``"gi"`` is Esri's: the Gi* z-score and its normal
  p-value. With a mean of 0.002 reports per cell-week the normal law is far
  off (one report: z of about 3.8, where the exact probability is 0.034), so
  ``"poisson"`` keeps the Gi* z-scores for the trend but takes the p-value
  from the exact Poisson law of the neighbourhood's count under the cube's
  mean. Both compare a place with the whole area: a town centre is "hot"
  every week because people live there, and shuffling the report dates
  leaves that untouched (the demo labels as many cells with shuffled dates
  as without). ``"permutation"`` asks what "emerging" means: do the recent
  weeks of this place depart from its own history? If dates were shuffled
  among reports (no link between where and when), the count of a
  neighbourhood whose cells hold K reports over the whole history, in weeks
  that hold n of all N reports, would follow the hypergeometric law
  (K marked among N, n drawn). The p-value is that law's exact tail: the
  conditional model of Kulldorff's space-time permutation scan statistic
  (Kulldorff et al., 2005, PLoS Medicine 2(3): e59), applied bin by bin.
  z is then the standardised residual (count minus expectation over the
  hypergeometric standard deviation), used by the trend test. The margins
  are taken over every report up to ``end``, not only the window. It needs
  no population, is valid for any count, and a steady place, however busy,
  is never emerging; see ``docs/analysis.md`` for the figures.
* :func:`emerging_cells` gives the list analysts read, with the settings of
  :data:`CELL_LIST_PARAMS` and reports known only by their commune left out
  (:func:`located`).

Examples
--------
A cell with a steady trickle of reports and an empty neighbourhood (the
extent is widened so that the cube's mean stays low):

>>> import pandas as pd
>>> times = pd.date_range("2024-01-01 12:00", periods=30, freq="W-MON", tz="Europe/Paris")
>>> x = [250.0] * 30
>>> y = [250.0] * 30
>>> result = emerging_hotspots(x, y, times, extent=(-5000, -5000, 5000, 5000))
>>> result[["i", "j", "category", "n_hot_bins"]]
   i  j    category  n_hot_bins
0  0  0  persistent          26
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import NamedTuple

import numpy as np
import pandas as pd
import shapely
from scipy import ndimage, special, stats

from analysis.calendar import (
    EPOCH_WEEKDAY,
    TIMEZONE,
    local_date,
    local_days,
    week_number_to_date,
    week_start,
)

__all__ = [
    "CELL_SIZE",
    "NEIGHBOURHOOD",
    "TIME_STEP_NEIGHBOURS",
    "WINDOW_WEEKS",
    "ALPHA",
    "PERSISTENCE",
    "MIN_HOT_COUNT",
    "RECENT_WEEKS",
    "TIMEZONE",
    "HOT_CATEGORIES",
    "CATEGORIES",
    "local_date",
    "week_start",
    "gi_star",
    "mann_kendall",
    "classify",
    "classify_series",
    "EmergingHotSpots",
    "emerging_hotspots",
    "TESTS",
    "CELL_LIST_PARAMS",
    "department_area",
    "located",
    "emerging_cells",
]

#: Side of a cube cell, in Lambert-93 metres.
CELL_SIZE = 500.0
#: Rings of neighbouring cells in a Gi* neighbourhood: 1 is the 3 x 3 block,
#: the same as a distance band of cell_size * sqrt(2) between cell centres.
NEIGHBOURHOOD = 1
#: Previous weeks included in a bin's neighbourhood (Esri's default is 1).
TIME_STEP_NEIGHBOURS = 1
#: Weeks analysed, ending with the week of ``end``; see the module docstring.
WINDOW_WEEKS = 26
#: Significance level of the Gi* bins (after FDR) and of the trend test.
ALPHA = 0.05
#: Share of the weeks a location must be hot to persist (Esri's 90 %).
PERSISTENCE = 0.9
#: Reports needed in a bin's space-time neighbourhood for it to be hot.
MIN_HOT_COUNT = 2
#: Weeks counted in the ``count_recent`` column.
RECENT_WEEKS = 4

#: Settings of the list of emerging cells analysts read ("Émergents"): the
#: last half-year, bins judged by the exact permutation test against the
#: whole history, so that a cell is listed only when its recent weeks depart
#: from its own past (see the module docstring and docs/analysis.md).
CELL_LIST_PARAMS = {
    "window_weeks": 26,
    "test": "permutation",
    "neighbourhood": 0,
    "time_step_neighbours": 7,
    "fdr": "week",
    "min_count": 3,
}

#: Hot spot categories, the most urgent first.
HOT_CATEGORIES = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)
#: Every category a location can get.
CATEGORIES = (*HOT_CATEGORIES, *(f"{name}_cold" for name in HOT_CATEGORIES), "no_pattern")

FDR_MODES = ("cube", "week", None)
#: Significance tests of a bin; see the module docstring.
TESTS = ("gi", "poisson", "permutation")


class GiStar(NamedTuple):
    """Gi* z-scores and their two-sided p-values (not corrected)."""

    z: np.ndarray
    p: np.ndarray


class MannKendall(NamedTuple):
    """Mann-Kendall statistic S, Kendall's tau (S over the number of pairs),
    tie-corrected z-score (with continuity correction) and two-sided p-value."""

    s: np.ndarray
    tau: np.ndarray
    z: np.ndarray
    p: np.ndarray


def gi_star(cube_counts, *, neighbourhood=NEIGHBOURHOOD, time_step_neighbours=TIME_STEP_NEIGHBOURS):
    """Getis-Ord Gi* z-scores of every bin of a dense space-time cube.

    With binary weights w (1 inside the neighbourhood, the bin itself
    included), counts x over all n bins of the cube, their mean m and
    standard deviation s (divided by n), and W the number of bins in the
    neighbourhood, the z-score of a bin is (Ord and Getis, 1995)::

        Gi* = (sum_j w_j x_j - m W) / (s sqrt((n W - W**2) / (n - 1)))

    The neighbourhood is the ``(2 * neighbourhood + 1)`` square block of cells
    centred on the cell, this week and the ``time_step_neighbours`` previous
    weeks. At the edges of the cube it is cut short and W shrinks with it.

    Parameters
    ----------
    cube_counts : array-like of shape (n_weeks, n_rows, n_cols)
        Counts per bin, weeks first. Not modified.
    neighbourhood : int
        Rings of neighbouring cells.
    time_step_neighbours : int
        Previous weeks in the neighbourhood.

    Returns
    -------
    GiStar
        ``z`` and two-sided ``p`` arrays of the cube's shape. Where z is
        undefined (a cube without variation) it is 0 and p is 1.

    Examples
    --------
    One report in a 1-week 3 x 3 grid: every bin is its neighbour.

    >>> cube = [[[0, 0, 0], [0, 1, 0], [0, 0, 0]]]
    >>> gi_star(cube).z.round(3)
    array([[[1.118, 0.707, 1.118],
            [0.707, 0.   , 0.707],
            [1.118, 0.707, 1.118]]])
    """
    counts = np.asarray(cube_counts, dtype=float)
    if counts.ndim != 3:
        raise ValueError(f"cube_counts must have 3 dimensions (weeks, rows, cols), not {counts.ndim}.")
    _check_count("neighbourhood", neighbourhood, minimum=0)
    _check_count("time_step_neighbours", time_step_neighbours, minimum=0)
    if counts.size == 0:
        return GiStar(counts.copy(), np.ones_like(counts))

    size = 2 * neighbourhood + 1
    block = np.ones((1, size, size))
    spatial_sums = ndimage.correlate(counts, block, mode="constant", cval=0.0)
    sums = _lagged_sum(spatial_sums, time_step_neighbours)
    spatial_weights = ndimage.correlate(np.ones(counts.shape[1:]), block[0], mode="constant", cval=0.0)
    weights = _time_weights(counts.shape[0], time_step_neighbours)[:, None, None] * spatial_weights
    z = _gi_from_sums(sums, weights, counts.sum(), np.square(counts).sum(), counts.size)
    return GiStar(z, _two_sided_p(z))


def mann_kendall(series):
    """Mann-Kendall trend test, with the variance corrected for ties.

    S is the number of later values above earlier ones minus the number
    below. Its variance under "no trend" is
    ``(n(n-1)(2n+5) - sum_t t(t-1)(2t+5)) / 18`` where t runs over the sizes
    of the groups of tied values, and ``z = (S - sign(S)) / sqrt(var)``.

    Parameters
    ----------
    series : array-like of shape (n,) or (n, m)
        Values in time order; a 2-D array holds m series in its columns
        (time on axis 0), tested independently. No NaN. Not modified.

    Returns
    -------
    MannKendall
        ``s``, ``tau`` (S over n(n-1)/2, which equals Kendall's tau-a of the
        series against time), ``z`` and two-sided ``p``; scalars for a 1-D
        input. Series without variation have z = 0 and p = 1.

    Examples
    --------
    >>> result = mann_kendall([1, 2, 3, 2, 5])
    >>> int(result.s), float(result.tau), round(float(result.z), 4)
    (7, 0.7, 1.5159)
    """
    values = np.asarray(series, dtype=float)
    if values.ndim not in (1, 2):
        raise ValueError(f"series must have 1 or 2 dimensions, not {values.ndim}.")
    if np.isnan(values).any():
        raise ValueError("series must not contain NaN.")
    one_series = values.ndim == 1
    if one_series:
        values = values[:, None]
    n = values.shape[0]
    s = np.zeros(values.shape[1])
    # Size of each value's group of ties, counted pair by pair: the loop over
    # lags keeps memory at one (n, m) array instead of (n, n, m).
    tied = np.ones(values.shape)
    for lag in range(1, n):
        later, earlier = values[lag:], values[:-lag]
        s += np.sign(later - earlier).sum(axis=0)
        equal = later == earlier
        tied[lag:] += equal
        tied[:-lag] += equal
    # Each group of t tied values has t members each contributing
    # (t - 1)(2t + 5), which sums to the group's t(t - 1)(2t + 5).
    ties = ((tied - 1) * (2 * tied + 5)).sum(axis=0)
    variance = (n * (n - 1) * (2 * n + 5) - ties) / 18
    z = np.zeros_like(s)
    np.divide(s - np.sign(s), np.sqrt(variance), out=z, where=variance > 0)
    pairs = n * (n - 1) / 2
    tau = s / pairs if pairs else np.zeros_like(s)
    result = MannKendall(s, tau, z, _two_sided_p(z))
    if one_series:
        return MannKendall(*(field[0] for field in result))
    return result


def classify(hot, cold, trend_p, trend_sign, *, alpha=ALPHA, persistence=PERSISTENCE):
    """Esri's emerging hot spot category of locations.

    Hot spot categories (the final week is the last of the series; "90 %"
    stands for ``persistence``):

    ``"new"``
        Hot in the final week, never hot before.
    ``"consecutive"``
        One uninterrupted run of two or more hot weeks ending with the final
        week, never hot before the run, and hot in less than 90 % of weeks.
    ``"intensifying"``
        Hot in at least 90 % of weeks including the final one, and clustering
        grows stronger: a significant upward trend of the z-scores.
    ``"persistent"``
        Hot in at least 90 % of weeks including the final one, without a
        significant trend.
    ``"diminishing"``
        Hot in at least 90 % of weeks including the final one, with a
        significant downward trend.
    ``"sporadic"``
        Hot in the final week, hot on and off before, in less than 90 % of
        weeks, and never cold.
    ``"oscillating"``
        Hot in the final week, cold in some earlier week, hot in less than
        90 % of weeks.
    ``"historical"``
        Not hot in the final week but hot in at least 90 % of weeks.
    ``"no_pattern"``
        None of the above, hot or cold.

    The cold categories (``"new_cold"`` ...) swap hot and cold and the sign of
    the trend: an intensifying cold spot gets colder. A location matching
    both a hot and a cold category (hot 90 % of the time, then cold for the
    first time in the final week) keeps the hot one.

    Parameters
    ----------
    hot, cold : array-like of bool, shape (n_weeks,) or (n_weeks, n_locations)
        Whether each week is a significant hot (cold) spot, time on axis 0.
    trend_p : float or array-like of shape (n_locations,)
        p-value of the Mann-Kendall test of the location's z-scores.
    trend_sign : float or array-like of shape (n_locations,)
        Sign of its trend (of S or tau): > 0 up, < 0 down.
    alpha : float
        A trend is significant when ``trend_p <= alpha``.
    persistence : float
        Share of the weeks that makes a hot spot persistent (Esri: 0.9).

    Returns
    -------
    str or numpy.ndarray of str
        A code of :data:`CATEGORIES` for each location.

    Examples
    --------
    >>> classify([False, False, True, True], [False] * 4, 1.0, 0)
    'consecutive'
    >>> classify([True] * 10, [False] * 10, 0.001, 1)
    'intensifying'
    """
    hot = np.asarray(hot, dtype=bool)
    cold = np.asarray(cold, dtype=bool)
    if hot.shape != cold.shape or hot.ndim not in (1, 2) or hot.shape[0] == 0:
        raise ValueError(
            "hot and cold must have the same shape (n_weeks,) or (n_weeks, n_locations), with n_weeks > 0."
        )
    if (hot & cold).any():
        raise ValueError("A week cannot be both a hot and a cold spot.")
    if not 0 < persistence <= 1:
        raise ValueError(f"persistence must be in (0, 1], not {persistence!r}.")
    one_location = hot.ndim == 1
    if one_location:
        hot, cold = hot[:, None], cold[:, None]
    trend_p = np.broadcast_to(np.asarray(trend_p, dtype=float), hot.shape[1:])
    trend_sign = np.broadcast_to(np.sign(np.asarray(trend_sign, dtype=float)), hot.shape[1:])
    significant_trend = (trend_p <= alpha).astype(float)

    hot_codes = _hot_categories(hot, cold, significant_trend * trend_sign, persistence)
    cold_codes = _hot_categories(cold, hot, -significant_trend * trend_sign, persistence)
    codes = np.where(
        hot_codes != "no_pattern",
        hot_codes,
        np.where(cold_codes != "no_pattern", np.char.add(cold_codes.astype(str), "_cold"), "no_pattern"),
    ).astype(object)
    return str(codes[0]) if one_location else codes


def classify_series(z_scores, *, counts=None, alpha=ALPHA, persistence=PERSISTENCE, fdr=True, min_count=MIN_HOT_COUNT):
    """Category of one location from its weekly Gi* z-scores.

    Use it for any zone that has a z-score history, for instance the z-scores
    of a DBSCAN hotspot computed by :meth:`EmergingHotSpots.classify_counts`.

    Parameters
    ----------
    z_scores : array-like of shape (n_weeks,)
        Gi* z-scores in time order, the final week last. Not modified.
    counts : array-like of shape (n_weeks,), optional
        Reports in each week's Gi* neighbourhood. When given, a week is hot
        only with at least ``min_count`` of them (see the module docstring);
        when omitted there is no such floor.
    alpha : float
        Significance level of the weeks (after FDR) and of the trend.
    persistence : float
        Share of the weeks that makes a hot spot persistent.
    fdr : bool
        Correct the weeks' p-values for the false discovery rate
        (Benjamini-Hochberg over this series).
    min_count : int
        See ``counts``.

    Returns
    -------
    pandas.Series
        ``category``, ``n_hot_bins``, ``n_cold_bins``, ``final_z``, and the
        Mann-Kendall test of the z-scores: ``trend_s``, ``trend_tau``,
        ``trend_z``, ``trend_p``.

    Examples
    --------
    >>> z = [0.1, -0.3, 0.2, 0.0, 0.4, 0.1, 5.2, 6.1, 7.3]
    >>> classify_series(z)["category"]
    'consecutive'
    """
    z = np.asarray(z_scores, dtype=float)
    if z.ndim != 1 or z.size == 0 or np.isnan(z).any():
        raise ValueError("z_scores must be a non-empty 1-D series without NaN.")
    p = _two_sided_p(z)
    if fdr:
        p = stats.false_discovery_control(p)
    evidence = None
    if counts is not None:
        evidence = np.asarray(counts, dtype=float)
        if evidence.shape != z.shape:
            raise ValueError("counts must have one value per week of z_scores.")
        evidence = evidence[:, None]
    summary = _summarise(z[:, None], p[:, None], evidence, alpha=alpha, persistence=persistence, min_count=min_count)
    return _series_of(summary)


def _series_of(summary):
    """The first column of a :func:`_summarise` result as a Series."""
    names = [name for name in summary if name not in ("hot", "cold")]
    first = (np.asarray(summary[name])[0] for name in names)
    # Plain Python values: a Series of numpy scalars prints as np.int64(...).
    return pd.Series(
        [value.item() if isinstance(value, np.generic) else value for value in first], index=names, dtype=object
    )


class EmergingHotSpots:
    """Emerging hot spot analysis of reports on a square-cell, weekly cube.

    Parameters
    ----------
    cell_size : float
        Side of a cell in Lambert-93 metres.
    window_weeks : int or None
        Weeks analysed, ending with the week of ``end``; None for every week
        from the first report's.
    end : date-like, optional
        Last day analysed; reports after it are ignored. Defaults to the day
        of the latest report. Naive values are taken as UTC like ``times``,
        which keeps a plain date on the same day in Paris. If its week is not
        over, the final week is partial: pass the last Sunday to analyse
        complete weeks only.
    neighbourhood : int
        Rings of neighbouring cells in a Gi* neighbourhood.
    time_step_neighbours : int
        Previous weeks in a Gi* neighbourhood.
    alpha : float
        Significance level of the bins (after FDR) and of the trends.
    fdr : {"cube", "week", None}
        Benjamini-Hochberg correction over all (location, week) bins, over
        each week's locations, or none.
    persistence : float
        Share of the weeks that makes a hot spot persistent.
    min_count : int
        Reports needed in a bin's space-time neighbourhood for it to be hot.
    extent : tuple of 4 floats, optional
        ``(xmin, ymin, xmax, ymax)`` in Lambert-93 metres: the study extent,
        every cell of which counts in the cube's mean and deviation. Reports
        outside are ignored. Defaults to the reports' bounding grid padded by
        ``neighbourhood`` cells, or the bounds of ``area``.
    area : shapely geometry, optional
        Study area in Lambert-93 metres (e.g. :func:`department_area`): only
        the cells whose centre lies inside it are in the cube.
    test : {"gi", "poisson", "permutation"}
        Significance test of a bin: Esri's Gi* with its normal p-value, Gi*
        with an exact Poisson p-value, or the exact space-time permutation
        test against each place's own history (see the module docstring).

    Attributes
    ----------
    weeks_ : pandas.DatetimeIndex
        Monday of each analysed week (naive local dates).
    cells_ : numpy.ndarray of shape (n_locations, 2)
        Cell indices (i, j) of the locations: the cell of a point is
        ``(floor(x / cell_size), floor(y / cell_size))``.
    counts_ : numpy.ndarray of shape (n_weeks, n_locations)
        Reports per week and location.
    z_, p_ : numpy.ndarray of shape (n_weeks, n_locations)
        Gi* z-scores and FDR-adjusted p-values.
    hot_, cold_ : numpy.ndarray of bool, shape (n_weeks, n_locations)
        Significant hot and cold bins.
    trend_ : MannKendall
        Trend of each location's z-scores.
    locations_ : pandas.DataFrame
        One row per location, as returned by :func:`emerging_hotspots`.
    mean_, std_ : float
        Mean and standard deviation of the counts over all bins of the cube.
    n_bins_ : int
        Bins of the cube: cells of the extent (or of the area) times weeks.
    n_reports_ : int
        Reports in the cube's cells up to ``end``, every week: the
        population of the permutation test.
    grid_ : tuple of 4 ints
        ``(i_min, i_max, j_min, j_max)``, the extent in cell indices.

    Examples
    --------
    >>> import pandas as pd
    >>> times = pd.date_range("2024-01-01 12:00", periods=10, freq="W-MON", tz="Europe/Paris")
    >>> model = EmergingHotSpots(window_weeks=None, extent=(-5000, -5000, 5000, 5000))
    >>> model = model.fit([250.0] * 10, [250.0] * 10, times)
    >>> len(model.weeks_), model.locations_["category"].tolist()
    (10, ['persistent'])
    """

    def __init__(
        self,
        *,
        cell_size=CELL_SIZE,
        window_weeks=WINDOW_WEEKS,
        end=None,
        neighbourhood=NEIGHBOURHOOD,
        time_step_neighbours=TIME_STEP_NEIGHBOURS,
        alpha=ALPHA,
        fdr="cube",
        persistence=PERSISTENCE,
        min_count=MIN_HOT_COUNT,
        extent=None,
        area=None,
        test="gi",
    ):
        self.cell_size = cell_size
        self.window_weeks = window_weeks
        self.end = end
        self.neighbourhood = neighbourhood
        self.time_step_neighbours = time_step_neighbours
        self.alpha = alpha
        self.fdr = fdr
        self.persistence = persistence
        self.min_count = min_count
        self.extent = extent
        self.area = area
        self.test = test

    def fit(self, x, y, times):
        """Build the cube from reports and classify its locations.

        Parameters
        ----------
        x, y : array-like of float
            Lambert-93 coordinates in metres. Not modified.
        times : array-like of datetimes
            When each report was observed; see :func:`week_start` for time
            zones. Not modified.

        Returns
        -------
        self
        """
        self.build(x, y, times)
        n_weeks, n_locations = self.counts_.shape
        spatial_sums = self._neighbourhood_sums(self._history, self._location_keys, self._location_keys)
        sums = _lagged_sum(spatial_sums, self.time_step_neighbours)[self._lead :]
        weights = self._time_weights(n_weeks)[:, None] * self._spatial_weights()[None, :]
        margins = self._neighbourhood_sums(
            self._cell_totals[1][None, :].astype(float), self._cell_totals[0], self._location_keys
        )[0]
        self.z_, raw_p = self._test_bins(sums, weights, margins)
        self.p_ = self._adjust(raw_p)

        summary = _summarise(
            self.z_, self.p_, sums, alpha=self.alpha, persistence=self.persistence, min_count=self.min_count
        )
        # The same hot bins as the categories: the min_count floor included.
        self.hot_ = summary["hot"]
        self.cold_ = summary["cold"]
        self.trend_ = MannKendall(
            *(np.asarray(summary[name]) for name in ("trend_s", "trend_tau", "trend_z", "trend_p"))
        )
        centre = (self.cells_ + 0.5) * self.cell_size
        self.locations_ = pd.DataFrame(
            {
                "i": self.cells_[:, 0],
                "j": self.cells_[:, 1],
                "x": centre[:, 0],
                "y": centre[:, 1],
                "category": summary["category"],
                "n_hot_bins": summary["n_hot_bins"],
                "n_cold_bins": summary["n_cold_bins"],
                "final_z": summary["final_z"],
                "final_p": self.p_[-1] if n_weeks else np.zeros(n_locations),
                "trend_tau": summary["trend_tau"],
                "trend_z": summary["trend_z"],
                "trend_p": summary["trend_p"],
                "count": self.counts_.sum(axis=0),
                "count_recent": self.counts_[-RECENT_WEEKS:].sum(axis=0),
            }
        )
        return self

    def build(self, x, y, times):
        """Build the cube from reports without classifying its locations:
        all that :meth:`classify_zones` and :meth:`classify_counts` need.
        A hotspot's trend asks only for its own zone; testing every cell of
        the département as well cost four times as much.

        Sets ``weeks_``, ``cells_``, ``counts_``, ``mean_``, ``std_``,
        ``n_bins_``, ``n_reports_`` and ``grid_``, as :meth:`fit` does
        (parameters alike); ``z_``, ``p_``, ``hot_``, ``cold_``,
        ``trend_`` and ``locations_`` are :meth:`fit`'s alone.

        Returns
        -------
        self
        """
        self._check_params()
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError("x and y must be 1-D and of the same length.")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise ValueError("x and y must be finite numbers (Lambert-93 metres).")
        days = local_days(times)
        if days.shape != x.shape:
            raise ValueError("times must have one value per report (as many as x and y).")

        if self.end is None and days.size == 0:
            raise ValueError("There are no reports: pass end to analyse an empty period.")
        end_day = days.max() if self.end is None else local_days([self.end])[0]
        keep = days <= end_day
        i = np.floor(x / self.cell_size).astype(np.int64)
        j = np.floor(y / self.cell_size).astype(np.int64)
        self.grid_ = self._grid(i[keep], j[keep])
        i_min, i_max, j_min, j_max = self.grid_
        n_i, n_j = i_max - i_min + 1, j_max - j_min + 1
        keep &= (i >= i_min) & (i <= i_max) & (j >= j_min) & (j <= j_max)
        self._inside = self._area_mask()
        if self._inside is not None:
            keep[keep] = self._inside[i[keep] - i_min, j[keep] - j_min]

        weeks = (days + EPOCH_WEEKDAY) // 7
        last_week = (end_day + EPOCH_WEEKDAY) // 7
        data_first_week = weeks[keep].min() if keep.any() else last_week
        if self.window_weeks is not None:
            first_week = last_week - self.window_weeks + 1
        else:
            first_week = data_first_week
        # The first analysed weeks' neighbourhoods reach back before the
        # window: count those lead weeks too (they are real reports, or truly
        # none) rather than cut the neighbourhood short, which would bias the
        # first z-scores and so the trend test. But weeks before the first
        # report are not known to be empty, they are outside the data: there
        # the neighbourhood is cut short, as in a bare cube.
        lead = self.time_step_neighbours
        self._lead = int(min(lead, max(first_week - data_first_week, 0)))
        # Every report up to the end inside the study area: the margins of
        # the permutation test.
        in_history = keep.copy()
        keep &= weeks >= first_week - self._lead
        n_weeks = int(last_week - first_week + 1)
        self.weeks_ = pd.DatetimeIndex(week_number_to_date(np.arange(first_week, last_week + 1)))

        # Cells are keyed by their rank in the extent, j varying fastest.
        cell_keys = (i[keep] - i_min) * n_j + (j[keep] - j_min)
        week_of_report = (weeks[keep] - (first_week - self._lead)).astype(np.int64)
        analysed = week_of_report >= self._lead
        # Locations are the cells with reports in the analysed weeks only.
        location_keys = np.unique(cell_keys[analysed])
        n_locations = location_keys.size
        position, located = _lookup(location_keys, cell_keys)
        n_rows = self._lead + n_weeks
        history = np.bincount(
            week_of_report[located] * n_locations + position[located], minlength=n_rows * n_locations
        ).reshape(n_rows, n_locations)
        self._history = history
        self._location_keys = location_keys
        self.counts_ = history[self._lead :]
        self.cells_ = np.column_stack([location_keys // n_j + i_min, location_keys % n_j + j_min]).reshape(
            n_locations, 2
        )
        self._cell_totals = np.unique((i[in_history] - i_min) * n_j + (j[in_history] - j_min), return_counts=True)
        self._week_totals = np.bincount(week_of_report, minlength=n_rows).astype(float)
        self.n_reports_ = int(in_history.sum())

        n_cells = int(self._inside.sum()) if self._inside is not None else n_i * n_j
        self.n_bins_ = int(n_cells * n_weeks)
        total, total_sq = float(self.counts_.sum()), float(np.square(self.counts_).sum())
        self.mean_ = total / self.n_bins_ if self.n_bins_ else 0.0
        self.std_ = math.sqrt(max(total_sq / self.n_bins_ - self.mean_**2, 0.0)) if self.n_bins_ else 0.0
        return self

    def classify_counts(self, counts_weekly, n_cells, *, previous=None):
        """Category of a zone from its weekly counts, against this cube.

        The zone (for instance the cells covered by a DBSCAN hotspot) is
        treated as one Gi* neighbourhood of ``n_cells`` cells: its z-score in
        a week compares its count (with the previous weeks of
        ``time_step_neighbours``) to the cube's mean and deviation. Only for
        ``test="gi"`` or ``"poisson"``: the permutation test needs the zone's
        whole history, which :meth:`classify_zones` takes from the cube.

        Parameters
        ----------
        counts_weekly : pandas.Series or array-like
            Reports in the zone per week: a Series indexed by week start
            (missing weeks count 0, other weeks are ignored), or an array
            aligned on ``weeks_``. Not modified.
        n_cells : int
            Cells the zone covers.
        previous : array-like of shape (time_step_neighbours,), optional
            Counts of the weeks just before ``weeks_``, oldest first, which
            the first weeks' neighbourhoods reach; without them those
            neighbourhoods are cut short.

        Returns
        -------
        pandas.Series
            As :func:`classify_series`.
        """
        if self.test == "permutation":
            raise ValueError(
                "classify_counts needs test='gi' or 'poisson'; use classify_zones with the permutation test."
            )
        if isinstance(counts_weekly, pd.Series):
            index = pd.DatetimeIndex(counts_weekly.index)
            counts = counts_weekly.set_axis(index).reindex(self.weeks_, fill_value=0).to_numpy(float)
        else:
            counts = np.asarray(counts_weekly, dtype=float)
        if counts.shape != (len(self.weeks_),):
            raise ValueError(f"counts_weekly must have one value per analysed week ({len(self.weeks_)}).")
        _check_count("n_cells", n_cells, minimum=1)
        lead = self.time_step_neighbours
        if previous is None:
            sums = _lagged_sum(counts, lead)
            weights = _time_weights(counts.size, lead) * n_cells
        else:
            previous = np.asarray(previous, dtype=float)
            if previous.shape != (lead,):
                raise ValueError(f"previous must hold the {lead} weeks before the first analysed week.")
            sums = _lagged_sum(np.concatenate([previous, counts]), lead)[lead:]
            weights = np.full(counts.size, (lead + 1.0) * n_cells)
        z, p = self._test_bins(sums[:, None], weights[:, None], None)
        if self.fdr is not None:
            p = stats.false_discovery_control(p, axis=0)
        summary = _summarise(
            z, p, sums[:, None], alpha=self.alpha, persistence=self.persistence, min_count=self.min_count
        )
        return _series_of(summary)

    def classify_zone(self, x, y):
        """Category of the zone made of the cells of the given points.

        Convenient for a DBSCAN hotspot: pass its members' coordinates. The
        counts are those of the cube, so every analysed report in the zone's
        cells counts, member of the hotspot or not.

        Parameters
        ----------
        x, y : array-like of float
            Lambert-93 coordinates in metres.

        Returns
        -------
        pandas.Series
            As :func:`classify_series`.
        """
        x = np.asarray(x, dtype=float)
        if x.size == 0:
            raise ValueError("The zone needs at least one point.")
        return _series_of(self._zone_summary(x, y, np.zeros(x.size, np.int64)))

    def classify_zones(self, x, y, zone):
        """Categories of many zones at once (as :meth:`classify_zone`, which
        gives the same answer one zone at a time).

        A county holds hundreds or thousands of DBSCAN hotspots; classifying
        them column-wise costs one matrix product instead of a Python loop.

        Parameters
        ----------
        x, y : array-like of float
            Lambert-93 coordinates of the zones' points, in metres.
        zone : array-like of int
            The zone of each point, numbered from 0; every zone needs a point.

        Returns
        -------
        numpy.ndarray of object
            One category code per zone.

        Examples
        --------
        >>> import pandas as pd
        >>> times = pd.date_range("2024-01-01 12:00", periods=10, freq="W-MON", tz="Europe/Paris")
        >>> model = EmergingHotSpots(window_weeks=None, extent=(-5000, -5000, 5000, 5000))
        >>> model = model.fit([250.0] * 10, [250.0] * 10, times)
        >>> model.classify_zones([250.0, 3000.0], [250.0, 3000.0], [0, 1]).tolist()
        ['persistent', 'no_pattern']
        """
        zone = np.asarray(zone, dtype=np.int64)
        if zone.size == 0:
            return np.array([], dtype=object)
        return np.asarray(self._zone_summary(x, y, zone)["category"], dtype=object)

    def _zone_summary(self, x, y, zone):
        n_zones = int(zone.max()) + 1
        cells = np.column_stack(
            [np.floor(np.asarray(x, float) / self.cell_size), np.floor(np.asarray(y, float) / self.cell_size)]
        )
        # Each (zone, cell) pair once: a zone counts each of its cells once.
        pairs = pd.DataFrame({"zone": zone, "key": _cell_key(cells.astype(np.int64))}).drop_duplicates()
        if (np.bincount(pairs["zone"].to_numpy(), minlength=n_zones) == 0).any():
            raise ValueError("Each zone needs at least one point.")
        # Cells outside the cube (beyond the extent, or outside the study
        # area) have no counts and are not part of any neighbourhood.
        i = (pairs["key"].to_numpy() >> 32) - self.grid_[0]
        j = (pairs["key"].to_numpy() & 0xFFFFFFFF).astype(np.int64)
        j = np.where(j >= 2**31, j - 2**32, j) - self.grid_[2]
        n_i, n_j = self.grid_[1] - self.grid_[0] + 1, self.grid_[3] - self.grid_[2] + 1
        inside = (i >= 0) & (i < n_i) & (j >= 0) & (j < n_j)
        if self._inside is not None:
            inside[inside] = self._inside[i[inside], j[inside]]
        columns, keys = pairs["zone"].to_numpy()[inside], (i * n_j + j)[inside]
        n_cells = np.bincount(columns, minlength=n_zones).astype(float)
        rows, known = _lookup(self._location_keys, keys)
        membership = np.zeros((len(self._location_keys), n_zones))
        membership[rows[known], columns[known]] = 1.0
        history = self._history @ membership
        lead = self.time_step_neighbours
        sums = _lagged_sum(history, lead)[self._lead :]
        weights = self._time_weights(len(self.weeks_))[:, None] * n_cells[None, :]
        position, found = _lookup(self._cell_totals[0], keys)
        margins = np.bincount(columns[found], weights=self._cell_totals[1][position[found]], minlength=n_zones)
        z, p = self._test_bins(sums, weights, margins)
        if self.fdr is not None:
            p = stats.false_discovery_control(p, axis=0)
        return _summarise(z, p, sums, alpha=self.alpha, persistence=self.persistence, min_count=self.min_count)

    def _time_weights(self, n_weeks):
        """Weeks in each analysed week's neighbourhood: fewer only where it
        would reach before the first report."""
        return np.minimum(np.arange(n_weeks) + self._lead, self.time_step_neighbours) + 1.0

    def _test_bins(self, sums, weights, margins):
        """z-scores and two-sided p-values (not FDR-adjusted) of bins with
        neighbourhood counts ``sums`` over ``weights`` bins; ``margins`` is
        each column's count over the whole history (permutation test)."""
        n = self.n_bins_
        total, total_sq = self.mean_ * n, (self.std_**2 + self.mean_**2) * n
        if self.test == "permutation":
            lead = self.time_step_neighbours
            drawn = _lagged_sum(self._week_totals, lead)[self._lead :][:, None]
            return _hypergeometric_test(sums, np.asarray(margins, float)[None, :], drawn, self.n_reports_)
        z = _gi_from_sums(sums, weights, total, total_sq, n)
        if self.test == "poisson":
            return z, _poisson_p(sums, self.mean_ * weights)
        return z, _two_sided_p(z)

    def _area_mask(self):
        """Which cells of the grid are in the study area (their centre lies
        inside ``area``), or None without an area."""
        if self.area is None:
            return None
        return _cells_inside(shapely.to_wkb(self.area), self.cell_size, self.grid_)

    def _check_params(self):
        if isinstance(self.cell_size, bool) or not (isinstance(self.cell_size, numbers.Real) and self.cell_size > 0):
            raise ValueError(f"cell_size must be a positive number of metres, not {self.cell_size!r}.")
        if self.window_weeks is not None:
            _check_count("window_weeks", self.window_weeks, minimum=1)
        _check_count("neighbourhood", self.neighbourhood, minimum=0)
        _check_count("time_step_neighbours", self.time_step_neighbours, minimum=0)
        _check_count("min_count", self.min_count, minimum=1)
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, not {self.alpha!r}.")
        if not 0 < self.persistence <= 1:
            raise ValueError(f"persistence must be in (0, 1], not {self.persistence!r}.")
        if self.fdr not in FDR_MODES:
            raise ValueError(f"fdr must be one of {FDR_MODES}, not {self.fdr!r}.")
        if self.test not in TESTS:
            raise ValueError(f"test must be one of {TESTS}, not {self.test!r}.")
        if self.extent is not None:
            xmin, ymin, xmax, ymax = self.extent
            if not (xmin < xmax and ymin < ymax):
                raise ValueError("extent must be (xmin, ymin, xmax, ymax) with xmin < xmax and ymin < ymax.")
        if self.area is not None and (not isinstance(self.area, shapely.Geometry) or shapely.area(self.area) <= 0):
            raise ValueError("area must be a polygon of Lambert-93 metres.")

    def _grid(self, i, j):
        if self.extent is not None or self.area is not None:
            bounds = self.extent if self.extent is not None else shapely.bounds(self.area)
            xmin, ymin, xmax, ymax = (value / self.cell_size for value in bounds)
            # Cells that intersect the extent, a cell's right edge excluded.
            return (math.floor(xmin), math.ceil(xmax) - 1, math.floor(ymin), math.ceil(ymax) - 1)
        if i.size == 0:
            return (0, 0, 0, 0)
        ring = self.neighbourhood
        return (int(i.min()) - ring, int(i.max()) + ring, int(j.min()) - ring, int(j.max()) + ring)

    def _neighbourhood_sums(self, values, keys, query_keys):
        """Sum of ``values`` (rows x sorted ``keys``) over the block of
        cells around each of ``query_keys`` (cell ranks in the grid)."""
        # Cells without any report add nothing to a sum, so the sums only
        # need the cells with reports: an O(rows x cells x ring) gather
        # instead of a dense cube of the whole extent.
        ring = self.neighbourhood
        i_min, i_max, j_min, j_max = self.grid_
        n_i, n_j = i_max - i_min + 1, j_max - j_min + 1
        i, j = query_keys // n_j, query_keys % n_j
        sums = np.zeros((values.shape[0], query_keys.size))
        for di in range(-ring, ring + 1):
            for dj in range(-ring, ring + 1):
                inside = (i + di >= 0) & (i + di < n_i) & (j + dj >= 0) & (j + dj < n_j)
                position, found = _lookup(keys, (i + di) * n_j + (j + dj))
                found &= inside
                sums[:, found] += values[:, position[found]]
        return sums

    def _spatial_weights(self):
        ring = self.neighbourhood
        i_min, i_max, j_min, j_max = self.grid_
        i, j = self.cells_[:, 0], self.cells_[:, 1]
        if self._inside is not None:
            # Only the block's cells inside the study area are in the cube.
            size = 2 * ring + 1
            in_block = ndimage.correlate(self._inside.astype(float), np.ones((size, size)), mode="constant", cval=0.0)
            return in_block[i - i_min, j - j_min]
        width = np.minimum(i + ring, i_max) - np.maximum(i - ring, i_min) + 1
        height = np.minimum(j + ring, j_max) - np.maximum(j - ring, j_min) + 1
        return (width * height).astype(float)

    def _adjust(self, p):
        if self.fdr is None or p.size == 0:
            return p
        if self.fdr == "week":
            return stats.false_discovery_control(p, axis=1)
        return stats.false_discovery_control(p, axis=None).reshape(p.shape)


def emerging_hotspots(
    x,
    y,
    times,
    *,
    cell_size=CELL_SIZE,
    end=None,
    window_weeks=WINDOW_WEEKS,
    alpha=ALPHA,
    neighbourhood=NEIGHBOURHOOD,
    time_step_neighbours=TIME_STEP_NEIGHBOURS,
    fdr="cube",
    persistence=PERSISTENCE,
    min_count=MIN_HOT_COUNT,
    extent=None,
    area=None,
    test="gi",
):
    """Emerging hot spot category of every cell with reports.

    A functional wrapper of :class:`EmergingHotSpots`; see it and the module
    docstring for the parameters and choices.

    Returns
    -------
    pandas.DataFrame
        One row per location (cell with at least one analysed report),
        sorted by cell: ``i``, ``j`` (cell indices), ``x``, ``y`` (cell
        centre, Lambert-93), ``category`` (a code of :data:`CATEGORIES`),
        ``n_hot_bins``, ``n_cold_bins``, ``final_z`` and ``final_p`` (z-score
        and FDR-adjusted p-value of the final week), ``trend_tau``,
        ``trend_z``, ``trend_p`` (Mann-Kendall on the z-scores), ``count``
        (reports in the window) and ``count_recent`` (in the last
        ``RECENT_WEEKS`` weeks).

    Examples
    --------
    A cell whose reports started four weeks before the end:

    >>> import pandas as pd
    >>> times = pd.date_range("2024-05-06 12:00", periods=4, freq="W-MON", tz="Europe/Paris")
    >>> result = emerging_hotspots([250.0] * 8, [250.0] * 8, times.repeat(2), extent=(-5000, -5000, 5000, 5000))
    >>> result[["category", "n_hot_bins", "count"]]
          category  n_hot_bins  count
    0  consecutive           4      8
    """
    model = EmergingHotSpots(
        cell_size=cell_size,
        window_weeks=window_weeks,
        end=end,
        neighbourhood=neighbourhood,
        time_step_neighbours=time_step_neighbours,
        alpha=alpha,
        fdr=fdr,
        persistence=persistence,
        min_count=min_count,
        extent=extent,
        area=area,
        test=test,
    )
    return model.fit(x, y, times).locations_


def _summarise(z, p, neighbourhood_counts, *, alpha, persistence, min_count):
    """Category and summary of each column of (n_weeks, n_locations) arrays;
    ``neighbourhood_counts`` holds the reports of each bin's space-time
    neighbourhood, or None for no floor."""
    hot = (z > 0) & (p <= alpha)
    if neighbourhood_counts is not None:
        hot &= neighbourhood_counts >= min_count
    cold = (z < 0) & (p <= alpha)
    trend = mann_kendall(z)
    category = classify(hot, cold, trend.p, trend.s, alpha=alpha, persistence=persistence)
    return {
        "category": category,
        "hot": hot,
        "cold": cold,
        "n_hot_bins": hot.sum(axis=0),
        "n_cold_bins": cold.sum(axis=0),
        "final_z": z[-1],
        "trend_s": trend.s,
        "trend_tau": trend.tau,
        "trend_z": trend.z,
        "trend_p": trend.p,
    }


def _hot_categories(hot, cold, trend, persistence):
    """Hot spot category of each column; ``trend`` is +1 for a significant
    rise, -1 for a significant fall, 0 otherwise."""
    n_weeks = hot.shape[0]
    n_hot = hot.sum(axis=0)
    final = hot[-1]
    run = _final_run_length(hot)
    never_before_run = n_hot == run
    # 0.9 * 70 is 63.00000000000001 in floating point: compare with a margin
    # so that exactly 90 % counts as 90 %.
    mostly = n_hot >= persistence * n_weeks - 1e-9
    conditions = [
        final & (run == 1) & never_before_run,
        final & (run >= 2) & never_before_run & ~mostly,
        final & mostly & (trend > 0),
        final & mostly & (trend == 0),
        final & mostly & (trend < 0),
        final & ~mostly & cold.any(axis=0),
        final & ~mostly,
        ~final & mostly,
    ]
    choices = [
        "new",
        "consecutive",
        "intensifying",
        "persistent",
        "diminishing",
        "oscillating",
        "sporadic",
        "historical",
    ]
    return np.select(conditions, choices, default="no_pattern")


def _lookup(sorted_keys, keys):
    """Position of each key in ``sorted_keys`` and whether it is there."""
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, np.int64), np.zeros(keys.shape, bool)
    position = np.searchsorted(sorted_keys, keys).clip(max=sorted_keys.size - 1)
    return position, sorted_keys[position] == keys


def _final_run_length(flags):
    """Length of the run of True ending with the last row, per column."""
    reversed_off = ~flags[::-1]
    return np.where(reversed_off.any(axis=0), reversed_off.argmax(axis=0), flags.shape[0])


def _cell_key(cells):
    """One int64 per (i, j) cell index pair."""
    cells = np.asarray(cells, dtype=np.int64).reshape(-1, 2)
    return (cells[:, 0] << 32) + (cells[:, 1] & 0xFFFFFFFF)


def _gi_from_sums(sums, weights, total, total_sq, n):
    """Gi* z-scores from neighbourhood sums and sizes (binary weights, so
    the sum of weights equals the sum of squared weights)."""
    sums = np.asarray(sums, dtype=float)
    z = np.zeros(np.broadcast_shapes(sums.shape, np.shape(weights)))
    if n < 2:
        return z
    mean = total / n
    std = math.sqrt(max(total_sq / n - mean**2, 0.0))
    denominator = std * np.sqrt(np.maximum(n * weights - np.square(weights), 0.0) / (n - 1))
    np.divide(sums - mean * weights, denominator, out=z, where=denominator > 0)
    return z


def _lagged_sum(values, lags):
    """Sum of each row and the ``lags`` previous rows (axis 0)."""
    cumulative = np.cumsum(values, axis=0)
    result = cumulative.copy()
    if lags + 1 < len(values):
        result[lags + 1 :] -= cumulative[: -(lags + 1)]
    return result


def _time_weights(n_weeks, lags):
    """Weeks in each week's neighbourhood: fewer at the start of the cube."""
    return np.minimum(np.arange(n_weeks), lags) + 1.0


def _two_sided_p(z):
    return 2 * stats.norm.sf(np.abs(z))


def _poisson_p(counts, expected):
    """Two-sided exact Poisson p-values: twice the smaller tail, at most 1."""
    counts = np.asarray(counts, dtype=float)
    expected = np.broadcast_to(np.asarray(expected, dtype=float), counts.shape)
    upper = stats.poisson.sf(counts - 1, expected)
    lower = stats.poisson.cdf(counts, expected)
    return np.minimum(1.0, 2 * np.minimum(upper, lower))


def _hypergeometric_test(counts, margins, drawn, total):
    """Exact test of space-time interaction, bin by bin.

    If the reports' weeks were shuffled among them (no link between where
    and when), the count of a bin's neighbourhood, whose cells hold
    ``margins`` reports over the whole history and whose weeks hold
    ``drawn`` reports over the whole area, out of ``total``, follows the
    hypergeometric law: ``margins`` marked reports among ``total``, of which
    ``drawn`` are drawn. Returns the standardised residual (for the trend
    test) and the two-sided exact p-value.
    """
    counts = np.asarray(counts, dtype=float)
    margins, drawn = np.broadcast_arrays(margins, drawn, counts)[:2]
    if total < 1:
        return np.zeros_like(counts), np.ones_like(counts)
    upper, lower = _hypergeometric_tails(counts, total, margins, drawn)
    p = np.minimum(1.0, 2 * np.minimum(upper, lower))
    share = margins / total
    expected = drawn * share
    variance = drawn * share * (1 - share) * (total - drawn) / max(total - 1, 1)
    z = np.zeros_like(counts)
    np.divide(counts - expected, np.sqrt(variance), out=z, where=variance > 0)
    return z, np.where(np.isfinite(p), p, 1.0)


def _hypergeometric_tails(k, total, marked, drawn):
    """P(X >= k) and P(X <= k) for X hypergeometric (``marked`` of ``total``
    marked, ``drawn`` drawn), element-wise.

    scipy's ``hypergeom.sf`` costs about a millisecond a call with a
    population of 100,000: far too slow for a cube. The tail on the far side
    of the mean is summed term by term from the probability of ``k`` (each
    term is the previous one times a ratio of integers) until the terms no
    longer change the sum; the law is log-concave, so they shrink
    geometrically and that tail is exact to rounding. The near tail is its
    complement, at least about a half, so rounding does not matter there.
    """
    k, marked, drawn = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (k, marked, drawn)))
    others = total - marked
    low = np.maximum(0.0, drawn - others)
    high = np.minimum(marked, drawn)
    k = np.clip(k, low, high)
    log_pmf = (
        _log_binomial(marked, k)
        + _log_binomial(others, drawn - k)
        - _log_binomial(np.full_like(k, float(total)), drawn)
    )
    pmf = np.exp(log_pmf)
    upward = k >= drawn * marked / total

    tail = pmf.ravel().copy()
    term = tail.copy()
    j = k.ravel().copy()
    up, m, n, o = upward.ravel(), marked.ravel(), drawn.ravel(), others.ravel()
    active = np.flatnonzero(term > 0)
    while active.size:
        ja, ma, na, oa, ua = j[active], m[active], n[active], o[active], up[active]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(
                ua,
                (ma - ja) * (na - ja) / ((ja + 1) * (oa - na + ja + 1)),
                ja * (oa - na + ja) / ((ma - ja + 1) * (na - ja + 1)),
            )
        ratio = np.where(np.isfinite(ratio) & (ratio > 0), ratio, 0.0)
        term[active] *= ratio
        j[active] += np.where(ua, 1.0, -1.0)
        tail[active] += term[active]
        # Done when the next terms cannot change the sum any more.
        active = active[term[active] > tail[active] * 1e-17]
    tail = np.minimum(tail.reshape(k.shape), 1.0)
    other = np.clip(1.0 - tail + pmf, 0.0, 1.0)
    return np.where(upward, tail, other), np.where(upward, other, tail)


def _log_binomial(n, k):
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


@functools.lru_cache(maxsize=8)
def _cells_inside(area_wkb, cell_size, grid):
    """Cells of ``grid`` whose centre lies inside the area (WKB, so that
    the answer can be cached: a département is tens of thousands of cells)."""
    area = shapely.from_wkb(area_wkb)
    i_min, i_max, j_min, j_max = grid
    i, j = np.meshgrid(np.arange(i_min, i_max + 1), np.arange(j_min, j_max + 1), indexing="ij")
    shapely.prepare(area)
    inside = shapely.contains_xy(area, (i + 0.5) * cell_size, (j + 0.5) * cell_size)
    inside.flags.writeable = False
    return inside


def _check_count(name, value, *, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}, not {value!r}.")


@functools.lru_cache(maxsize=1)
def department_area():
    """The département's outline in Lambert-93 metres: the study area of the
    cube, so that the cells beyond the border (43 % of the bounding box) do
    not enter its statistics as empty cells.

    Examples
    --------
    >>> round(department_area().area / 1e6)  # km²
    5891
    """
    from geo.crs import to_lambert93
    from geo.reference import load_outline

    def project(lonlat):
        return np.column_stack(to_lambert93(lonlat[:, 0], lonlat[:, 1]))

    return shapely.transform(load_outline(), project)


def located(reports):
    """Which reports have a place of their own, not just their commune.

    A report known only by its commune is stacked on the commune's centre:
    counted in a cell it would fake a cluster there, so the cube and the
    trend statistics leave it out (it still counts per commune).

    Parameters
    ----------
    reports : pandas.DataFrame
        With a ``precision`` column (``"point"``, ``"address"`` or
        ``"commune"``); without one every report counts as located.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> located(pd.DataFrame({"precision": ["point", "commune", "address"]})).tolist()
    [True, False, True]
    """
    if "precision" not in reports:
        return np.ones(len(reports), dtype=bool)
    return reports["precision"].to_numpy() != "commune"


def emerging_cells(reports, *, end=None, area=None, **params):
    """The cells analysts see listed as emerging: labelled cells only.

    Parameters
    ----------
    reports : pandas.DataFrame
        ``x_l93``, ``y_l93``, ``observed_at`` and ``precision`` of the whole
        history up to ``end`` (not only the period on screen: the test
        compares the recent weeks with that history). Reports known only by
        their commune are left out (:func:`located`). Not modified.
    end : date-like, optional
        Last day analysed; defaults to the latest report's.
    area : shapely geometry, optional
        Study area in Lambert-93; defaults to :func:`department_area`.
    **params
        Overrides of :data:`CELL_LIST_PARAMS` for :class:`EmergingHotSpots`.

    Returns
    -------
    pandas.DataFrame
        The rows of :attr:`EmergingHotSpots.locations_` whose category is not
        ``"no_pattern"``.
    """
    keep = located(reports)
    columns = ["i", "j", "x", "y", "category", "count", "count_recent"]
    if not keep.any():
        return pd.DataFrame(columns=columns)
    subset = reports[keep]
    model = EmergingHotSpots(
        **(CELL_LIST_PARAMS | {"end": end, "area": department_area() if area is None else area} | params)
    )
    model.fit(subset["x_l93"].to_numpy(float), subset["y_l93"].to_numpy(float), subset["observed_at"])
    cells = model.locations_
    return cells[cells["category"] != "no_pattern"].reset_index(drop=True)
