"""Do the hotspots predict? A rolling forecasting backtest.

For each window, the hotspots found on the reports of ``train_weeks`` weeks
(DBSCAN with the map's parameters) are taken as a forecast of where the
next ``horizon_weeks`` weeks' reports will fall, and scored as Chainey,
Tompson and Uhlig (2008) and Hunt (2016) score crime hotspot maps:

* **hit rate** ``n / N``: the share of the next weeks' reports inside the
  hotspots (``N`` reports placed in the département, ``n`` inside);
* **PAI**, Chainey's *predictive accuracy index*, ``(n / N) / (a / A)``: the
  hit rate over the share of the territory the hotspots cover (``a`` their
  area, ``A`` the département's, both in km² on Lambert-93). 1 is what
  cells drawn at random would do; more is better;
* **PEI**, the *predictive efficiency index* (Hunt, 2016), ``n / n*``: hits
  against the most any area of the same size could have caught, ``n*`` being
  the next weeks' reports in the best ``a / cell`` cells of a ``cell_size``
  grid. 1 is a perfect forecast for that area (the grid's best cells and
  the hulls do not have the same shape, so it may slightly exceed 1).

The **baseline** is a kernel density estimate of the same training reports
(a Gaussian kernel of ``bandwidth`` metres on the grid), its densest cells
taken up to the same area as the hotspots: the classic hotspot map an
analyst would otherwise draw. Hotspots worth their name should beat it, or
at least match it with outlines a commander can read.

Reports known only by their commune are left out of training and scoring:
they are not where they are drawn.
"""

import functools

import numpy as np
import pandas as pd
import shapely
from scipy.ndimage import gaussian_filter

from analysis.calendar import local_days
from analysis.hotspots import HULL_BUFFER_M, cluster_reports
from geo.crs import to_lambert93
from geo.reference import load_outline

__all__ = [
    "TRAIN_WEEKS",
    "HORIZON_WEEKS",
    "WINDOWS",
    "STEP_WEEKS",
    "CELL_SIZE",
    "BANDWIDTH",
    "backtest",
    "summary",
    "markdown_table",
    "vosges_l93",
]

#: Weeks of reports the hotspots are found on (the map's "90 jours" is
#: close to 12 weeks).
TRAIN_WEEKS = 12
#: Weeks they are asked to forecast: the next month, what an operation is
#: planned for.
HORIZON_WEEKS = 4
#: Windows scored, each ``STEP_WEEKS`` earlier than the next: a year.
WINDOWS = 13
STEP_WEEKS = 4
#: Grid of the KDE baseline and of the PEI's best possible area (metres).
CELL_SIZE = 100.0
#: Gaussian kernel of the baseline, in metres: twice the default DBSCAN
#: radius, the scale at which a KDE map draws a neighbourhood.
BANDWIDTH = 500.0


def backtest(
    reports,
    outline_l93,
    *,
    end=None,
    train_weeks=TRAIN_WEEKS,
    horizon_weeks=HORIZON_WEEKS,
    windows=WINDOWS,
    step_weeks=STEP_WEEKS,
    eps=250.0,
    min_samples=5,
    cell_size=CELL_SIZE,
    bandwidth=BANDWIDTH,
):
    """Score the hotspots and the KDE baseline on rolling windows.

    Parameters
    ----------
    reports : pandas.DataFrame
        ``x_l93``, ``y_l93``, ``observed_at`` (aware) and ``precision``.
    outline_l93 : shapely geometry
        The territory, in Lambert-93 metres: its area is ``A``, and only
        reports inside it are scored.
    end : date-like, optional
        The last day forecast by the latest window; by default the last
        Sunday on or before the latest report's day (whole weeks only).
    train_weeks, horizon_weeks, windows, step_weeks : int
        Weeks trained on, weeks forecast, number of windows, weeks between
        windows.
    eps, min_samples : float, int
        DBSCAN parameters of the hotspots.
    cell_size, bandwidth : float
        Grid cell and kernel of the baseline, in metres.

    Returns
    -------
    pandas.DataFrame
        One row per window, oldest first: ``train_start``, ``train_end``,
        ``test_end`` (local dates), ``n_train``, ``n_test``, ``hotspots``,
        ``area_km2``, ``area_share`` and, for ``dbscan`` and ``kde``,
        ``hits_*``, ``hit_rate_*``, ``pai_*`` and ``pei_*``. Windows whose
        training finds no hotspot have no area and NaN scores.
    """
    placed = reports[reports["precision"].to_numpy() != "commune"]
    x = placed["x_l93"].to_numpy(float)
    y = placed["y_l93"].to_numpy(float)
    inside = shapely.contains_xy(outline_l93, x, y)
    days = local_days(placed["observed_at"])
    territory_km2 = outline_l93.area / 1e6
    grid = _grid(outline_l93, cell_size)
    if end is None:
        last = int(days.max()) if days.size else 0
        # 1970-01-01 was a Thursday: (day + 4) % 7 is 0 on Sundays.
        end_day = last - (last + 4) % 7
    else:
        end_day = _day_number(end)
    rows = []
    for k in reversed(range(windows)):
        test_end = end_day - 7 * step_weeks * k
        cut = test_end - 7 * horizon_weeks
        train = (days > cut - 7 * train_weeks) & (days <= cut)
        test = (days > cut) & (days <= test_end) & inside
        rows.append(
            _score(x[train], y[train], x[test], y[test], grid, territory_km2, eps, min_samples, bandwidth)
            | {
                "train_start": _date(cut - 7 * train_weeks + 1),
                "train_end": _date(cut),
                "test_end": _date(test_end),
            }
        )
    columns = [
        "train_start",
        "train_end",
        "test_end",
        "n_train",
        "n_test",
        "hotspots",
        "area_km2",
        "area_share",
        "hits_dbscan",
        "hit_rate_dbscan",
        "pai_dbscan",
        "pei_dbscan",
        "hits_kde",
        "hit_rate_kde",
        "pai_kde",
        "pei_kde",
    ]
    return pd.DataFrame(rows, columns=columns)


