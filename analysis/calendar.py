"""The calendar every analysis counts in: Paris local dates, Monday weeks.

Reports are stored as instants; analysts count them by local day and by
week, Monday to Sunday, as the French services do. Every module that bins
reports in time (emerging hot spots, hotspot histories, commune series,
trends) takes its days and weeks from here, so that a report at 23:30 UTC on
a Sunday falls in the same week everywhere.

Naive timestamps (numpy ``datetime64`` included) are taken as UTC, the usual
meaning of a stored timestamp without zone.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

__all__ = [
    "TIMEZONE",
    "PARIS",
    "local_days",
    "local_date",
    "week_numbers",
    "week_number_to_date",
    "week_start",
    "monday",
    "weekly_counts",
]

#: Weeks and days are cut on local dates in this time zone.
TIMEZONE = "Europe/Paris"
#: The same zone as a ``tzinfo``.
PARIS = ZoneInfo(TIMEZONE)

# 1970-01-01 was a Thursday: shifting day numbers by 3 makes weeks start on
# Monday 1969-12-29.
EPOCH_WEEKDAY = 3


def local_days(times):
    """Day numbers (days since 1970-01-01) of the Paris local dates.

    Parameters
    ----------
    times : array-like of datetimes
        Aware datetimes are converted to Europe/Paris; naive ones are UTC.

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> local_days(["1970-01-01 22:59", "1970-01-01 23:00"]).tolist()
    [0, 1]
    """
    if isinstance(times, (str, bytes)):
        raise ValueError("times must be an array of datetimes, not a single string.")
    values = pd.to_datetime(pd.Series(times), utc=True)
    if values.isna().any():
        raise ValueError("times must not contain missing values.")
    local = values.dt.tz_convert(TIMEZONE).dt.tz_localize(None).dt.normalize()
    return local.to_numpy().astype("datetime64[D]").astype(np.int64)


def local_date(times):
    """Local (Europe/Paris) calendar date of each time.

    Parameters
    ----------
    times : array-like of datetimes
        As for :func:`local_days`.

    Returns
    -------
    numpy.ndarray of datetime64[D]

    Examples
    --------
    >>> local_date(["2024-07-01 22:30"])
    array(['2024-07-02'], dtype='datetime64[D]')
    """
    return local_days(times).astype("datetime64[D]")


def week_numbers(times):
    """Week number of each time: weeks since Monday 1969-12-29, Paris dates.

    Examples
    --------
    >>> week_numbers(["1969-12-29 12:00", "1970-01-04 12:00", "1970-01-05 12:00"]).tolist()
    [0, 0, 1]
    """
    return (local_days(times) + EPOCH_WEEKDAY) // 7


def week_number_to_date(weeks):
    """Monday of each week number of :func:`week_numbers`.

    Examples
    --------
    >>> week_number_to_date([0, 1])
    array(['1969-12-29', '1970-01-05'], dtype='datetime64[D]')
    """
    return (np.asarray(weeks, dtype=np.int64) * 7 - EPOCH_WEEKDAY).astype("datetime64[D]")


def week_start(times):
    """Monday of the local (Europe/Paris) week of each time.

    Parameters
    ----------
    times : array-like of datetimes
        As for :func:`local_days`.

    Returns
    -------
    numpy.ndarray of datetime64[D]
        The Monday starting each time's week.

    Examples
    --------
    Sunday 23:30 UTC is already Monday in Paris:

    >>> week_start(["2024-03-10 22:30", "2024-03-10 23:30"])
    array(['2024-03-04', '2024-03-11'], dtype='datetime64[D]')
    """
    return week_number_to_date(week_numbers(times))


def monday(day):
    """Monday of the week of one day, as a naive local timestamp.

    An aware ``day`` is first converted to Paris time; a naive one is taken
    as a local date (a day typed by an analyst, not a stored instant).

    Examples
    --------
    >>> monday("2026-11-05")
    Timestamp('2026-11-02 00:00:00')
    """
    day = pd.Timestamp(day)
    if day.tzinfo is not None:
        day = day.tz_convert(TIMEZONE).tz_localize(None)
    day = day.normalize()
    return day - pd.Timedelta(days=day.day_of_week)


def weekly_counts(times, *, start=None, end=None):
    """Reports per week (weeks starting on Monday, Paris time), with the
    empty weeks in between.

    Parameters
    ----------
    times : array-like of aware datetimes
        When each report was observed.
    start, end : date-like, optional
        First and last week counted (any day of them, see :func:`monday`);
        default the weeks of the first and last report.

    Returns
    -------
    pandas.Series
        Counts indexed by the Monday of each week (naive local dates).

    Examples
    --------
    >>> t = pd.to_datetime(["2026-11-02 10:00", "2026-11-03 10:00", "2026-11-17 10:00"]).tz_localize("Europe/Paris")
    >>> weekly_counts(pd.Series(t)).tolist()
    [2, 0, 1]
    """
    weeks = pd.DatetimeIndex(week_start(times))
    counts = pd.Series(1, index=weeks).groupby(level=0).sum()
    first = counts.index.min() if start is None else monday(start)
    last = counts.index.max() if end is None else monday(end)
    return counts.reindex(pd.date_range(first, last, freq="7D"), fill_value=0)
