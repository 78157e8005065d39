"""What a hotspot is to an analyst: its outline, its numbers, its name.

DBSCAN (``analysis.clustering``) only says which reports belong together.
This module turns each cluster into a summary a commander can read, and gives
it an identifier that survives the next run: clusters are matched to the
hotspots already known by the reports they share, then by overlapping
outlines, so "H-0042" keeps its name week after week.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import ConvexHull, QhullError

from analysis.clustering import DEFAULT_EPS, DEFAULT_MIN_SAMPLES, dbscan
from analysis.emerging import EmergingHotSpots, located
from analysis.vocabulary import RELIABILITIES
from geo.crs import to_wgs84

# Outlines are the convex hull of the members widened by this many metres, so
# that a hotspot of two stacked points still has an area to click.
HULL_BUFFER_M = 50.0
# A cluster takes a known hotspot's name when it shares at least this share
# of the smaller of the two report sets (shared reports first, then outline).
MIN_SHARED = 0.3
MIN_OVERLAP = 0.3

DEFAULT_GRADING_WEIGHTS = {
    "reliability": dict(zip(RELIABILITIES, [1.0, 0.9, 0.75, 0.6, 0.4, 0.5])),
    "credibility": {1: 1.0, 2: 0.9, 3: 0.75, 4: 0.55, 5: 0.4, 6: 0.5},
}


def grading_weights(reliability, credibility, table=None):
    """Weight of each report in clustering, from its grading (A1 = 1.0):
    the product of the reliability and credibility weights of ``table``
    (``DEFAULT_GRADING_WEIGHTS`` by default; credibility keys may be given
    as text, as JSON configuration has them).

    Examples
    --------
    >>> grading_weights(["A", "F"], [1, 6]).round(2).tolist()
    [1.0, 0.25]
    >>> grading_weights(["B"], [2], {"reliability": {"B": 0.5}, "credibility": {"2": 0.5}}).tolist()
    [0.25]
    """
    table = table or DEFAULT_GRADING_WEIGHTS
    credibility_table = {int(k): float(v) for k, v in table["credibility"].items()}
    r = pd.Series(np.asarray(reliability)).map(table["reliability"]).to_numpy(float)
    c = pd.Series(np.asarray(credibility).astype(int)).map(credibility_table).to_numpy(float)
    if np.isnan(r).any() or np.isnan(c).any():
        raise ValueError("the grading weight table lacks a grade present in the reports")
    return r * c


def cluster_reports(
    reports,
    *,
    eps=DEFAULT_EPS,
    min_samples=DEFAULT_MIN_SAMPLES,
    time_eps=None,
    weighted=False,
    grading_table=None,
    include_commune_precision=False,
):
    """DBSCAN labels for ``reports`` (a DataFrame with ``x_l93``, ``y_l93``,
    ``observed_at``, ``precision``, ``reliability``, ``credibility``).

    Reports known only by their commune are left out by default (label -1):
    stacked on the commune's centre they would fake a hotspot. With
    ``weighted``, each report counts towards ``min_samples`` by its grading
    weight (:func:`grading_weights` with ``grading_table``).

    Examples
    --------
    >>> frame = pd.DataFrame({"x_l93": [0, 10, 20, 5000], "y_l93": [0, 0, 0, 0],
    ...     "precision": ["point", "point", "commune", "point"],
    ...     "observed_at": pd.Timestamp("2026-01-01", tz="Europe/Paris"),
    ...     "reliability": "B", "credibility": 2})
    >>> cluster_reports(frame, eps=50, min_samples=2).tolist()
    [0, 0, -1, -1]
    """
    labels = np.full(len(reports), -1)
    usable = np.ones(len(reports), bool)
    if not include_commune_precision:
        usable &= reports["precision"].to_numpy() != "commune"
    if not usable.any():
        return labels
    subset = reports[usable]
    xy = subset[["x_l93", "y_l93"]].to_numpy(float)
    weights = grading_weights(subset["reliability"], subset["credibility"], grading_table) if weighted else None
    times = None
    if time_eps is not None:
        times = _days(subset["observed_at"])
    labels[usable] = dbscan(xy, eps=eps, min_samples=min_samples, sample_weight=weights, times=times, time_eps=time_eps)
    return labels


@dataclass
class Hotspot:
    """One cluster of reports, summarised."""

    code: str | None
    report_ids: list
    hull_l93: shapely.Geometry
    centroid_l93: tuple
    count: int
    by_agency: dict
    by_category: dict
    by_substance: dict
    first_seen: pd.Timestamp
    last_seen: pd.Timestamp
    communes: list
    n_agencies: int
    mean_reliability: float
    mean_credibility: float
    extra: dict = field(default_factory=dict)

    @property
    def convergent(self):
        """Seen by two or more agencies: what a CROSS exists to reveal."""
        return self.n_agencies >= 2

    @property
    def mean_grading(self):
        """The mean grading in the analysts' notation, e.g. ``"B2"``."""
        letter = RELIABILITIES[int(round(self.mean_reliability)) - 1]
        return f"{letter}{int(round(self.mean_credibility))}"


