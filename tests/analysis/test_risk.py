"""Risk, not density: a town centre is dense because people live there; a
deal point in the countryside is dense because something happens there."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from analysis.hotspots import cluster_reports, summarise
from analysis.risk import hotspot_excess


@pytest.fixture(scope="module")
def county():
    rng = np.random.default_rng(5)
    communes = gpd.GeoDataFrame(
        {"insee": ["town", "rural"], "population": [5000, 2000]},
        geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 11_000, 10_000)],
        crs="EPSG:2154",
    )
    town = rng.uniform(0, 1000, size=(300, 2))
    rural = rng.uniform([1000, 0], [11_000, 10_000], size=(20, 2))
    deal_point = rng.normal([6000, 5000], 30, size=(15, 2))
    xy = np.concatenate([town, rural, deal_point])
    reports = pd.DataFrame(
        {
            "id": np.arange(len(xy)),
            "x_l93": xy[:, 0],
            "y_l93": xy[:, 1],
            "insee": ["town"] * 300 + ["rural"] * 35,
            "precision": "point",
            "observed_at": pd.Timestamp("2026-11-02 21:00", tz="Europe/Paris"),
            "agency": "GN",
            "category": "deal_point",
            "substances": "",
            "reliability": "B",
            "credibility": 2,
        }
    )
    spots = summarise(reports, cluster_reports(reports))
    in_town = np.array([s.centroid_l93[0] < 1000 for s in spots])
    return reports, communes, spots, in_town


def test_the_town_centre_is_not_in_excess_of_its_own_background(county):
    reports, communes, spots, in_town = county
    table = hotspot_excess([s.hull_l93 for s in spots], reports, communes)
    assert in_town.any() and (~in_town).sum() == 1
    assert not table.loc[in_town, "excess"].any()
    # The town's hotspots hold about what the town's rate predicts there.
    assert table.loc[in_town, "ratio"].between(0.5, 2).all()


def test_the_rural_deal_point_is_in_excess(county):
    reports, communes, spots, in_town = county
    table = hotspot_excess([s.hull_l93 for s in spots], reports, communes)
    (row,) = table.loc[~in_town].to_dict("records")
    assert row["excess"] and row["observed"] >= 15 and row["ratio"] > 10


def test_with_the_population_alone_the_town_passes_as_a_hotspot(county):
    # The town reports more per inhabitant than the county: judged by its
    # population alone, its centre is "in excess". That is why the default
    # is the commune's own (smoothed) rate.
    reports, communes, spots, in_town = county
    table = hotspot_excess([s.hull_l93 for s in spots], reports, communes, mode="population")
    assert table.loc[in_town, "excess"].any()
