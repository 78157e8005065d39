"""Hotspots, trends and commune figures for a set of reports. Flask-free:
the API views hand it a session and a DataFrame of filtered reports."""

import functools
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.calendar import weekly_counts
from analysis.clustering import DEFAULT_EPS, DEFAULT_MIN_SAMPLES
from analysis.communes_stats import commune_rates, commune_trends
from analysis.emerging import CELL_LIST_PARAMS, CELL_SIZE, located
from analysis.emerging import emerging_cells as analysis_emerging_cells
from analysis.hotspots import cluster_reports, label_trends, summarise
from geo.crs import LAMBERT93
from geo.reference import load_communes
from webmap.services.filters import FilterError
from webmap.services.hotspot_names import name_hotspots

#: Query parameters of the clustering, beside the filter's (webmap.services.filters).
CLUSTER_PARAMETERS = ("eps", "min_samples", "time_eps", "weighted")

WEIGHTED_VALUES = {"": False, "0": False, "false": False, "non": False, "1": True, "true": True, "oui": True}

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

    def words(self):
        text = f"rayon {self.eps:g} m, {self.min_samples} signalements minimum"
        if self.time_eps is not None:
            text += f", fenêtre {self.time_eps:g} jours"
        if self.weighted:
            text += ", pondéré par la cotation"
        return text


def parse_cluster_params(args, defaults=None):
    """Read ``eps``, ``min_samples`` and ``time_eps`` from text parameters
    (a query string, CLI options) into :class:`ClusterParams`, starting from
    ``defaults`` (the ``CLUSTERING`` setting); a bad one raises
    :class:`~webmap.services.filters.FilterError` naming it."""
    values = dict(defaults or {})
    for name, kind, low in (("eps", float, 1.0), ("min_samples", int, 1), ("time_eps", float, 0.0)):
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
    weighted = str(args.get("weighted") or "").strip().lower()
    if weighted not in WEIGHTED_VALUES:
        raise FilterError("weighted", f"attendu true ou false, reçu « {weighted} »")
    values["weighted"] = WEIGHTED_VALUES[weighted]
    if values.get("eps", DEFAULT_EPS) > 50_000:
        raise FilterError("eps", "rayon limité à 50 000 m")
    # Found by schemathesis: a zero or vanishing window reached the
    # clustering, which cannot resolve it, as a 500.
    if values.get("time_eps", 1.0) < 0.01:
        raise FilterError("time_eps", "la fenêtre doit compter au moins 0,01 jour (un quart d'heure)")
    return ClusterParams(**values)


def hotspots(session, reports, params, *, remember=False, grading_weights=None):
    """Cluster ``reports`` and return named, summarised hotspots, each with
    its trend ``status`` in ``extra``. ``grading_weights`` is the table used
    when ``params.weighted`` (default ``analysis.hotspots.DEFAULT_GRADING_WEIGHTS``)."""
    labels = cluster_reports(
        reports,
        eps=params.eps,
        min_samples=params.min_samples,
        time_eps=params.time_eps,
        weighted=params.weighted,
        grading_table=grading_weights,
    )
    # The trends need only the labels: numpy work that runs on the other
    # core while the summaries and names are made.
    with ThreadPoolExecutor(max_workers=1) as pool:
        statuses = pool.submit(label_trends, reports, labels)
        spots = summarise(reports, labels)
        with _naming:
            name_hotspots(session, spots, remember=remember)
        statuses = statuses.result()
    for spot in spots:
        spot.extra["status"] = statuses[spot.extra["label"]]
    return spots


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
        keys = set(zip(np.floor(shown["x_l93"].to_numpy(float) / size).astype(int).tolist(),
                       np.floor(shown["y_l93"].to_numpy(float) / size).astype(int).tolist()))
        keep = [(i, j) in keys for i, j in zip(cells["i"].tolist(), cells["j"].tolist())]
        cells = cells[keep].reset_index(drop=True)
    insee, name = cell_communes(cells["x"].to_numpy(float), cells["y"].to_numpy(float))
    return cells.assign(insee=insee, commune=name)


@functools.cache
def communes_l93() -> gpd.GeoDataFrame:
    """The communes in Lambert-93, read once (reference data never changes
    while the application runs). Shared: do not modify it."""
    return load_communes().to_crs(LAMBERT93)


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


def commune_figures(reports, communes, *, history=None, end=None):
    """Counts and rates per commune of the Vosges, every commune listed,
    with the card's trend: ``trend_recent`` and ``trend_previous``, the
    reports of the last 13 weeks up to ``end`` and of the 13 before, taken
    from ``history`` (every report up to the end of the period, default
    ``reports``) so that a short period still has its "before"."""
    population = communes.set_index("insee")["population"]
    counts = reports.groupby("insee").size()
    figures = commune_rates(counts, population)
    figures.insert(0, "name", communes.set_index("insee")["name"])
    by_agency = reports.groupby(["insee", "agency"]).size().unstack(fill_value=0)
    figures["by_agency"] = [
        {a: int(n) for a, n in by_agency.loc[code].items() if n} if code in by_agency.index else {} for code in figures.index
    ]
    history = reports if history is None else history
    if history.empty:
        figures["trend_recent"] = figures["trend_previous"] = 0
        return figures
    end = history["observed_at"].max() if end is None else end
    trends = commune_trends(history["insee"], history["observed_at"], end=end).reindex(figures.index, fill_value=0)
    figures["trend_recent"] = trends["recent"].to_numpy()
    figures["trend_previous"] = trends["previous"].to_numpy()
    return figures
