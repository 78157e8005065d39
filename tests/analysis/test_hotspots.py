"""Hotspot summaries and lasting names (no Flask)."""

import numpy as np
import pandas as pd
import shapely

from analysis.hotspots import KnownHotspot, cluster_reports, match_known, summarise


def frame(xs, ys, **columns):
    n = len(xs)
    base = {
        "id": np.arange(1, n + 1),
        "x_l93": np.asarray(xs, float),
        "y_l93": np.asarray(ys, float),
        "observed_at": pd.date_range("2026-01-05 20:00", periods=n, freq="D", tz="Europe/Paris"),
        "agency": "GN",
        "category": "deal_point",
        "substances": "cannabis_resin",
        "insee": "88160",
        "reliability": "B",
        "credibility": 2,
        "precision": "point",
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_commune_only_reports_do_not_make_a_hotspot():
    # Ten reports stacked on a commune centre: a fake hotspot unless left out.
    reports = frame([1000.0] * 10, [1000.0] * 10, precision="commune")
    assert (cluster_reports(reports) == -1).all()
    assert (cluster_reports(reports, include_commune_precision=True) == 0).all()


def test_summary_does_not_touch_the_callers_frame():
    reports = frame([0, 10, 20, 30, 40], [0] * 5)
    copy = reports.copy()
    summarise(reports, cluster_reports(reports))
    pd.testing.assert_frame_equal(reports, copy)


def test_names_follow_the_reports_not_the_order():
    known = [
        KnownHotspot("H-0001", {1, 2, 3, 4}, shapely.box(0, 0, 100, 100)),
        KnownHotspot("H-0002", {10, 11, 12}, shapely.box(5000, 0, 5100, 100)),
    ]
    reports = frame([5000, 5010, 5020, 5030, 0, 10, 20, 30], [0] * 8, id=[10, 11, 12, 13, 1, 2, 3, 4])
    spots = summarise(reports, np.array([0, 0, 0, 0, 1, 1, 1, 1]))
    assert match_known(spots, known) == []
    assert {s.code: sorted(s.report_ids) for s in spots} == {"H-0002": [10, 11, 12, 13], "H-0001": [1, 2, 3, 4]}


def test_a_code_is_never_given_twice():
    known = [KnownHotspot("H-0001", {1, 2, 3, 4}, shapely.box(0, 0, 100, 100))]
    reports = frame([0, 10, 50, 60], [0] * 4, id=[1, 2, 3, 4])
    # The old hotspot split in two: one half keeps the name, the other is new.
    spots = summarise(reports, np.array([0, 0, 1, 1]))
    unnamed = match_known(spots, known)
    assert len(unnamed) == 1
    assert sorted(s.code for s in spots if s.code) == ["H-0001"]


def test_large_clusters_get_the_same_outline_from_their_hull_vertices(monkeypatch):
    import analysis.hotspots as module

    rng = np.random.default_rng(4)
    n = 3000
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            # A round cluster, a square one, and one whose points all lie
            # on a line (qhull refuses it: shapely must take it whole).
            "x_l93": np.r_[rng.normal(0, 80, 1000), rng.uniform(5000, 5300, 1000), np.linspace(9000, 9500, 1000)],
            "y_l93": np.r_[rng.normal(0, 80, 1000), rng.uniform(0, 300, 1000), np.full(1000, 100.0)],
            "observed_at": pd.Timestamp("2026-01-01", tz="Europe/Paris"),
            "agency": "GN",
            "category": "deal_point",
            "substances": "cocaine",
            "insee": "88160",
            "reliability": "B",
            "credibility": 2,
        }
    )
    labels = np.repeat([0, 1, 2], 1000)
    monkeypatch.setattr(module, "HULL_PREFILTER", 50)
    cut = summarise(frame, labels)
    monkeypatch.setattr(module, "HULL_PREFILTER", 10**9)
    whole = summarise(frame, labels)
    assert [s.hull_l93.wkb for s in cut] == [s.hull_l93.wkb for s in whole]
    assert len({round(s.hull_l93.area) for s in cut}) == 3
