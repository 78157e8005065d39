"""A hotspot's life told from the whole history, whatever period is shown.

The map's period (the "90 jours" preset, two dates) decides which hotspots
are drawn: DBSCAN runs on the reports inside it. But a commander asking
"since when?" and "is it growing?" needs the place's whole story, not the
slice on screen: clustered on 90 days, a deal point active for three years
would otherwise start 90 days ago and look *consecutive*.

So each hotspot of the period gets a **footprint**: every point within
``eps`` of one of its members (the radius DBSCAN linked them with). All the
reports up to the period's end with the same non-date filters (the
*history*) that fall inside a footprint are the hotspot's history; its first
and last report, its trend (Esri's emerging hot spot classes through
:func:`analysis.hotspots.label_trends`, on the weeks before the period's
end; new, consecutive or intensifying when its recent weeks depart from its
own past by the exact test of the "Émergents" cells) and its status are
computed on them. Reports known only by their
commune stay out, as they do out of DBSCAN: stacked on the commune's centre
they would make a town centre's history.

**En sommeil** (``dormant``) extends Esri's classes. Esri has no word for "was
a hotspot, is silent now": such a place comes out *no pattern*, *sporadic* or
*historical*, which an analyst cannot tell from noise. A place is dormant
when its footprint has had no report for ``dormant_weeks`` weeks (26 by
default: half a year, two full quarters without a word) although it was a
hotspot (``min_samples`` reports within ``eps`` and within ``time_eps`` days
of one another) within the trend's look-back. Dormant places are listed even
when the period on screen holds none of their reports, with the date of
their last report, so that "90 jours" still shows what went quiet.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from analysis.calendar import local_days
from analysis.clustering import workers
from analysis.hotspots import TREND_PARAMS, cluster_reports, label_trends

__all__ = [
    "DORMANT",
    "DORMANT_WEEKS",
    "DORMANT_TIME_EPS",
    "EMERGENCE_PARAMS",
    "HotspotHistories",
    "footprint_labels",
    "hotspot_histories",
]

#: The status crossmap adds to Esri's classes.
DORMANT = "dormant"
#: Weeks without a report after which a former hotspot is *en sommeil*.
DORMANT_WEEKS = 26
#: How a hotspot's recent weeks are judged against its own past (exact
#: permutation test, as the "Émergents" cells; see analysis.emerging), over
#: the same 78 weeks as its trend. Measured over "90 jours" on the demo
#: (seeds 88, 0, 1): planted emerging places come out new or consecutive 6
#: times in 7, against 2 in 7 with the Gi* classes alone.
EMERGENCE_PARAMS = {"test": "permutation", "window_weeks": 78, "time_step_neighbours": 3, "fdr": "week", "min_count": 3}
#: The classes the emergence test may give.
EMERGING_CLASSES = ("new", "consecutive", "intensifying")
#: Days within which ``min_samples`` reports must fall for a place of the
#: history to have been a hotspot: a quarter, so that five reports spread
#: over three years at one address are not a "sleeping hotspot".
DORMANT_TIME_EPS = 91.0


@dataclass
class HotspotHistories:
    """What :func:`hotspot_histories` found.

    Attributes
    ----------
    active : pandas.DataFrame
        One row per cluster label of the period (index ``0 .. n - 1``), with
        ``first_seen``, ``last_seen`` (aware timestamps, from the history),
        ``history_count`` (reports of the footprint up to the end), ``trend``
        (Esri's class on the history) and ``status`` (``trend``, or
        :data:`DORMANT` when the footprint has been silent ``dormant_weeks``).
    dormant_labels : numpy.ndarray of int
        A cluster label for each row of ``history`` (-1 elsewhere): the
        dormant places, to be summarised like the period's clusters.
    dormant : pandas.DataFrame
        Same columns as ``active``, one row per dormant label.
    """

    active: pd.DataFrame
    dormant_labels: np.ndarray
    dormant: pd.DataFrame


def footprint_labels(points_xy, members_xy, member_labels, eps):
    """The hotspot whose footprint holds each point: the label of its
    nearest member within ``eps`` metres (-1 when none is that close).

    Parameters
    ----------
    points_xy : array-like of shape (n, 2)
        Lambert-93 metres of the points to label.
    members_xy : array-like of shape (m, 2)
        Lambert-93 metres of the hotspots' members.
    member_labels : array-like of int, shape (m,)
        The hotspot of each member.
    eps : float
        Radius of a footprint around each member, in metres.

    Examples
    --------
    >>> footprint_labels([[0, 0], [240, 0], [260, 0], [900, 0]], [[0, 0], [1000, 0]], [0, 1], 250).tolist()
    [0, 0, -1, 1]
    """
    points_xy = np.asarray(points_xy, float).reshape(-1, 2)
    members_xy = np.asarray(members_xy, float).reshape(-1, 2)
    member_labels = np.asarray(member_labels, dtype=np.int64)
    labels = np.full(len(points_xy), -1, dtype=np.int64)
    if not len(points_xy) or not len(members_xy):
        return labels
    distance, nearest = cKDTree(members_xy).query(points_xy, distance_upper_bound=eps, workers=workers(len(points_xy)))
    inside = np.isfinite(distance)
    labels[inside] = member_labels[nearest[inside]]
    return labels


def hotspot_histories(
    period,
    period_labels,
    history,
    *,
    end,
    eps=250.0,
    min_samples=5,
    dormant_weeks=DORMANT_WEEKS,
    dormant_time_eps=DORMANT_TIME_EPS,
    lookback_weeks=None,
    trend_params=None,
    weighted=False,
    grading_table=None,
):
    """History-aware first/last report, trend and status of the period's
    hotspots, and the dormant places around them.

    Parameters
    ----------
    period : pandas.DataFrame
        The reports of the period (``x_l93``, ``y_l93``, ``observed_at``,
        ``precision``), as clustered.
    period_labels : array-like of int
        DBSCAN label of each row of ``period`` (-1 for noise).
    history : pandas.DataFrame
        The reports with the same filters but no start date (the period's
        reports included), same columns, plus ``reliability`` and
        ``credibility`` for the dormant places' clustering.
    end : date-like
        The period's last day: nothing after it is read, and its week is the
        trend's last.
    eps, min_samples : float, int
        The period's DBSCAN parameters: ``eps`` is the footprint's radius.
    dormant_weeks : int
        Weeks of silence that make a former hotspot *en sommeil*.
    dormant_time_eps : float
        Days within which ``min_samples`` reports made a place a hotspot.
    lookback_weeks : int, optional
        How far back a dormant place may have been a hotspot; by default the
        trend's window (``TREND_PARAMS["window_weeks"]``), beyond which the
        trend could not describe it.
    trend_params : dict, optional
        Overrides of ``TREND_PARAMS``.
    weighted, grading_table
        As for :func:`analysis.hotspots.cluster_reports`: dormant places
        are found with the period's weighting, so that a place too weakly
        graded to be a hotspot now was not one before either.

    Returns
    -------
    HotspotHistories
    """
    params = TREND_PARAMS | (trend_params or {})
    end_day = pd.Timestamp(end).date() if not isinstance(end, pd.Timestamp) else end.date()
    if lookback_weeks is None:
        lookback_weeks = params["window_weeks"] or 10_000
    period_labels = np.asarray(period_labels, dtype=np.int64)
    n_active = int(period_labels.max()) + 1 if period_labels.size and period_labels.max() >= 0 else 0

    ids_in = history["id"].to_numpy() if "id" in history else None
    days = local_days(history["observed_at"])
    end_number = _day_number(end_day)
    placed = (history["precision"].to_numpy() != "commune") & (days <= end_number)
    history = history.loc[placed]
    days = days[placed]
    history_xy = history[["x_l93", "y_l93"]].to_numpy(float)

    member = period_labels >= 0
    active_xy = period[["x_l93", "y_l93"]].to_numpy(float)[member]
    active_member_labels = period_labels[member]

    # Places of the look-back that were hotspots and have gone silent.
    silent_since = end_number - 7 * dormant_weeks
    lookback = days > end_number - 7 * lookback_weeks
    old = lookback & (days <= silent_since)
    candidate_labels = np.full(len(history), -1, dtype=np.int64)
    # When the period is the whole history, every place that was a hotspot
    # is already one of the period's clusters (a space-time cluster is a
    # spatial one): nothing to look for.
    whole = "id" in period and len(period) == len(placed) and np.array_equal(period["id"].to_numpy(), ids_in)
    if old.any() and not whole:
        candidate_labels[old] = cluster_reports(
            history.loc[old],
            eps=eps,
            min_samples=min_samples,
            time_eps=dormant_time_eps,
            weighted=weighted,
            grading_table=grading_table,
        )
    dormant_labels = np.full(len(history), -1, dtype=np.int64)
    if (candidate_labels >= 0).any():
        candidates = candidate_labels >= 0
        # A candidate is dormant only if nothing was reported near it since,
        # and it is not the old part of a hotspot of the period.
        recent_xy = history_xy[days > silent_since]
        near_recent = footprint_labels(history_xy[candidates], recent_xy, np.zeros(len(recent_xy)), eps) >= 0
        near_active = footprint_labels(history_xy[candidates], active_xy, active_member_labels, eps) >= 0
        spoiled = np.unique(candidate_labels[candidates][near_recent | near_active])
        keep = candidates & ~np.isin(candidate_labels, spoiled)
        _, renumbered = np.unique(candidate_labels[keep], return_inverse=True)
        dormant_labels[keep] = n_active + renumbered
    n_dormant = int(dormant_labels.max()) + 1 - n_active if (dormant_labels >= 0).any() else 0

    # Every report of the history goes to the footprint it falls in, the
    # period's hotspots and the dormant places together (nearest member wins).
    is_dormant = dormant_labels >= 0
    members_xy = np.concatenate([active_xy, history_xy[is_dormant]])
    members_labels = np.concatenate([active_member_labels, dormant_labels[is_dormant]])
    # Members keep their own cluster (the period's members are in the
    # history, found by id): only the other reports need the search.
    labels = dormant_labels.copy()
    if "id" in history and "id" in period:
        period_ids = period["id"].to_numpy()[member]
        order = np.argsort(period_ids)
        history_ids = history["id"].to_numpy()
        at = np.searchsorted(period_ids, history_ids, sorter=order).clip(max=max(len(order) - 1, 0))
        known = (period_ids[order[at]] == history_ids) if len(order) else np.zeros(len(history_ids), bool)
        labels[known] = active_member_labels[order[at[known]]]
    todo = labels < 0
    labels[todo] = footprint_labels(history_xy[todo], members_xy, members_labels, eps)

    n_all = n_active + n_dormant
    table = _history_table(history, days, labels, n_all)
    # Each footprint holds at least its own members (the period's reports
    # are part of the history), so every label has its trend.
    if n_all:
        trend = np.asarray(label_trends(history, labels, **(params | {"end": end_day})), dtype=object)
        # A place is emerging when its recent weeks depart from its own past
        # (the exact test of the "Émergents" cells): in a town centre, the
        # town's background makes the Gi* cube call a new deal point
        # "sporadic". Otherwise Esri's class on the Gi* cube stands.
        emergence = np.asarray(label_trends(history, labels, **(EMERGENCE_PARAMS | {"end": end_day})), dtype=object)
        emerging = np.isin(emergence, EMERGING_CLASSES)
        trend[emerging] = emergence[emerging]
        table["trend"] = trend
    else:
        table["trend"] = np.array([], dtype=object)
    silent = (end_number - table["last_day"]) >= 7 * dormant_weeks
    table["status"] = np.where(silent, DORMANT, table["trend"])
    table = table.drop(columns="last_day")
    dormant = table.iloc[n_active:].reset_index(drop=True)
    dormant_out = np.full(len(placed), -1, dtype=np.int64)
    dormant_out[np.flatnonzero(placed)] = np.where(is_dormant, dormant_labels - n_active, -1)
    return HotspotHistories(active=table.iloc[:n_active], dormant_labels=dormant_out, dormant=dormant)


def _history_table(history, days, labels, n):
    inside = labels >= 0
    frame = pd.DataFrame(
        {"label": labels[inside], "observed_at": history["observed_at"].array[inside], "day": days[inside]}
    )
    groups = frame.groupby("label")
    table = pd.DataFrame(
        {
            "first_seen": groups["observed_at"].min(),
            "last_seen": groups["observed_at"].max(),
            "history_count": groups.size(),
            "last_day": groups["day"].max(),
        }
    )
    if len(table) != n:
        raise ValueError("every hotspot's members must be part of the history (same filters, no start date)")
    return table.reset_index(drop=True)


def _day_number(day):
    return (pd.Timestamp(day) - pd.Timestamp("1970-01-01")).days