def summarise(reports, labels):
    """One :class:`Hotspot` per cluster label (noise ignored), largest first.

    ``reports`` needs ``id``, ``x_l93``, ``y_l93``, ``observed_at``,
    ``agency``, ``category``, ``substances`` (comma-separated), ``insee``,
    ``reliability`` and ``credibility``.

    Examples
    --------
    >>> frame = pd.DataFrame({"id": [1, 2, 3], "x_l93": [0.0, 30, 60], "y_l93": [0.0, 0, 0],
    ...     "observed_at": pd.to_datetime(["2026-01-01", "2026-01-08", "2026-02-01"]).tz_localize("Europe/Paris"),
    ...     "agency": ["GN", "DOUANE", "GN"], "category": "deal_point", "substances": ["cocaine", "cocaine,crack", ""],
    ...     "insee": "88160", "reliability": ["A", "B", "C"], "credibility": [1, 2, 3]})
    >>> (spot,) = summarise(frame, np.array([0, 0, 0]))
    >>> spot.count, spot.by_agency, spot.convergent, spot.mean_grading, spot.by_substance
    (3, {'GN': 2, 'DOUANE': 1}, True, 'B2', {'cocaine': 2, 'crack': 1})
    """
    labels = np.asarray(labels)
    clustered = labels >= 0
    members = reports.loc[clustered].assign(_label=labels[clustered])
    if members.empty:
        return []
    # One pass of group-bys over all clusters: per-cluster pandas calls cost
    # milliseconds each, and a county holds hundreds of clusters.
    groups = members.groupby("_label", sort=True)
    by_agency = _count_table(members, "agency")
    by_category = _count_table(members, "category")
    by_substance = _substance_table(members["_label"].to_numpy(np.int64), members["substances"])
    # Through the few distinct letters: a mapping of a million texts is slow.
    letters, present = pd.factorize(members["reliability"])
    ranks = np.array([RELIABILITIES.index(r) + 1 if r in RELIABILITIES else np.nan for r in present] + [np.nan])
    reliability = pd.Series(ranks[letters], index=members.index)
    stats = pd.DataFrame(
        {
            "n": groups.size(),
            "x": groups["x_l93"].mean(),
            "y": groups["y_l93"].mean(),
            "first": groups["observed_at"].min(),
            "last": groups["observed_at"].max(),
            "n_agencies": groups["agency"].nunique(),
            "reliability": reliability.groupby(members["_label"]).mean(),
            "credibility": groups["credibility"].mean(),
        }
    )
    # Members sorted by cluster: each cluster's points, ids and communes are
    # then one contiguous slice, cut without a Python loop over points.
    order = np.argsort(members["_label"].to_numpy(), kind="stable")
    sorted_labels = members["_label"].to_numpy()[order]
    bounds = np.flatnonzero(np.diff(sorted_labels)) + 1
    points, owners = _hull_candidates(
        members[["x_l93", "y_l93"]].to_numpy(float)[order], np.searchsorted(stats.index.to_numpy(), sorted_labels)
    )
    hulls = shapely.buffer(
        shapely.convex_hull(shapely.multipoints(points, indices=owners)),
        HULL_BUFFER_M,
        # Four segments per quarter circle are plenty for a 50 m margin, and
        # halve the vertices every later step handles.
        quad_segs=4,
    )
    ids = dict(zip(stats.index, np.split(members["id"].to_numpy()[order], bounds)))
    communes = dict(zip(stats.index, np.split(members["insee"].to_numpy()[order], bounds)))
    hotspots = [
        Hotspot(
            code=None,
            extra={"label": int(label)},
            report_ids=ids[label].tolist(),
            hull_l93=hull,
            centroid_l93=(float(row.x), float(row.y)),
            count=int(row.n),
            by_agency=by_agency.get(label, {}),
            by_category=by_category.get(label, {}),
            by_substance=by_substance.get(label, {}),
            first_seen=row.first,
            last_seen=row.last,
            communes=sorted(set(communes[label].tolist())),
            n_agencies=int(row.n_agencies),
            mean_reliability=float(row.reliability),
            mean_credibility=float(row.credibility),
        )
        for (label, row), hull in zip(zip(stats.index, stats.itertuples(index=False)), hulls)
    ]
    hotspots.sort(key=lambda h: (-h.count, h.report_ids[0]))
    return hotspots


