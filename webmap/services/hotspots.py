"""Hotspots, trends and commune figures for a set of reports. Flask-free:
the API views hand it a session and a DataFrame of filtered reports."""

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.backtest import HORIZON_WEEKS, TRAIN_WEEKS, backtest, summary, vosges_l93
from analysis.calendar import TIMEZONE, weekly_counts
from analysis.clustering import DEFAULT_EPS, DEFAULT_MIN_SAMPLES
from analysis.communes_stats import commune_rates, commune_trends
from analysis.emerging import CELL_LIST_PARAMS, CELL_SIZE, located
from analysis.emerging import emerging_cells as analysis_emerging_cells
from analysis.hotspot_history import DORMANT, DORMANT_WEEKS, hotspot_histories
from analysis.hotspots import cluster_reports, summarise
from analysis.risk import DEFAULT_RISK, hotspot_excess
from geo.reference import load_communes
from webmap.services.filters import FilterError
from webmap.services.hotspot_names import name_hotspots

#: Query parameters of the clustering, beside the filter's (webmap.services.filters).
CLUSTER_PARAMETERS = ("eps", "min_samples", "time_eps", "weighted", "beyond_expected")

WEIGHTED_VALUES = {"": False, "0": False, "false": False, "non": False, "1": True, "true": True, "oui": True}

# Need-to-know: smaller radii or groups would draw a hotspot around one
# report, and exact times with it (issue #16). Everyone gets these bounds.
MIN_EPS = 50.0
MIN_SAMPLES = 3

# Naming writes new codes: one run at a time, so two requests never mint the
# same code.
_naming = threading.Lock()


@dataclass(frozen=True)
class ClusterParams:
    """DBSCAN parameters as the map's side panel sets them."""

    eps: float = DEFAULT_EPS
    min_samples: int = DEFAULT_MIN_SAMPLES
    time_eps: float | None = None
    # Weigh each report by its grading (config GRADING_WEIGHTS): an A1 counts
    # fully towards min_samples, an F6 much less.
    weighted: bool = False
    # Keep only the hotspots holding more reports than their communes'
    # rates predict (analysis.risk); dormant places stay listed.
    beyond_expected: bool = False

    def words(self):
        text = f"rayon {self.eps:g} m, {self.min_samples} signalements minimum"
        if self.time_eps is not None:
            text += f", fenêtre {self.time_eps:g} jours"
        if self.weighted:
            text += ", pondéré par la cotation"
        if self.beyond_expected:
            text += ", au-delà de l'attendu seulement"
        return text


def parse_cluster_params(args, defaults=None):
    """Read ``eps``, ``min_samples`` and ``time_eps`` from text parameters
    (a query string, CLI options) into :class:`ClusterParams`, starting from
    ``defaults`` (the ``CLUSTERING`` setting); a bad one raises
    :class:`~webmap.services.filters.FilterError` naming it."""
    values = dict(defaults or {})
    for name, kind, low in (("eps", float, MIN_EPS), ("min_samples", int, MIN_SAMPLES), ("time_eps", float, 0.0)):
        text = str(args.get(name) or "").strip()
        if not text:
            continue
        try:
            value = kind(text)
        except ValueError:
            raise FilterError(name, f"nombre attendu, reçu « {text} »") from None
        if not math.isfinite(value) or value < low:
            raise FilterError(name, f"doit être un nombre d'au moins {low:g}, reçu « {text} »")
        values[name] = value
    for name in ("weighted", "beyond_expected"):
        text = str(args.get(name) or "").strip().lower()
        if text not in WEIGHTED_VALUES:
            raise FilterError(name, f"attendu true ou false, reçu « {text} »")
        values[name] = WEIGHTED_VALUES[text]
    if values.get("eps", DEFAULT_EPS) > 50_000:
        raise FilterError("eps", "rayon limité à 50 000 m")
    # Found by schemathesis: a zero or vanishing window reached the
    # clustering, which cannot resolve it, as a 500.
    if values.get("time_eps", 1.0) < 0.01:
        raise FilterError("time_eps", "la fenêtre doit compter au moins 0,01 jour (un quart d'heure)")
    return ClusterParams(**values)


