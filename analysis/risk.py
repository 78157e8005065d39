"""Risk, not just density: does a hotspot hold more reports than the people
living there, or its commune's own background, would predict?

DBSCAN with a fixed radius finds dense places, and a town centre is dense
because people live there: with the demo data, nearly half of the
background reports of the ten largest towns fall inside a hotspot, against
a tenth elsewhere. What an analyst wants is **excess risk** (the idea of
Kulldorff's scan statistic, 1997): more reports than the population at risk
explains.

For each hotspot, the **footprint** is its outline widened to ``eps`` from
its outermost members: the area in which DBSCAN looked for neighbours. (On
the bare outline, drawn tight around the points, nearly every dense place
passes: with reports spread evenly within communes, 90 of 137 unplanted
hotspots did so against 8 on the footprint; see docs/analysis.md.) Its **observed count** is
the reports of the period inside it, and its **expected count** the
reports it would hold if each commune's reports were spread evenly over the commune's area
at that commune's rate per inhabitant:

    expected = sum over communes c of  rate_c * population_c * area(outline ∩ c) / area(c)

with ``rate_c`` either

* ``"smoothed"`` (the default): the commune's own rate, smoothed by
  empirical Bayes towards the département's (``analysis.communes_stats``),
  the *local background*: a town whose agencies report a lot expects a lot
  in its centre too, and a village's rate is not taken from three reports;
* ``"population"``: the département's rate for everyone, the population
  alone.

The hotspot's count is then compared to a Poisson count of that mean: the
p-value is ``P(X >= count)``, corrected over all hotspots for the false
discovery rate (Benjamini-Hochberg), and the hotspot is **in excess** when
the corrected value is at most ``alpha``.

Limits: population is spread evenly over a commune, which underestimates a
town or village centre's share of its people (so the test is lenient with
centres: on the demo, whose reports gather around commune centres, it keeps
most hotspots); the hotspot was found
*because* it is dense, so its p-value is optimistic (a screening, not a
proof); and the smoothed rate includes the hotspot's own reports, which
makes the test conservative in a small commune whose reports are all in the
hotspot.
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import stats
from scipy.spatial import cKDTree

from analysis.clustering import workers
from analysis.communes_stats import RATE_BASE, commune_rates
from analysis.hotspots import HULL_BUFFER_M

__all__ = [
    "RISK_MODES",
    "DEFAULT_RISK",
    "RISK_ALPHA",
    "commune_risk_rates",
    "expected_counts",
    "excess",
    "hotspot_excess",
]

RISK_MODES = ("smoothed", "population")
DEFAULT_RISK = "smoothed"
RISK_ALPHA = 0.05


def commune_risk_rates(reports, communes, mode=DEFAULT_RISK):
    """Reports per inhabitant of each commune, by ``mode``.

    Parameters
    ----------
    reports : pandas.DataFrame
        ``insee`` and ``precision`` of the reports counted (those known only
        by their commune are left out: hotspots never hold them).
    communes : pandas.DataFrame
        ``insee`` and ``population`` of every commune.
    mode : {"smoothed", "population"}

    Returns
    -------
    pandas.Series
        Indexed by INSEE code, in the order of ``communes``.

    Examples
    --------
    >>> communes = pd.DataFrame({"insee": ["a", "b"], "population": [1000, 3000]})
    >>> reports = pd.DataFrame({"insee": ["a"] * 4, "precision": "point"})
    >>> commune_risk_rates(reports, communes, "population").tolist()
    [0.001, 0.001]
    """
    if mode not in RISK_MODES:
        raise ValueError(f"mode must be one of {RISK_MODES}, not {mode!r}")
    placed = reports[reports["precision"].to_numpy() != "commune"]
    population = communes.set_index("insee")["population"].astype(float)
    counts = placed.groupby("insee").size()
    counts = counts[counts.index.isin(population.index)]
    if mode == "population":
        return pd.Series(counts.sum() / population.sum(), index=population.index)
    return commune_rates(counts, population)["smoothed_rate_per_1000"] / RATE_BASE


def expected_counts(outlines_l93, communes_l93, rates):
    """Reports expected inside each outline from its communes' rates.

    Parameters
    ----------
    outlines_l93 : array-like of shapely geometries
        The hotspots' outlines, Lambert-93.
    communes_l93 : geopandas.GeoDataFrame
        ``insee``, ``population`` and polygons in Lambert-93.
    rates : pandas.Series
        Reports per inhabitant, indexed by INSEE code.

    Returns
    -------
    numpy.ndarray of float

    Examples
    --------
    >>> import geopandas as gpd
    >>> communes = gpd.GeoDataFrame({"insee": ["a"], "population": [1000]}, geometry=[shapely.box(0, 0, 1000, 1000)])
    >>> expected_counts([shapely.box(0, 0, 500, 100)], communes, pd.Series({"a": 0.01})).tolist()
    [0.5]
    """
    outlines = np.asarray(outlines_l93, dtype=object)
    expected = np.zeros(len(outlines))
    if not len(outlines):
        return expected
    polygons = communes_l93.geometry.to_numpy()
    people = communes_l93["population"].to_numpy(float) * rates.reindex(communes_l93["insee"]).fillna(0).to_numpy(float)
    density = people / shapely.area(polygons)
    tree = shapely.STRtree(polygons)
    # Most outlines lie inside one commune: their share is their own area,
    # and only those crossing a boundary need the (costly) intersection.
    inside_spot, inside_commune = tree.query(outlines, predicate="within")
    np.add.at(expected, inside_spot, shapely.area(outlines[inside_spot]) * density[inside_commune])
    crossing = np.setdiff1d(np.arange(len(outlines)), inside_spot)
    if len(crossing):
        spot, commune = tree.query(outlines[crossing], predicate="intersects")
        spot = crossing[spot]
        shared = shapely.area(shapely.intersection(outlines[spot], polygons[commune]))
        np.add.at(expected, spot, shared * density[commune])
    return expected


def excess(counts, expected, *, alpha=RISK_ALPHA):
    """Poisson excess of each hotspot's count over its expected count.

    Returns
    -------
    pandas.DataFrame
        ``expected``, ``ratio`` (count / expected), ``p`` (``P(X >= count)``
        for X Poisson of mean ``expected``), ``q`` (Benjamini-Hochberg) and
        ``excess`` (``q <= alpha``).

    Examples
    --------
    >>> excess([12, 3], [2.0, 2.5]).round(4)[["ratio", "p", "excess"]]
       ratio       p  excess
    0    6.0  0.0000    True
    1    1.2  0.4562   False
    """
    counts = np.asarray(counts, dtype=float)
    expected = np.asarray(expected, dtype=float)
    p = stats.poisson.sf(counts - 1, np.maximum(expected, 1e-12))
    q = stats.false_discovery_control(p) if len(p) else p
    ratio = np.divide(counts, expected, out=np.full_like(counts, np.inf), where=expected > 0)
    return pd.DataFrame({"expected": expected, "ratio": ratio, "p": p, "q": q, "excess": q <= alpha})


def hotspot_excess(outlines_l93, reports, communes, *, eps=250.0, mode=DEFAULT_RISK, alpha=RISK_ALPHA):
    """Observed and expected reports in each hotspot's footprint, and
    whether it is in excess (see the module's description).

    Parameters
    ----------
    outlines_l93 : array-like of shapely geometries
        The hotspots' outlines (``Hotspot.hull_l93``: members' hull widened
        by ``HULL_BUFFER_M``).
    reports : pandas.DataFrame
        The period's reports: ``x_l93``, ``y_l93``, ``insee``, ``precision``.
    communes : geopandas.GeoDataFrame
        ``insee``, ``population`` and polygons (any CRS).
    eps : float
        DBSCAN's radius: the footprint reaches ``eps`` from the members.
    mode : {"smoothed", "population"}
    alpha : float
        False discovery rate over the hotspots.

    Returns
    -------
    pandas.DataFrame
        ``observed`` and the columns of :func:`excess`, one row per outline.
    """
    outlines = np.asarray(outlines_l93, dtype=object)
    footprints = shapely.buffer(outlines, max(eps - HULL_BUFFER_M, 0.0), quad_segs=4) if len(outlines) else outlines
    communes_l93 = communes.to_crs("EPSG:2154") if isinstance(communes, gpd.GeoDataFrame) else communes
    placed = reports[reports["precision"].to_numpy() != "commune"]
    observed = np.zeros(len(outlines))
    if len(outlines) and len(placed):
        observed = _points_inside(footprints, placed["x_l93"].to_numpy(float), placed["y_l93"].to_numpy(float))
    expected = expected_counts(footprints, communes_l93, commune_risk_rates(reports, communes_l93, mode))
    table = excess(observed, expected, alpha=alpha)
    table.insert(0, "observed", observed.astype(np.int64))
    return table


def _points_inside(polygons, x, y):
    """How many of the points lie in each polygon. A k-d tree narrows each
    polygon's candidates to a disc around its bounds: building a shapely
    point per report would cost more than the rest of the test."""
    tree = cKDTree(np.column_stack([x, y]))
    bounds = shapely.bounds(polygons)
    centres = (bounds[:, :2] + bounds[:, 2:]) / 2
    radii = np.hypot(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]) / 2
    counts = np.zeros(len(polygons))
    for k, candidates in enumerate(tree.query_ball_point(centres, radii, workers=workers(len(centres)))):
        if candidates:
            counts[k] = shapely.contains_xy(polygons[k], x[candidates], y[candidates]).sum()
    return counts
