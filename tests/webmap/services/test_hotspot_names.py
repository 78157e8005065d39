"""Lasting hotspot names in the database."""

import json

import numpy as np
import pandas as pd
from sqlalchemy import select

from analysis.hotspots import summarise
from webmap.db import get_session
from webmap.db.models import HotspotName
from webmap.services.hotspot_names import name_hotspots


def spots(xs, ids):
    n = len(xs)
    frame = pd.DataFrame(
        {
            "id": ids,
            "x_l93": np.asarray(xs, float),
            "y_l93": 0.0,
            "observed_at": pd.date_range("2026-01-05", periods=n, freq="D", tz="Europe/Paris"),
            "agency": "GN",
            "category": "tip",
            "substances": "cocaine",
            "insee": "88160",
            "reliability": "B",
            "credibility": 2,
        }
    )
    return summarise(frame, np.zeros(n, int))


def test_names_are_minted_once_and_kept(app):
    with app.app_context():
        session = get_session()
        (first,) = name_hotspots(session, spots([0, 10, 20], [1, 2, 3]), remember=True)
        assert first.code == "H-0001"
        # Next week, in a filtered view: one report more, same place: same name.
        (again,) = name_hotspots(session, spots([0, 10, 20, 30], [1, 2, 3, 4]))
        assert again.code == "H-0001"
        (elsewhere,) = name_hotspots(session, spots([90000, 90010], [7, 8]), remember=True)
        assert elsewhere.code == "H-0002"
        stored = session.scalar(select(HotspotName).where(HotspotName.code == "H-0001"))
        assert json.loads(stored.report_ids) == [1, 2, 3]


def test_the_reference_run_updates_what_a_hotspot_is(app):
    with app.app_context():
        session = get_session()
        name_hotspots(session, spots([0, 10, 20], [1, 2, 3]), remember=True)
        name_hotspots(session, spots([0, 10, 20, 30], [1, 2, 3, 4]), remember=True)
        stored = session.scalar(select(HotspotName).where(HotspotName.code == "H-0001"))
        assert json.loads(stored.report_ids) == [1, 2, 3, 4]


def test_a_run_that_may_not_remember_writes_nothing(app):
    """Finding 9: a GET with custom parameters inserted thousands of names."""
    with app.app_context():
        session = get_session()
        (spot,) = name_hotspots(session, spots([0, 10, 20], [1, 2, 3]))
        assert spot.code.startswith("P-")
        (same,) = name_hotspots(session, spots([0, 10, 20], [1, 2, 3]))
        assert same.code == spot.code
        assert session.scalars(select(HotspotName)).all() == []
