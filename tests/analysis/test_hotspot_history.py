"""Statuses told from the whole history: the period on screen decides which
hotspots are drawn, never since when they exist or what they are. The
county and its places A, B and C are described in ``tests/places.py``."""

from datetime import timedelta

import numpy as np
import pytest

from analysis.hotspot_history import DORMANT, footprint_labels, hotspot_histories
from analysis.hotspots import cluster_reports
from tests.places import C_START, END, FIRST, A, county


@pytest.fixture(scope="module")
def history():
    return county()


def _run(history, start):
    period = history[history["observed_at"].dt.date >= start].reset_index(drop=True)
    labels = cluster_reports(period)
    result = hotspot_histories(period, labels, history, end=END)
    return period, labels, result


def _place_row(frame, labels, table, place):
    """The row of ``table`` for the hotspot holding most of ``place``'s reports."""
    mine = labels[(frame["place"] == place).to_numpy() & (labels >= 0)]
    assert mine.size, f"{place} was not clustered"
    return table.loc[np.bincount(mine).argmax()]


def test_a_place_active_for_two_years_is_persistent_with_its_real_first_date(history):
    period, labels, result = _run(history, END - timedelta(days=89))
    row = _place_row(period, labels, result.active, "A")
    first_a = history.loc[history["place"] == "A", "observed_at"].min()
    assert row["status"] == "persistent"
    assert row["first_seen"] == first_a
    assert row["first_seen"].date() < END - timedelta(days=89)
    # The footprint's history holds all of A's two years, not the 90 days.
    assert row["history_count"] >= (history["place"] == "A").sum()


def test_a_place_silent_for_six_months_is_dormant_with_its_last_date(history):
    period, labels, result = _run(history, END - timedelta(days=89))
    # None of B's reports is in the period, yet it is listed as dormant.
    assert not (period["place"] == "B").any()
    on_history = history.loc[history["precision"] != "commune"].reset_index(drop=True)
    row = _place_row(
        on_history, result.dormant_labels[history["precision"].to_numpy() != "commune"], result.dormant, "B"
    )
    assert row["status"] == DORMANT
    assert row["last_seen"] == history.loc[history["place"] == "B", "observed_at"].max()
    # Nothing but B went to sleep in this county.
    assert len(result.dormant) == 1


def test_a_new_place_is_new_consecutive_or_intensifying(history):
    period, labels, result = _run(history, END - timedelta(days=89))
    row = _place_row(period, labels, result.active, "C")
    assert row["status"] in {"new", "consecutive", "intensifying"}
    assert row["first_seen"].date() >= C_START


def test_the_period_shown_does_not_change_status_or_dates(history):
    short = _run(history, END - timedelta(days=89))
    whole = _run(history, FIRST)
    for place in ("A", "C"):
        a = _place_row(short[0], short[1], short[2].active, place)
        b = _place_row(whole[0], whole[1], whole[2].active, place)
        assert (a["status"], a["first_seen"], a["last_seen"]) == (b["status"], b["first_seen"], b["last_seen"])
    # Over the whole history B is a hotspot of the period, and dormant; it
    # is not listed a second time among the dormant places.
    assert _place_row(whole[0], whole[1], whole[2].active, "B")["status"] == DORMANT
    assert len(whole[2].dormant) == 0


def test_commune_only_reports_stay_out_of_the_history(history):
    stacked = history.copy()
    # Reports known only by their commune, stacked on A's centre: they must
    # not move A's first date.
    early = stacked.index[(stacked["place"] == "") & (stacked["observed_at"].dt.year == 2024)][:10]
    stacked.loc[early, ["x_l93", "y_l93"]] = A
    stacked.loc[early, "precision"] = "commune"
    period, labels, result = _run(stacked, END - timedelta(days=89))
    row = _place_row(period, labels, result.active, "A")
    assert row["first_seen"] == history.loc[history["place"] == "A", "observed_at"].min()


def test_footprint_takes_the_nearest_hotspot():
    labels = footprint_labels([[100, 0], [160, 0]], [[0, 0], [250, 0]], [3, 7], 250)
    assert labels.tolist() == [3, 7]