def hotspots(
    session,
    reports,
    params,
    *,
    history=None,
    end=None,
    remember=False,
    grading_weights=None,
    dormant_weeks=DORMANT_WEEKS,
    risk=DEFAULT_RISK,
    communes=None,
):
    """Cluster the period's ``reports`` and return named, summarised
    hotspots told from their whole history, then the dormant places.

    ``history`` holds the reports with the same filters but no start date
    (``reports`` itself when omitted, as for the whole history); ``end`` is
    the period's last day (default: today, or the latest report's day if
    later). Each hotspot's ``first_seen``/``last_seen`` come from its history
    (see ``analysis.hotspot_history``); ``extra`` holds ``status`` (Esri's
    class or ``dormant``), ``trend``, ``period_count``, ``period_first_seen``,
    ``period_last_seen``, ``history_count``, ``dormant`` and, unless ``risk``
    is None, ``expected``, ``excess_p`` and ``beyond_expected`` (see
    ``analysis.risk``; ``communes`` are the commune polygons with their
    population, default ``geo.reference.load_communes()``). Dormant places
    come last, with ``period_count`` 0. ``grading_weights`` is the table
    used when ``params.weighted``."""
    history = reports if history is None else history
    end = end or _default_end(history)
    labels = cluster_reports(
        reports,
        eps=params.eps,
        min_samples=params.min_samples,
        time_eps=params.time_eps,
        weighted=params.weighted,
        grading_table=grading_weights,
    )
    # The histories need only the labels: numpy work that runs on the
    # other core while the period's summaries are made; the risk test runs
    # there while the names are found.
    with ThreadPoolExecutor(max_workers=1) as pool:
        found = pool.submit(
            hotspot_histories,
            reports,
            labels,
            history,
            end=end,
            eps=params.eps,
            min_samples=params.min_samples,
            dormant_weeks=dormant_weeks,
            weighted=params.weighted,
            grading_table=grading_weights,
            # A time window of the map's clustering bounds the
            # dormant places' too.
            **({"dormant_time_eps": params.time_eps} if params.time_eps else {}),
        )
        spots = summarise(reports, labels)
        found = found.result()
        risk_table = None
        if risk is not None and spots:
            risk_table = pool.submit(
                hotspot_excess,
                [s.hull_l93 for s in spots],
                reports,
                _communes_l93() if communes is None else communes,
                eps=params.eps,
                mode=risk,
            )
        # Rows as plain records: a DataFrame lookup per hotspot costs more
        # than the rest of this loop with thousands of hotspots.
        active = found.active.to_dict("records")
        for spot in spots:
            row = active[spot.extra["label"]]
            spot.extra.update(
                period_count=spot.count,
                period_first_seen=spot.first_seen,
                period_last_seen=spot.last_seen,
                history_count=int(row["history_count"]),
                trend=row["trend"],
                status=row["status"],
                dormant=row["status"] == DORMANT,
            )
            spot.first_seen, spot.last_seen = row["first_seen"], row["last_seen"]
        asleep = summarise(history.reset_index(drop=True), found.dormant_labels)
        dormant = found.dormant.to_dict("records")
        for spot in asleep:
            row = dormant[spot.extra["label"]]
            spot.extra.update(
                period_count=0,
                period_first_seen=None,
                period_last_seen=None,
                history_count=int(row["history_count"]),
                trend=row["trend"],
                status=DORMANT,
                dormant=True,
            )
            spot.first_seen, spot.last_seen = row["first_seen"], row["last_seen"]
        with _naming:
            name_hotspots(session, spots + asleep, remember=remember)
        if risk_table is not None:
            for spot, row in zip(spots, risk_table.result().itertuples(index=False)):
                spot.extra.update(expected=float(row.expected), excess_p=float(row.q), beyond_expected=bool(row.excess))
    if params.beyond_expected and risk is not None:
        spots = [spot for spot in spots if spot.extra.get("beyond_expected")]
    return spots + asleep


def _default_end(history):
    today = pd.Timestamp.now(tz=TIMEZONE).date()
    if history.empty:
        return today
    return max(today, history["observed_at"].max().tz_convert(TIMEZONE).date())


def backtest_table(history, *, params=None, end=None, **windows):
    """``analysis.backtest.backtest`` of ``history`` on the Vosges, with the
    clustering parameters ``params`` and the window options ``windows``
    (``train_weeks``, ``horizon_weeks``, ``windows``, ``step_weeks``)."""
    params = params or ClusterParams()
    return backtest(history, _outline(), end=end, eps=params.eps, min_samples=params.min_samples, **windows)


def backtest_summary(history, *, params=None, end=None):
    """Mean hit rate, PAI and PEI of the hotspots (and the kernel density
    baseline) of :func:`backtest_table` on ``history``, with the window
    lengths, for the hotspots panel and the briefing pack; None when no
    window found a hotspot."""
    if history.empty:
        return None
    means = summary(backtest_table(history, params=params, end=end))
    if not means["windows"]:
        return None
    return means | {"train_weeks": TRAIN_WEEKS, "horizon_weeks": HORIZON_WEEKS}


_reference_lock = threading.Lock()
_reference = {}


def _once(name, build):
    """Reference geometry, projected once per process."""
    with _reference_lock:
        if name not in _reference:
            _reference[name] = build()
        return _reference[name]


def _outline():
    return _once("outline", vosges_l93)


def _communes_l93():
    return _once("communes", lambda: load_communes().to_crs("EPSG:2154"))