def summary(table):
    """The mean of each score over the windows that found hotspots, as a
    dict (``windows`` counts them).

    Examples
    --------
    >>> table = pd.DataFrame({"area_share": [0.01, 0.03, np.nan], "hit_rate_dbscan": [0.2, 0.4, np.nan]})
    >>> {k: round(v, 3) for k, v in summary(table).items()}
    {'area_share': 0.02, 'hit_rate_dbscan': 0.3, 'windows': 2}
    """
    scored = table[table["area_share"].notna()]
    means = {
        name: float(scored[name].mean())
        for name in table.columns
        if name not in ("train_start", "train_end", "test_end") and pd.api.types.is_numeric_dtype(table[name])
    }
    return means | {"windows": len(scored)}


#: Column titles of :func:`markdown_table`.
TABLE_HEADERS = (
    "forecast weeks",
    "reports",
    "hotspots",
    "area %",
    "hit rate",
    "PAI",
    "PEI",
    "KDE hit rate",
    "KDE PAI",
    "KDE PEI",
)


def markdown_table(table, headers=TABLE_HEADERS, mean_label="mean of {windows}"):
    """The backtest table as Markdown: one line per window (the weeks
    forecast, the reports to catch, the hotspots' number and share of the
    territory, then hit rate, PAI and PEI of the hotspots and of the
    baseline) and a last line of means over the windows with hotspots.

    Examples
    --------
    >>> row = {"train_end": pd.Timestamp("2026-11-01").date(), "test_end": pd.Timestamp("2026-11-29").date(),
    ...        "n_test": 40, "hotspots": 2, "area_share": 0.001, "hit_rate_dbscan": 0.25, "pai_dbscan": 250.0,
    ...        "pei_dbscan": 0.5, "hit_rate_kde": 0.1, "pai_kde": 100.0, "pei_kde": 0.2}
    >>> print(markdown_table(pd.DataFrame([row])).splitlines()[2])
    | 02/11/2026 → 29/11/2026 | 40 | 2 | 0.10 | 25.0 % | 250.0 | 0.50 | 10.0 % | 100.0 | 0.20 |
    """
    lines = ["| " + " | ".join(headers) + " |", "|---|" + "---:|" * (len(headers) - 1)]

    def line(label, r, n_test, hotspots):
        if pd.isna(r["area_share"]):
            return f"| {label} | {n_test} | {hotspots} |" + " – |" * (len(headers) - 3)
        return (
            f"| {label} | {n_test} | {hotspots} | {100 * r['area_share']:.2f} | {100 * r['hit_rate_dbscan']:.1f} % "
            f"| {r['pai_dbscan']:.1f} | {r['pei_dbscan']:.2f} | {100 * r['hit_rate_kde']:.1f} % | {r['pai_kde']:.1f} "
            f"| {r['pei_kde']:.2f} |"
        )

    for r in table.to_dict("records"):
        first_forecast = r["train_end"] + pd.Timedelta(days=1)
        lines.append(line(f"{first_forecast:%d/%m/%Y} → {r['test_end']:%d/%m/%Y}", r, r["n_test"], r["hotspots"]))
    means = summary(table)
    if means["windows"]:
        label = "**" + mean_label.format(windows=means["windows"]) + "**"
        lines.append(line(label, means, f"{means['n_test']:.0f}", f"{means['hotspots']:.0f}"))
    return "\n".join(lines)


def vosges_l93():
    """The outline of the Vosges in Lambert-93 metres, the territory the
    scores are taken on.

    Examples
    --------
    >>> round(vosges_l93().area / 1e6)  # km²
    5891
    """
    return shapely.transform(load_outline(), lambda xy: np.column_stack(to_lambert93(xy[:, 0], xy[:, 1])))


