"""Checks on the committed reference data in data/ and on geo.crs."""

import importlib.util
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.crs import LAMBERT93, WGS84, to_lambert93, to_wgs84
from geo.reference import (
    DATA_DIR,
    load_arrondissements,
    load_cantons,
    load_communes,
    load_departements,
    load_former_communes,
    load_former_names,
    load_neighbour_communes,
    load_outline,
    load_ssmsi,
    successor_of,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
# Raw sources live beside the clone; CI may or may not have them.
RAW_DIR = REPO_ROOT.parent / "shared" / "data"
NEIGHBOURS = ["52", "54", "55", "67", "68", "70", "90"]


def test_vosges_has_506_communes_with_the_2026_population():
    communes = load_communes()
    assert len(communes) == 506
    assert communes["population"].sum() == 357_248
    assert communes.crs == WGS84


def test_every_2026_code_appears_exactly_once():
    codes = load_communes()["insee"]
    assert codes.is_unique
    assert codes.str.fullmatch(r"88\d{3}").all()
    assert codes.is_monotonic_increasing
    assert "88393" not in set(codes)  # Rollainville is now part of Neufchâteau


def test_commune_attributes_are_complete():
    communes = load_communes()
    assert communes[["epci_code", "epci_name", "arrondissement", "canton"]].ne("").all().all()
    assert communes["epci_code"].nunique() == 13
    assert all(isinstance(codes, list) and codes for codes in communes["postal_codes"])


@pytest.mark.parametrize(
    "loader",
    [
        load_communes,
        load_neighbour_communes,
        load_cantons,
        load_arrondissements,
        load_departements,
    ],
)
def test_every_polygon_is_valid_and_not_empty(loader):
    geometries = loader().geometry
    assert geometries.is_valid.all()
    assert not geometries.is_empty.any()
    assert set(geometries.geom_type) <= {"Polygon", "MultiPolygon"}


def test_outline_is_valid():
    outline = load_outline()
    assert outline.is_valid and not outline.is_empty


def test_communes_tile_the_outline_within_one_percent():
    communes_area = shapely.union_all(load_communes().to_crs(LAMBERT93).geometry.values).area
    outline_area = gpd.GeoSeries([load_outline()], crs=WGS84).to_crs(LAMBERT93).area.iloc[0]
    assert communes_area == pytest.approx(outline_area, rel=0.01)
    # About 5,874 km² for the Vosges.
    assert 5_700e6 < outline_area < 6_000e6


def test_neufchateau_absorbed_rollainville():
    communes = load_communes().set_index("insee")
    neufchateau = communes.loc["88321"]
    assert neufchateau["name"] == "Neufchâteau"
    assert neufchateau.geometry.is_valid
    # A dissolved merge leaves one piece, not two touching polygons.
    assert neufchateau.geometry.geom_type == "Polygon"


def test_former_communes_map_to_existing_communes():
    former = load_former_communes()
    current = set(load_communes()["insee"]) | set(load_neighbour_communes()["insee"])
    assert set(former["successor_code"]) <= current
    assert {"commune-deleguee", "commune-associee"} <= set(former["type"])
    assert successor_of("88393") == "88321"
    row = former.set_index("code").loc["88393"]
    assert (row["name"], row["type"], row["successor_name"]) == (
        "Rollainville",
        "commune-deleguee",
        "Neufchâteau",
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [("88393", "88321"), ("88029", "88029"), ("88160", "88160"), ("75056", None)],
)
def test_successor_of(code, expected):
    assert successor_of(code) == expected


def test_neighbour_communes_cover_the_seven_departements():
    neighbours = load_neighbour_communes()
    assert sorted(neighbours["departement"].unique()) == NEIGHBOURS
    assert neighbours["insee"].is_unique
    assert not neighbours["insee"].str.startswith("88").any()


def test_arrondissements_and_departements():
    arrondissements = load_arrondissements()
    assert arrondissements["code"].tolist() == ["881", "882", "883"]
    assert arrondissements["population"].sum() == 357_248
    assert arrondissements["commune_count"].sum() == 506
    assert load_departements()["code"].tolist() == sorted(NEIGHBOURS + ["88"])
    assert len(load_cantons()) == 17


def test_ssmsi_has_the_documented_vosges_figures():
    ssmsi = load_ssmsi()
    assert list(ssmsi.columns) == [
        "departement",
        "year",
        "indicator",
        "unit",
        "count",
        "rate_per_1000",
        "population",
    ]
    vosges = ssmsi[ssmsi["departement"] == "88"].set_index(["indicator", "year"])["count"]
    assert vosges[("Trafic de stupéfiants", 2016)] == 267
    assert vosges[("Trafic de stupéfiants", 2025)] == 189
    assert vosges[("Usage de stupéfiants", 2016)] == 1216
    assert vosges[("Usage de stupéfiants", 2025)] == 1451
    assert {"2A", "2B", "976"} <= set(ssmsi["departement"])


def test_loaders_return_copies():
    communes = load_communes()
    communes["extra"] = 1
    communes.loc[0, "postal_codes"].append("99999")
    fresh = load_communes()
    assert "extra" not in fresh.columns
    assert "99999" not in fresh.loc[0, "postal_codes"]


def test_crs_round_trip_at_epinal():
    epinal = load_communes().set_index("insee").loc["88160", "geometry"].centroid
    x, y = to_lambert93(epinal.x, epinal.y)
    assert x == pytest.approx(960_000, abs=10_000)
    assert y == pytest.approx(6_790_000, abs=10_000)
    lon, lat = to_wgs84(x, y)
    assert lon == pytest.approx(epinal.x, abs=1e-6)
    assert lat == pytest.approx(epinal.y, abs=1e-6)


def test_crs_helpers_accept_arrays():
    lon = np.array([6.0, 6.5, 7.0])
    lat = np.array([48.0, 48.2, 48.4])
    x, y = to_lambert93(lon, lat)
    assert x.shape == y.shape == (3,)
    back_lon, back_lat = to_wgs84(x, y)
    np.testing.assert_allclose(back_lon, lon, atol=1e-9)
    np.testing.assert_allclose(back_lat, lat, atol=1e-9)


def _load_build_script():
    spec = importlib.util.spec_from_file_location("data_build", DATA_DIR / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_is_deterministic(tmp_path, capsys):
    if not RAW_DIR.is_dir():
        pytest.skip(f"raw reference data not found at {RAW_DIR}; the app never reads it")
    build = _load_build_script()
    assert build.main(["--shared", str(RAW_DIR), "--out", str(tmp_path)]) == 0
    built = sorted(path.name for path in tmp_path.iterdir())
    assert built, "the build wrote nothing"
    for name in built:
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), name


def test_former_names_point_to_current_communes():
    names = load_former_names()
    current = load_communes().set_index("insee")["name"]
    current = dict(current) | dict(load_neighbour_communes().set_index("insee")["name"])
    assert list(names.columns) == ["name", "code", "year", "successor_code", "successor_name"]
    assert all(current[code] == name for code, name in zip(names["successor_code"], names["successor_name"]))
    capavenir = names.set_index("name").loc["Capavenir Vosges"]
    assert (capavenir["code"], capavenir["successor_name"]) == ("88465", "Thaon-les-Vosges")
    # A name that only lost its article in the 2018 source is no former name.
    assert "Bresse" not in set(names["name"])
