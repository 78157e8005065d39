"""The demo data teach only if they look like the Vosges: volumes of the
SSMSI figures, a background that follows population, planted places that
stand only 2-5 times above it, and places gone quiet."""

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely

from analysis.calendar import PARIS
from analysis.demo import DORMANT_SILENT_WEEKS, LOCAL_RADIUS_M, RATIO, generate_reports
from geo.reference import load_communes, load_ssmsi

END = datetime(2026, 11, 29, 23, 0, tzinfo=PARIS)


@pytest.fixture(scope="module")
def demo():
    return generate_reports(load_communes(), seed=7, end=END)


def test_same_seed_same_data(demo):
    again, truth = generate_reports(load_communes(), seed=7, end=END)
    pd.testing.assert_frame_equal(again, demo[0])
    assert truth == demo[1]


def test_volumes_are_those_of_the_ssmsi(demo):
    reports, _ = demo
    ssmsi = load_ssmsi()
    vosges = ssmsi[
        (ssmsi["departement"] == "88") & ssmsi["indicator"].isin(["Trafic de stupéfiants", "Usage de stupéfiants"])
    ]
    per_year = vosges.groupby("year")["count"].sum()
    yearly = len(reports) / 3
    assert 1000 <= yearly <= 2000
    assert per_year.min() * 0.8 <= yearly <= per_year.max() * 1.2


def test_background_follows_population(demo):
    reports, truth = demo
    planted = {ref for place in truth["hotspots"] for ref in place["agency_refs"]}
    background = reports[~reports["agency_ref"].isin(planted)]
    communes = load_communes().set_index("insee")
    counts = background.groupby("insee").size().reindex(communes.index, fill_value=0)
    # Road patrols add reports along corridors; the rest is proportional to
    # the inhabitants, so the correlation across 506 communes is strong.
    assert np.corrcoef(counts, communes["population"])[0, 1] > 0.9


def test_planted_places_stand_two_to_five_times_above_their_background(demo):
    reports, truth = demo
    planted = {ref for place in truth["hotspots"] for ref in place["agency_refs"]}
    located = reports["precision"] != "commune"
    background = reports[located & ~reports["agency_ref"].isin(planted)]
    points = shapely.points(background["x_l93"], background["y_l93"])
    weeks = (END - datetime.fromisoformat(truth["start"])).days / 7
    for place in truth["hotspots"]:
        assert RATIO[0] <= place["ratio"] <= RATIO[1]
        disc = shapely.Point(place["x_l93"], place["y_l93"]).buffer(LOCAL_RADIUS_M)
        # The recorded background is that of the disc, commune-only reports
        # included (they have their true place before being moved to the
        # commune's centre): at least the located ones are there.
        assert shapely.contains(disc, points).sum() <= place["background_per_week"] * weeks + 1e-9


def test_every_kind_is_planted_and_dormant_places_are_silent(demo):
    reports, truth = demo
    kinds = {place["kind"] for place in truth["hotspots"]}
    assert kinds == {"persistent", "emerging", "fading", "dormant"}
    by_ref = reports.set_index("agency_ref")["observed_at"]
    for place in truth["hotspots"]:
        last = by_ref[place["agency_refs"]].max()
        if place["kind"] == "dormant":
            # En sommeil: silent for at least 26 weeks before the end.
            assert END - last >= timedelta(weeks=DORMANT_SILENT_WEEKS[0])
        if place["kind"] == "emerging":
            first = by_ref[place["agency_refs"]].min()
            assert END - first <= timedelta(weeks=10, days=1)
