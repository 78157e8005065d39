"""A small hand-made county of 40 km by 40 km for the history-aware
statuses: a thin background of reports (about 40 a week), and three places
an analyst knows:

* A, a deal point with two reports every week for two years and more;
* B, a place with two reports a week that went silent 30 weeks ago;
* C, a place that started 7 weeks ago with three reports a week.

``county()`` returns the reports (``place`` says which is which); shifted by
``origin`` (Lambert-93 metres), it lies in the Vosges for the web tests.
"""

from datetime import date, timedelta

import numpy as np
import pandas as pd

END = date(2026, 11, 29)  # a Sunday: the last week is whole
FIRST = date(2024, 1, 1)
A = (20_250.0, 20_250.0)
B = (10_250.0, 30_250.0)
C = (30_250.0, 10_250.0)
A_START = date(2024, 9, 2)
B_STOP = END - timedelta(weeks=30)
C_START = END - timedelta(weeks=7) + timedelta(days=1)


def _weekly(rng, centre, first, last, per_week):
    """``per_week`` reports each week from ``first`` to ``last``, 30 m
    around ``centre``."""
    weeks = pd.date_range(first, last, freq="7D")
    days = np.repeat(weeks, per_week) + pd.to_timedelta(rng.integers(0, 7, size=len(weeks) * per_week), unit="D")
    days = days[days <= pd.Timestamp(last)]
    xy = rng.normal(0, 30, size=(len(days), 2)) + centre
    return pd.DataFrame({"x_l93": xy[:, 0], "y_l93": xy[:, 1], "day": days})


def county(origin=(0.0, 0.0)):
    rng = np.random.default_rng(11)
    n_weeks = (END - FIRST).days // 7 + 1
    n = 40 * n_weeks
    background = pd.DataFrame(
        {
            "x_l93": rng.uniform(0, 40_000, n),
            "y_l93": rng.uniform(0, 40_000, n),
            "day": pd.Timestamp(FIRST) + pd.to_timedelta(rng.integers(0, (END - FIRST).days + 1, n), unit="D"),
        }
    )
    frames = [
        background.assign(place=""),
        _weekly(rng, A, A_START, END, 2).assign(place="A"),
        _weekly(rng, B, FIRST, B_STOP, 2).assign(place="B"),
        _weekly(rng, C, C_START, END, 3).assign(place="C"),
    ]
    frame = pd.concat(frames, ignore_index=True)
    frame["observed_at"] = (frame.pop("day") + pd.Timedelta(hours=21)).dt.tz_localize("Europe/Paris")
    frame = frame.sort_values("observed_at", kind="stable").reset_index(drop=True)
    frame["x_l93"] += origin[0]
    frame["y_l93"] += origin[1]
    frame["id"] = np.arange(len(frame))
    frame["precision"] = "point"
    frame["reliability"] = "B"
    frame["credibility"] = 2
    return frame


#: Where the county lies in the Vosges for the web tests: south-west of Épinal.
VOSGES_ORIGIN = (940_000.0, 6_770_000.0)


def load_county(app, origin=VOSGES_ORIGIN):
    """Store the county, shifted to ``origin``, in ``app``'s database as
    fictitious reports; return the frame."""
    from geo.crs import to_wgs84
    from webmap.db import get_session
    from webmap.services.store import add_demo_batch

    frame = county(origin)
    frame["lon"], frame["lat"] = to_wgs84(frame["x_l93"].to_numpy(), frame["y_l93"].to_numpy())
    frame = frame.assign(
        agency="GN",
        agency_ref=[f"T-{i}" for i in frame["id"]],
        category="deal_point",
        substances="cannabis_resin",
        quantity=np.nan,
        unit=None,
        summary="",
        place_text="",
        insee="88160",
    )
    with app.app_context():
        session = get_session()
        add_demo_batch(session, frame)
        session.commit()
    return frame