@dataclass
class KnownHotspot:
    """A hotspot from an earlier run: its name, reports and outline."""

    code: str
    report_ids: list  # or any iterable of report ids
    hull_l93: shapely.Geometry


def match_known(hotspots, known):
    """Give each hotspot the code of the known hotspot it continues, if any.

    A cluster continues a known hotspot when they share at least
    ``MIN_SHARED`` of the smaller report set, or failing that when their
    outlines overlap by ``MIN_OVERLAP`` of the smaller area. Pairs are
    settled best first and each code is given once, so two clusters never
    share a name. Returns the hotspots still without a code.

    Examples
    --------
    >>> square = shapely.box(0, 0, 100, 100)
    >>> old = [KnownHotspot("H-0001", {1, 2, 3}, square)]
    >>> a = Hotspot(None, [2, 3, 4], square, (50, 50), 3, {}, {}, {}, None, None, [], 1, 1, 1)
    >>> b = Hotspot(None, [9], shapely.box(500, 500, 600, 600), (550, 550), 1, {}, {}, {}, None, None, [], 1, 1, 1)
    >>> [h.code for h in match_known([a, b], old)], a.code
    ([None], 'H-0001')
    """
    if not hotspots or not known:
        return [h for h in hotspots if h.code is None]
    # Shared reports by one join, overlapping outlines through an R-tree: no
    # comparison of every pair, which thousands of hotspots would make slow.
    spot_sizes = np.array([len(h.report_ids) for h in hotspots])
    known_sizes = np.array([len(k.report_ids) for k in known])
    new = pd.DataFrame(
        {
            "i": np.repeat(np.arange(len(hotspots)), spot_sizes),
            "report": np.concatenate([np.asarray(h.report_ids, dtype=np.int64) for h in hotspots]),
        }
    )
    old = pd.DataFrame(
        {
            "j": np.repeat(np.arange(len(known)), known_sizes),
            "report": np.concatenate(
                [np.fromiter(k.report_ids, dtype=np.int64, count=len(k.report_ids)) for k in known]
            ),
        }
    )
    common = new.merge(old, on="report").groupby(["i", "j"]).size()
    i_shared = common.index.get_level_values("i").to_numpy()
    j_shared = common.index.get_level_values("j").to_numpy()
    share = common.to_numpy() / np.maximum(1, np.minimum(spot_sizes[i_shared], known_sizes[j_shared]))
    shared = dict(zip(zip(i_shared.tolist(), j_shared.tolist()), share.tolist()))

    spot_hulls = np.array([h.hull_l93 for h in hotspots], dtype=object)
    known_hulls = np.array([k.hull_l93 for k in known], dtype=object)
    i_touch, j_touch = shapely.STRtree(known_hulls).query(spot_hulls, predicate="intersects")
    # Pairs already matched by their reports need no overlap.
    undecided = np.array(
        [shared.get(pair, 0.0) < MIN_SHARED for pair in zip(i_touch.tolist(), j_touch.tolist())], dtype=bool
    )
    i_touch, j_touch = i_touch[undecided], j_touch[undecided]
    smaller = np.minimum(shapely.area(spot_hulls[i_touch]), shapely.area(known_hulls[j_touch]))
    inter = shapely.area(shapely.intersection(spot_hulls[i_touch], known_hulls[j_touch]))
    overlap = np.divide(inter, smaller, out=np.zeros_like(inter), where=smaller > 0)

    candidates = [(sh, 0.0, i, j) for (i, j), sh in shared.items() if sh >= MIN_SHARED]
    candidates += [
        (shared.get((i, j), 0.0), ov, i, j)
        for i, j, ov in zip(i_touch.tolist(), j_touch.tolist(), overlap.tolist())
        if ov >= MIN_OVERLAP
    ]
    taken_spots, taken_codes = set(), set()
    for _shared, _overlap, i, j in sorted(candidates, reverse=True):
        if i in taken_spots or j in taken_codes:
            continue
        hotspots[i].code = known[j].code
        taken_spots.add(i)
        taken_codes.add(j)
    return [h for h in hotspots if h.code is None]