def emerging_cells(history, *, period=None, end=None):
    """Cells of the space-time cube with a trend category (no "no pattern"),
    each with the commune containing its centre (``insee``, ``commune``):
    the page's list and the briefing pack name the same one.

    ``history`` holds every report up to ``end`` (the period's filter
    without its first day): a cell emerges against its own past. When
    ``period`` (the reports of the period on screen) is given, only the cells
    holding at least one of its located reports are kept, as only the
    hotspots with reports in the period are drawn.
    """
    columns = ["x", "y", "category", "count", "count_recent", "insee", "commune"]
    if history.empty:
        return pd.DataFrame(columns=columns)
    cells = analysis_emerging_cells(history, end=end)
    if period is not None and len(cells):
        shown = period[located(period)]
        size = CELL_LIST_PARAMS.get("cell_size", CELL_SIZE)
        keys = set(
            zip(
                np.floor(shown["x_l93"].to_numpy(float) / size).astype(int).tolist(),
                np.floor(shown["y_l93"].to_numpy(float) / size).astype(int).tolist(),
            )
        )
        keep = [(i, j) in keys for i, j in zip(cells["i"].tolist(), cells["j"].tolist())]
        cells = cells[keep].reset_index(drop=True)
    insee, name = cell_communes(cells["x"].to_numpy(float), cells["y"].to_numpy(float))
    return cells.assign(insee=insee, commune=name)


def communes_l93() -> gpd.GeoDataFrame:
    """The communes in Lambert-93, read once (reference data never changes
    while the application runs). Shared: do not modify it."""
    return _communes_l93()


def cell_communes(x, y):
    """INSEE code and name of the commune containing each Lambert-93 point
    (point in polygon, not the nearest bounding box), ``""`` outside the
    département; two lists."""
    communes = communes_l93()
    points = gpd.points_from_xy(x, y, crs=communes.crs)
    where, which = communes.sindex.query(points, predicate="intersects")
    insee = [""] * len(points)
    name = [""] * len(points)
    # A centre on a shared boundary touches two communes: keep the first.
    for point, commune in zip(where[::-1], which[::-1]):
        insee[point] = communes["insee"].iat[commune]
        name[point] = communes["name"].iat[commune]
    return insee, name


def hotspot_history(reports, spot):
    """Weekly report counts of one hotspot, from its first week to the last
    week of the reports."""
    members = reports[reports["id"].isin(spot.report_ids)]
    return weekly_counts(members["observed_at"], end=reports["observed_at"].max())


def commune_figures(reports, communes, *, history=None, end=None, withheld=None):
    """Counts and rates per commune of the Vosges, every commune listed,
    with the card's trend: ``trend_recent`` and ``trend_previous``, the
    reports of the last 13 weeks up to ``end`` and of the 13 before, taken
    from ``history`` (every report up to the end of the period, default
    ``reports``) so that a short period still has its "before".
    ``withheld`` (``{insee: {agency: count}}``) adds reports counted but not
    seen (``webmap.security.need_to_know.withheld_counts``) to the counts,
    never to the trend."""
    by_agency = reports.groupby(["insee", "agency"]).size()
    history = reports if history is None else history
    if history.empty:
        trends = None
    else:
        end = history["observed_at"].max() if end is None else end
        trends = commune_trends(history["insee"], history["observed_at"], end=end)
    return figures_from_counts(by_agency, trends, communes, withheld=withheld)


def figures_from_counts(by_agency, trends, communes, *, withheld=None):
    """The table of :func:`commune_figures` from counts already made (in
    SQL by ``webmap.services.commune_counts``, or by pandas above): reports
    per (insee, agency), a Series, and the trend table (``recent`` and
    ``previous`` per insee, or None when there is no history)."""
    population = communes.set_index("insee")["population"]
    by_agency = by_agency[by_agency > 0]
    counts = by_agency.groupby(level=0).sum() if len(by_agency) else pd.Series(dtype=np.int64)
    breakdown = {}
    for (code, agency), n in by_agency.items():
        breakdown.setdefault(code, {})[agency] = int(n)
    for code, extra in (withheld or {}).items():
        counts.loc[code] = counts.get(code, 0) + sum(extra.values())
        mine = breakdown.setdefault(code, {})
        for agency, n in extra.items():
            mine[agency] = mine.get(agency, 0) + n
    figures = commune_rates(counts, population)
    figures.insert(0, "name", communes.set_index("insee")["name"])
    figures["by_agency"] = [breakdown.get(code, {}) for code in figures.index]
    if trends is None:
        figures["trend_recent"] = figures["trend_previous"] = 0
        return figures
    trends = trends.reindex(figures.index, fill_value=0)
    figures["trend_recent"] = trends["recent"].to_numpy()
    figures["trend_previous"] = trends["previous"].to_numpy()
    return figures
