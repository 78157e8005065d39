"""Reports per commune: counts, rates per 1,000 inhabitants, weekly series.

Raw rates of small communes swing wildly: one report in a village of 80 is
12.5 per 1,000, more than any town. :func:`commune_rates` therefore also gives
a global empirical-Bayes rate (Marshall, 1991, as PySAL esda's
``Empirical_Bayes``), which pulls each commune's rate toward the department's
by an amount that shrinks as its population grows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.calendar import local_date, local_days, week_start

__all__ = ["RATE_BASE", "TREND_WEEKS", "commune_rates", "commune_trends", "weekly_series"]

#: Rates are given per this many inhabitants.
RATE_BASE = 1000
#: A commune's trend sets its last this-many weeks against the same before.
TREND_WEEKS = 13


def commune_rates(counts, population):
    """Count, raw rate and empirical-Bayes smoothed rate of each commune.

    With e_i reports and b_i inhabitants in commune i, r_i = e_i / b_i and
    the global rate m = sum(e) / sum(b), the variance of the true rates is
    estimated as ``v = sum(b_i (r_i - m)**2) / sum(b) - m / mean(b)``, each
    commune's weight is ``w_i = v / (v + m / b_i)`` and its smoothed rate
    ``w_i r_i + (1 - w_i) m``. When v comes out negative (the rates vary less
    than chance alone would make them), it is set to 0 as Marshall advises,
    so every commune gets the global rate; esda leaves it negative. Otherwise
    the result equals esda's.

    Parameters
    ----------
    counts : pandas.Series
        Reports per commune, indexed by INSEE code. Communes missing from it
        count 0; codes absent from ``population`` are ignored (map former
        communes to current ones first). Not modified.
    population : pandas.Series
        Inhabitants per commune, indexed by INSEE code: the communes of the
        result, in this order. Not modified.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``population``, with columns ``count`` (int),
        ``population``, ``rate_per_1000`` and ``smoothed_rate_per_1000``.

    Examples
    --------
    Two communes of 1,000 inhabitants with 0 and 4 reports: the global rate
    is 2 per 1,000, v = 4e-6 - 2e-6 and each weight is 1/2.

    >>> population = pd.Series({"88001": 1000, "88002": 1000})
    >>> commune_rates(pd.Series({"88002": 4}), population)
           count  population  rate_per_1000  smoothed_rate_per_1000
    88001      0        1000            0.0                     1.0
    88002      4        1000            4.0                     3.0
    """
    if not isinstance(counts, pd.Series) or not isinstance(population, pd.Series):
        raise ValueError("counts and population must be pandas Series indexed by INSEE code.")
    if not population.index.is_unique or not counts.index.is_unique:
        raise ValueError("Each INSEE code must appear once in counts and in population.")
    base = pd.to_numeric(population, errors="coerce").astype(float)
    if base.isna().any() or (base <= 0).any():
        raise ValueError("population must be a positive number for every commune.")
    events = pd.to_numeric(counts, errors="coerce").reindex(population.index, fill_value=0)
    if events.isna().any() or (events < 0).any() or (events != np.floor(events)).any():
        raise ValueError("counts must be non-negative whole numbers.")

    e = events.to_numpy(float)
    b = base.to_numpy()
    rate = e / b
    global_rate = e.sum() / b.sum()
    variance = (b * (rate - global_rate) ** 2).sum() / b.sum() - global_rate / b.mean()
    variance = max(variance, 0.0)
    # With no report at all, or rates no more varied than chance, every
    # commune is best estimated by the global rate (weight 0).
    denominator = variance + global_rate / b
    weight = np.divide(variance, denominator, out=np.zeros_like(b), where=denominator > 0)
    smoothed = weight * rate + (1 - weight) * global_rate
    return pd.DataFrame(
        {
            "count": e.astype(np.int64),
            "population": population.to_numpy(),
            "rate_per_1000": rate * RATE_BASE,
            "smoothed_rate_per_1000": smoothed * RATE_BASE,
        },
        index=population.index.copy(),
    )


def weekly_series(insee_codes, times, *, end=None, communes=None):
    """Reports per week (rows) and commune (columns).

    Weeks run Monday to Sunday on Europe/Paris local dates
    (:mod:`analysis.calendar`).

    Parameters
    ----------
    insee_codes : array-like of str
        Commune of each report. Not modified.
    times : array-like of datetimes
        When each report was observed: aware datetimes are converted to
        Europe/Paris, naive ones (numpy ``datetime64`` included) are UTC.
        Not modified.
    end : date-like, optional
        Last day counted (naive values are UTC, so a plain date stays that
        day); the last row is its week. Defaults to the latest report's day.
    communes : array-like of str, optional
        Columns of the result, in this order, for instance every commune of
        the department; reports of other communes are left out. Defaults to
        the communes with reports, sorted.

    Returns
    -------
    pandas.DataFrame
        Integer counts indexed by the Monday of each week (``week``), every
        week from the first report's to ``end``'s, empty weeks included.

    Examples
    --------
    >>> times = pd.to_datetime(["2024-03-04 10:00", "2024-03-05 10:00", "2024-03-19 10:00"], utc=True)
    >>> weekly_series(["88160", "88160", "88413"], times)  # doctest: +NORMALIZE_WHITESPACE
    commune     88160  88413
    week
    2024-03-04      2      0
    2024-03-11      0      0
    2024-03-18      0      1
    """
    codes = pd.Series(insee_codes, dtype=object).reset_index(drop=True)
    days = local_date(times)
    weeks = week_start(times)
    if codes.size != days.size:
        raise ValueError("insee_codes and times must have the same length.")
    if codes.isna().any():
        raise ValueError("Every report needs an INSEE code.")
    if end is not None:
        keep = days <= local_date([end])[0]
        codes, days, weeks = codes[keep].reset_index(drop=True), days[keep], weeks[keep]
    columns = sorted(codes.unique()) if communes is None else list(communes)

    if days.size == 0 and end is None:
        index = pd.DatetimeIndex([], name="week")
    else:
        last = week_start([end])[0] if end is not None else weeks.max()
        first = weeks.min() if days.size else last
        index = pd.DatetimeIndex(np.arange(first, last + np.timedelta64(1, "D"), np.timedelta64(7, "D")), name="week")
    table = pd.crosstab(pd.DatetimeIndex(weeks, name="week"), codes.to_numpy()) if days.size else pd.DataFrame()
    table = table.reindex(index=index, columns=columns, fill_value=0).astype(np.int64)
    table.columns.name = "commune"
    return table


def commune_trends(insee_codes, times, *, end, weeks=TREND_WEEKS):
    """Reports of each commune in the last ``weeks`` weeks and in the
    ``weeks`` weeks before, up to ``end``.

    Pass the whole history (not only the period on screen): with a period
    of 90 days, the 13 weeks before it are outside the period but are what
    the trend compares with. Days are Paris local dates; the recent span is
    the ``7 * weeks`` days ending with ``end``'s day.

    Parameters
    ----------
    insee_codes : array-like of str
        Commune of each report. Not modified.
    times : array-like of datetimes
        When each report was observed (aware, or naive UTC).
    end : date-like
        Last day of the period (naive values are UTC, so a plain date stays
        that day); reports after it are ignored.
    weeks : int
        Length of each of the two spans.

    Returns
    -------
    pandas.DataFrame
        Indexed by INSEE code (communes with reports in either span), with
        integer columns ``recent`` and ``previous``.

    Examples
    --------
    >>> times = pd.to_datetime(["2024-06-30 10:00", "2024-05-01 10:00", "2024-03-01 10:00", "2024-07-02 10:00"], utc=True)
    >>> commune_trends(["88160", "88160", "88160", "88160"], times, end="2024-06-30")
           recent  previous
    88160       2         1
    """
    codes = pd.Series(insee_codes, dtype=object).reset_index(drop=True)
    days = local_days(times)
    if codes.size != days.size:
        raise ValueError("insee_codes and times must have the same length.")
    if isinstance(weeks, bool) or not isinstance(weeks, (int, np.integer)) or weeks < 1:
        raise ValueError(f"weeks must be a whole number of at least 1, not {weeks!r}.")
    age = local_days([end])[0] - days
    span = 7 * weeks
    recent = (age >= 0) & (age < span)
    previous = (age >= span) & (age < 2 * span)
    table = pd.DataFrame({"insee": codes, "recent": recent.astype(np.int64), "previous": previous.astype(np.int64)})
    table = table[recent | previous].groupby("insee")[["recent", "previous"]].sum()
    table.index.name = None
    return table
