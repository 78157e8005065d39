"""One calendar for every analysis: Paris local dates, weeks from Monday."""

import numpy as np
import pandas as pd
import pytest

from analysis.calendar import local_date, monday, week_start, weekly_counts


def test_days_change_at_paris_midnight_in_winter_and_summer():
    # 23:30 UTC is 00:30 the next day in winter, 01:30 in summer.
    times = ["2024-01-15 22:59", "2024-01-15 23:00", "2024-07-15 21:59", "2024-07-15 22:00"]
    assert local_date(times).astype(str).tolist() == ["2024-01-15", "2024-01-16", "2024-07-15", "2024-07-16"]


def test_a_week_across_the_change_to_summer_time():
    # Sunday 31 March 2024 lost an hour: its last minutes still belong to the
    # week of Monday 25 March.
    times = pd.Series(
        [pd.Timestamp("2024-03-31 23:59", tz="Europe/Paris"), pd.Timestamp("2024-04-01 00:00", tz="Europe/Paris")]
    )
    assert week_start(times).astype(str).tolist() == ["2024-03-25", "2024-04-01"]


def test_weekly_counts_fill_empty_weeks_and_follow_start_and_end():
    times = pd.Series(
        pd.to_datetime(["2026-11-02 10:00", "2026-11-08 23:30", "2026-11-17 10:00"]).tz_localize("Europe/Paris")
    )
    counts = weekly_counts(times, start="2026-10-28", end="2026-11-30")
    assert counts.index[0] == pd.Timestamp("2026-10-26") and counts.index[-1] == pd.Timestamp("2026-11-30")
    assert counts.tolist() == [0, 2, 0, 1, 0, 0]


def test_weekly_counts_agree_with_week_start():
    rng = np.random.default_rng(3)
    times = pd.Series(pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 400, 500), unit="D"))
    counts = weekly_counts(times)
    assert counts.sum() == 500
    by_hand = pd.Series(week_start(times)).value_counts()
    assert all(counts[pd.Timestamp(week)] == n for week, n in by_hand.items())


def test_monday_of_an_aware_day_is_taken_in_paris():
    assert monday(pd.Timestamp("2026-11-08 23:30", tz="UTC")) == pd.Timestamp("2026-11-09")
    with pytest.raises(ValueError):
        local_date("2026-01-01")
