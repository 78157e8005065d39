"""Commune rates (raw and empirical-Bayes) and weekly series, by hand."""

import numpy as np
import pandas as pd
import pytest

from analysis.communes_stats import commune_rates, commune_trends, weekly_series

SEED = 88


def esda_empirical_bayes(e, b):
    """esda's ``Empirical_Bayes`` written out (valid while its variance is
    positive, where it agrees with ours)."""
    e, b = np.asarray(e, float), np.asarray(b, float)
    m = e.sum() / b.sum()
    rate = e / b
    v = (b * (rate - m) ** 2).sum() / b.sum() - m / b.mean()
    w = v / (v + m / b)
    return w * rate + (1 - w) * m


def test_rates_by_hand():
    population = pd.Series({"88001": 1000, "88002": 1000}, name="population")
    result = commune_rates(pd.Series({"88002": 4}), population)
    # Global rate 2 per 1,000; v = 4e-6 - 2e-6; weights 1/2.
    assert result["count"].tolist() == [0, 4]
    assert result["rate_per_1000"].tolist() == [0.0, 4.0]
    np.testing.assert_allclose(result["smoothed_rate_per_1000"], [1.0, 3.0])


def test_small_communes_are_shrunk_more():
    population = pd.Series({"88001": 1000, "88002": 100, "88003": 10_000})
    counts = pd.Series({"88001": 2, "88002": 1, "88003": 10})
    result = commune_rates(counts, population)
    np.testing.assert_allclose(result["rate_per_1000"], [2.0, 10.0, 1.0])
    global_rate = 13 / 11_100 * 1000
    np.testing.assert_allclose(
        result["smoothed_rate_per_1000"], esda_empirical_bayes([2, 1, 10], [1000, 100, 10_000]) * 1000
    )
    shrink = (result["rate_per_1000"] - result["smoothed_rate_per_1000"]) / (result["rate_per_1000"] - global_rate)
    # The village of 100 moves most of the way to the global rate, the town least.
    assert shrink["88002"] > shrink["88001"] > shrink["88003"] > 0


def test_matches_esda_on_random_communes():
    rng = np.random.default_rng(SEED)
    population = pd.Series(rng.integers(50, 30_000, 200), index=[f"88{k:03d}" for k in range(200)])
    counts = pd.Series(rng.poisson(population.to_numpy() * 2e-3 * rng.gamma(2, 0.5, 200)), index=population.index)
    result = commune_rates(counts, population)
    np.testing.assert_allclose(result["smoothed_rate_per_1000"], esda_empirical_bayes(counts, population) * 1000)


def test_negative_variance_gives_the_global_rate():
    # Equal rates: the estimated variance is 0 - m / mean(b) < 0, set to 0.
    population = pd.Series({"88001": 1000, "88002": 2000})
    result = commune_rates(pd.Series({"88001": 1, "88002": 2}), population)
    np.testing.assert_allclose(result["smoothed_rate_per_1000"], [1.0, 1.0])


def test_no_report_at_all():
    population = pd.Series({"88001": 1000, "88002": 2000})
    result = commune_rates(pd.Series(dtype=int), population)
    assert result["count"].tolist() == [0, 0]
    assert result["smoothed_rate_per_1000"].tolist() == [0.0, 0.0]


def test_rows_follow_population_and_unknown_codes_are_ignored():
    population = pd.Series({"88003": 300, "88001": 100, "88002": 200})
    counts = pd.Series({"88001": 1, "99999": 5})
    result = commune_rates(counts, population)
    assert result.index.tolist() == ["88003", "88001", "88002"]
    assert result["count"].tolist() == [0, 1, 0]
    assert result["population"].tolist() == [300, 100, 200]


def test_inputs_are_not_modified():
    population = pd.Series({"88001": 1000, "88002": 1000})
    counts = pd.Series({"88002": 4})
    population_before, counts_before = population.copy(), counts.copy()
    commune_rates(counts, population)
    pd.testing.assert_series_equal(population, population_before)
    pd.testing.assert_series_equal(counts, counts_before)


@pytest.mark.parametrize(
    ("counts", "population"),
    [
        (pd.Series({"88001": 1}), pd.Series({"88001": 0})),
        (pd.Series({"88001": 1}), pd.Series({"88001": np.nan})),
        (pd.Series({"88001": -1}), pd.Series({"88001": 10})),
        (pd.Series({"88001": 1.5}), pd.Series({"88001": 10})),
        (pd.Series([1, 2], index=["88001", "88001"]), pd.Series({"88001": 10})),
        ({"88001": 1}, pd.Series({"88001": 10})),
    ],
)
def test_bad_arguments(counts, population):
    with pytest.raises(ValueError):
        commune_rates(counts, population)


