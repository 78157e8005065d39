"""The forecasting backtest on a case small enough to check by hand."""

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely

from analysis.backtest import backtest, summary

END = date(2026, 11, 29)  # a Sunday
TERRITORY = shapely.box(0, 0, 10_000, 10_000)  # 100 km²


def _reports(points, day):
    x, y = np.array(points, float).T
    when = pd.Timestamp(day) + pd.Timedelta(hours=21)
    return pd.DataFrame({"x_l93": x, "y_l93": y, "observed_at": when.tz_localize("Europe/Paris"), "precision": "point"})


@pytest.fixture
def toy():
    # Two training weeks: five reports on the corners and centre of a
    # 100 m square, the cell (10, 10) of the 100 m grid; one stray report.
    train = _reports(
        [(1000, 1000), (1100, 1000), (1000, 1100), (1100, 1100), (1050, 1050), (5000, 5000)], END - timedelta(days=10)
    )
    # The week after: three reports in the square, one far away.
    test = _reports([(1050, 1050), (1020, 1080), (1090, 1010), (8000, 8000)], END - timedelta(days=2))
    return pd.concat([train, test], ignore_index=True)


def test_hit_rate_pai_and_pei_by_hand(toy):
    (row,) = backtest(toy, TERRITORY, end=END, train_weeks=2, horizon_weeks=1, windows=1).to_dict("records")
    # The hotspot's outline: the square widened by 50 m, its corners
    # rounded with four segments per quarter circle (a 16-gon of radius 50).
    area_km2 = (100 * 100 + 4 * 100 * 50 + 8 * 50**2 * math.sin(2 * math.pi / 16)) / 1e6
    assert row["hotspots"] == 1 and row["n_test"] == 4
    assert row["area_km2"] == pytest.approx(area_km2)
    assert row["hits_dbscan"] == 3
    assert row["hit_rate_dbscan"] == pytest.approx(0.75)
    assert row["pai_dbscan"] == pytest.approx(0.75 / (area_km2 / 100))
    # The same area is about four 100 m cells; the best four cells hold the
    # three reports of the square and the stray one: 3 of at most 4.
    assert row["pei_dbscan"] == pytest.approx(3 / 4)
    # The density's four best cells are the square's: the same three hits,
    # over exactly four cells.
    assert row["hits_kde"] == 3
    assert row["pai_kde"] == pytest.approx(0.75 / (0.04 / 100))


def test_reports_outside_the_territory_or_known_by_commune_are_not_scored(toy):
    extra = _reports([(20_000, 20_000), (1050, 1050)], END - timedelta(days=1))
    extra.loc[1, "precision"] = "commune"
    (row,) = backtest(
        pd.concat([toy, extra], ignore_index=True), TERRITORY, end=END, train_weeks=2, horizon_weeks=1, windows=1
    ).to_dict("records")
    assert row["n_test"] == 4 and row["hits_dbscan"] == 3


def test_windows_roll_back_by_step_and_the_mean_skips_empty_ones(toy):
    table = backtest(toy, TERRITORY, end=END, train_weeks=2, horizon_weeks=1, windows=3, step_weeks=1)
    assert table["test_end"].tolist() == [END - timedelta(weeks=2), END - timedelta(weeks=1), END]
    # Only the latest window trains on the square.
    assert table["hotspots"].tolist() == [0, 0, 1]
    assert summary(table)["windows"] == 1
    assert summary(table)["hit_rate_dbscan"] == pytest.approx(0.75)