@functools.lru_cache(maxsize=4)
def _grid(outline, cell_size):
    # Which of a million cells lie inside the territory costs a third of a
    # second: once per outline and cell size, not per request.
    return _Grid(outline, cell_size)


def _top_indices(values, m):
    """Indices of the ``m`` largest ``values`` (in no particular order).
    Most cells are empty: only the positive ones are ranked, and empty
    cells, worth nothing, fill up in index order."""
    m = min(m, len(values))
    positive = np.flatnonzero(values > 0)
    if len(positive) >= m:
        return positive[np.argpartition(values[positive], len(positive) - m)[len(positive) - m :]]
    rest = np.flatnonzero(~(values > 0))
    rest = rest[np.argsort(-values[rest], kind="stable")][: m - len(positive)]
    return np.concatenate([positive, rest])


def _top(values, m):
    return values[_top_indices(values, m)] if len(values) else values


class _Grid:
    """Square cells over the territory; those whose centre is inside count."""

    def __init__(self, outline, cell_size):
        xmin, ymin, xmax, ymax = outline.bounds
        self.cell_size = cell_size
        self.outline = outline
        self.origin = (xmin, ymin)
        self.shape = (int(np.ceil((xmax - xmin) / cell_size)), int(np.ceil((ymax - ymin) / cell_size)))
        ci, cj = np.meshgrid(np.arange(self.shape[0]), np.arange(self.shape[1]), indexing="ij")
        self.inside = shapely.contains_xy(outline, xmin + (ci + 0.5) * cell_size, ymin + (cj + 0.5) * cell_size)
        self.cell_km2 = cell_size**2 / 1e6

    def counts(self, x, y):
        i = np.floor((x - self.origin[0]) / self.cell_size).astype(np.int64)
        j = np.floor((y - self.origin[1]) / self.cell_size).astype(np.int64)
        keep = (i >= 0) & (i < self.shape[0]) & (j >= 0) & (j < self.shape[1])
        grid = np.zeros(self.shape)
        np.add.at(grid, (i[keep], j[keep]), 1.0)
        return grid

    def cells_for(self, area_km2):
        return max(1, int(round(area_km2 / self.cell_km2)))


def _score(train_x, train_y, test_x, test_y, grid, territory_km2, eps, min_samples, bandwidth):
    n_test = len(test_x)
    row = {"n_train": len(train_x), "n_test": n_test, "hotspots": 0, "area_km2": np.nan, "area_share": np.nan}
    row |= {f"{name}_{method}": np.nan for method in ("dbscan", "kde") for name in ("hits", "hit_rate", "pai", "pei")}
    if not len(train_x):
        return row
    frame = pd.DataFrame({"x_l93": train_x, "y_l93": train_y, "precision": "point"})
    labels = cluster_reports(frame, eps=eps, min_samples=min_samples)
    clustered = labels >= 0
    if not clustered.any():
        return row
    order = np.argsort(labels[clustered], kind="stable")
    members = np.column_stack([train_x, train_y])[clustered][order]
    # The outlines the map draws (analysis.hotspots.summarise).
    hulls = shapely.buffer(
        shapely.convex_hull(shapely.multipoints(members, indices=labels[clustered][order])),
        HULL_BUFFER_M,
        quad_segs=4,
    )
    union = shapely.intersection(shapely.union_all(hulls), grid.outline)
    area_km2 = union.area / 1e6
    row |= {"hotspots": int(labels.max()) + 1, "area_km2": area_km2, "area_share": area_km2 / territory_km2}
    test_grid = grid.counts(test_x, test_y)
    m = grid.cells_for(area_km2)
    # The m best cells: a partition, not a sort of a million cells.
    best = _top(test_grid[grid.inside], m).sum()
    hits = int(shapely.contains_xy(union, test_x, test_y).sum())
    density = gaussian_filter(grid.counts(train_x, train_y), sigma=bandwidth / grid.cell_size, mode="constant")
    density = np.where(grid.inside, density, -np.inf)
    top = _top_indices(density.ravel(), m)
    kde_hits = int(test_grid.ravel()[top].sum())
    # The baseline's area is whole cells: its PAI is over its own area.
    kde_share = min(m, int(grid.inside.sum())) * grid.cell_km2 / territory_km2
    for method, n, share in (("dbscan", hits, row["area_share"]), ("kde", kde_hits, kde_share)):
        rate = n / n_test if n_test else np.nan
        row |= {
            f"hits_{method}": n,
            f"hit_rate_{method}": rate,
            f"pai_{method}": rate / share if n_test else np.nan,
            f"pei_{method}": n / best if best else np.nan,
        }
    return row


def _day_number(day):
    return (pd.Timestamp(day) - pd.Timestamp("1970-01-01")).days


def _date(number):
    return (pd.Timestamp("1970-01-01") + pd.Timedelta(days=int(number))).date()