# A hotspot's trend looks a year and a half back: long enough for a decline
# to show ("en baisse"), short enough that old history does not drown what is
# new. Chosen on the demo's planted truth over several seeds (see
# tests/analysis/test_hotspot_trends.py, which measures it).
TREND_PARAMS = {"window_weeks": 78, "min_count": 3, "time_step_neighbours": 3}


def trend_statuses(reports, hotspots, **params):
    """Emerging-hotspot category of each hotspot (new, consecutive,
    intensifying, persistent, diminishing, sporadic, oscillating, historical
    or no_pattern), its cells taken as one zone of the space-time cube built
    from all ``reports`` (see ``analysis.emerging``).

    Parameters
    ----------
    reports : DataFrame
        ``id``, ``x_l93``, ``y_l93`` and ``observed_at`` of every report.
    hotspots : list of Hotspot
    **params
        Overrides of ``TREND_PARAMS`` for ``EmergingHotSpots``.
    """
    if not hotspots:
        return []
    ids = reports["id"].to_numpy()
    order = np.argsort(ids)
    labels = np.full(len(reports), -1)
    for number, spot in enumerate(hotspots):
        labels[order[np.searchsorted(ids, spot.report_ids, sorter=order)]] = number
    return label_trends(reports, labels, **params).tolist()


def label_trends(reports, labels, **params):
    """:func:`trend_statuses` straight from DBSCAN labels: the category of
    clusters 0, 1, ... ``labels.max()``, in that order. It needs no
    summaries, so it can run beside them."""
    labels = np.asarray(labels)
    clustered = labels >= 0
    if not clustered.any():
        return np.array([], dtype=object)
    model = EmergingHotSpots(**(TREND_PARAMS | params))
    x = reports["x_l93"].to_numpy(float)
    y = reports["y_l93"].to_numpy(float)
    # Reports known only by their commune sit on its centre: they would make
    # the cells there look busy, so the cube leaves them out.
    cube = located(reports)
    model.build(x[cube], y[cube], reports["observed_at"][cube])
    return model.classify_zones(x[clustered], y[clustered], labels[clustered])