def test_weekly_series_by_hand():
    times = [
        pd.Timestamp("2024-03-10 23:30", tz="Europe/Paris"),  # Sunday: week of 4 March
        pd.Timestamp("2024-03-10 23:30", tz="UTC"),  # Monday 00:30 in Paris
        pd.Timestamp("2024-03-27 09:00", tz="Europe/Paris"),
        pd.Timestamp("2024-03-31 23:00", tz="Europe/Paris"),  # summer-time Sunday
    ]
    codes = ["88160", "88160", "88413", "88160"]
    result = weekly_series(codes, times)
    expected = pd.DataFrame(
        {"88160": [1, 1, 1], "88413": [0, 0, 1]},
        index=pd.DatetimeIndex(["2024-03-04", "2024-03-11", "2024-03-25"], name="week"),
    ).reindex(pd.date_range("2024-03-04", "2024-03-25", freq="7D", name="week"), fill_value=0)
    expected.columns.name = "commune"
    pd.testing.assert_frame_equal(result, expected, check_freq=False, check_index_type=False)


def test_weekly_series_end_and_communes():
    times = pd.Series(pd.to_datetime(["2024-03-04 10:00", "2024-03-20 10:00", "2024-04-02 10:00"], utc=True))
    codes = pd.Series(["88160", "88413", "88160"])
    times_before, codes_before = times.copy(), codes.copy()
    result = weekly_series(codes, times, end="2024-03-31", communes=["88001", "88160", "88413"])
    assert result.columns.tolist() == ["88001", "88160", "88413"]
    assert [str(d.date()) for d in result.index] == ["2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25"]
    assert result.sum().tolist() == [0, 1, 1]  # the April report is after end
    pd.testing.assert_series_equal(times, times_before)
    pd.testing.assert_series_equal(codes, codes_before)


def test_weekly_series_empty():
    empty = weekly_series([], pd.Series([], dtype="datetime64[ns]"), communes=["88160"])
    assert empty.shape == (0, 1)
    with_end = weekly_series([], pd.Series([], dtype="datetime64[ns]"), end="2024-03-06", communes=["88160"])
    assert with_end["88160"].tolist() == [0]


def test_weekly_series_bad_arguments():
    with pytest.raises(ValueError, match="same length"):
        weekly_series(["88160"], pd.Series([], dtype="datetime64[ns]"))
    with pytest.raises(ValueError, match="INSEE"):
        weekly_series([None], [pd.Timestamp("2024-03-04", tz="UTC")])


# -- trend of the commune card ----------------------------------------------


def test_trend_compares_the_last_13_weeks_with_the_13_before():
    end = pd.Timestamp("2026-11-29")
    days_back = [0, 10, 90, 91, 150, 181, 182, 400, -1]
    times = pd.Series([pd.Timestamp("2026-11-29 12:00", tz="Europe/Paris") - pd.Timedelta(days=d) for d in days_back])
    codes = ["88160"] * 8 + ["88413"]
    table = commune_trends(codes, times, end=end)
    # 0, 10 and 90 days back are the recent 91 days; 91 to 181 the previous
    # ones; 182 and 400 too old; the report after the end does not count.
    assert table.loc["88160"].tolist() == [3, 3]
    assert "88413" not in table.index


def test_trend_reads_the_history_before_the_period():
    # A period of 90 days holds only the recent span: a trend computed inside
    # it would compare 5 with 0. Given the history it compares 5 with 5.
    end = pd.Timestamp("2026-11-29")
    recent = [end - pd.Timedelta(days=d) for d in (1, 20, 40, 60, 80)]
    before = [end - pd.Timedelta(days=d) for d in (100, 120, 140, 160, 180)]
    times = pd.Series(recent + before).dt.tz_localize("Europe/Paris") + pd.Timedelta(hours=12)
    inside = times[times > pd.Timestamp(end - pd.Timedelta(days=90), tz="Europe/Paris")]
    assert commune_trends(["88160"] * len(inside), inside, end=end).loc["88160"].tolist() == [5, 0]
    assert commune_trends(["88160"] * 10, times, end=end).loc["88160"].tolist() == [5, 5]


def test_trend_bad_arguments():
    with pytest.raises(ValueError, match="same length"):
        commune_trends(["88160"], pd.Series([], dtype="datetime64[ns]"), end="2026-01-01")
    with pytest.raises(ValueError, match="weeks"):
        commune_trends(["88160"], pd.Series([pd.Timestamp("2026-01-01")]), end="2026-01-01", weeks=0)