def hull_wgs84(hull_l93, decimals=None):
    """The outline (or an array of outlines) in WGS84 longitude/latitude,
    for the map; coordinates rounded to ``decimals`` when given."""

    def project(xy):
        lonlat = np.column_stack(to_wgs84(xy[:, 0], xy[:, 1]))
        return lonlat if decimals is None else np.round(lonlat, decimals)

    return shapely.transform(hull_l93, project)


def _substance_table(labels, substances):
    """``{label: {substance: count}}`` from comma-separated substances,
    most frequent first (ties in alphabetical order), empty ones ignored.
    Each distinct text is split once: reports repeat a few dozen of them."""
    codes, texts = pd.factorize(substances)
    parts = [[part for part in str(text).split(",") if part] for text in texts]
    names = sorted({part for text_parts in parts for part in text_parts})
    if not names:
        return {}
    # How many times each distinct text names each substance.
    naming = np.zeros((len(texts), len(names)), dtype=np.int64)
    column = {name: i for i, name in enumerate(names)}
    for row, text_parts in enumerate(parts):
        for part in text_parts:
            naming[row, column[part]] += 1
    known = codes >= 0
    pairs, counts = np.unique(labels[known] * len(texts) + codes[known], return_counts=True)
    owners, rows = np.divmod(pairs, len(texts))
    clusters, position = np.unique(owners, return_inverse=True)
    per_text = np.zeros((len(clusters), len(texts)), dtype=np.int64)
    np.add.at(per_text, (position, rows), counts)
    totals = per_text @ naming
    table = {}
    for label, row in zip(clusters.tolist(), totals):
        named = np.flatnonzero(row)
        order = named[np.lexsort((named, -row[named]))]
        if len(order):
            table[label] = {names[i]: int(row[i]) for i in order}
    return table


#: Clusters larger than this are cut down to their convex hull's vertices
#: before shapely makes points of them: at a million reports, making a
#: point of every member took longer than the clustering.
HULL_PREFILTER = 256


def _hull_candidates(xy, owner):
    """The points of each cluster (``owner`` sorted, one per point) that
    may lie on its convex hull: every point of the small clusters, the
    hull's vertices (scipy's qhull) of the large ones. The hull of the
    candidates is the hull of all."""
    bounds = np.flatnonzero(np.diff(owner)) + 1
    starts, stops = np.r_[0, bounds], np.r_[bounds, len(owner)]
    keep = np.ones(len(owner), dtype=bool)
    for start, stop in zip(starts.tolist(), stops.tolist()):
        if stop - start <= HULL_PREFILTER:
            continue
        try:
            vertices = ConvexHull(xy[start:stop]).vertices
        except QhullError:  # all on a line: shapely handles it
            continue
        keep[start:stop] = False
        keep[start + vertices] = True
    return xy[keep], owner[keep]


def _count_table(frame, column):
    """``{label: {value: count}}``, most frequent value first (ties in the
    values' order). Counted on integer codes: a pandas group-by on text
    cost more than the rest of a summary."""
    codes, values = pd.factorize(frame[column], sort=True)
    known = codes >= 0
    pairs = frame["_label"].to_numpy(np.int64)[known] * len(values) + codes[known]
    keys, counts = np.unique(pairs, return_counts=True)
    labels, value_codes = np.divmod(keys, max(len(values), 1))
    order = np.lexsort((value_codes, -counts, labels))
    names = [str(v) for v in values]
    table = {}
    for label, code, n in zip(labels[order].tolist(), value_codes[order].tolist(), counts[order].tolist()):
        table.setdefault(label, {})[names[code]] = n
    return table


def _days(times):
    stamps = pd.DatetimeIndex(pd.Series(times))
    return (stamps.asi8 - stamps.asi8.min()) / 86_400e9 if len(stamps) else np.zeros(0)
