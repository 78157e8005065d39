"""Reading coordinates as people write them: property tests over every
written form, and the refusals."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.coordinates import parse_dms, readings, split_pair
from geo.crs import to_lambert93

# The Vosges, with a margin: latitude 47.8-48.6, longitude 5.4-7.2.
latitudes = st.floats(47.80, 48.60, allow_nan=False)
longitudes = st.floats(5.40, 7.20, allow_nan=False)
decimals = st.integers(4, 7)
separators = st.sampled_from([";", " ; ", ", ", " ", "\t", " / "])


def written(value: float, places: int, comma: bool) -> str:
    text = f"{value:.{places}f}"
    return text.replace(".", ",") if comma else text


@settings(max_examples=300, deadline=None)
@given(latitudes, longitudes, decimals, st.booleans(), separators, st.booleans())
def test_decimal_degrees_in_any_order_and_notation(lat, lon, places, comma, separator, lat_first):
    if comma and separator.strip() == ",":
        separator = " ; "
    first, second = (lat, lon) if lat_first else (lon, lat)
    text = written(first, places, comma) + separator + written(second, places, comma)
    found = {r.form: (r.a, r.b) for r in readings(text)}
    form = "latlon" if lat_first else "lonlat"
    assert form in found, text
    got_lon, got_lat = found[form]
    assert got_lon == pytest.approx(lon, abs=10**-places) and got_lat == pytest.approx(lat, abs=10**-places)


@settings(max_examples=200, deadline=None)
@given(latitudes, longitudes, decimals)
def test_comma_decimals_with_a_bare_comma_between(lat, lon, places):
    text = written(lat, places, True) + "," + written(lon, places, True)
    assert {(round(r.a, 6), round(r.b, 6)) for r in readings(text)} >= {
        (round(float(f"{lon:.{places}f}"), 6), round(float(f"{lat:.{places}f}"), 6))
    }


def dms(value: float, positive: str, negative: str) -> str:
    letter = positive if value >= 0 else negative
    tenths = round(abs(value) * 36000)  # tenths of a second, carried exactly
    degrees, rest = divmod(tenths, 36000)
    minutes, tenths = divmod(rest, 600)
    return f"{degrees}°{minutes}'{tenths / 10:.1f}\"{letter}"


@settings(max_examples=200, deadline=None)
@given(latitudes, longitudes, st.booleans(), st.sampled_from([" ", ", ", " ; ", "  "]))
def test_degrees_minutes_seconds_with_hemisphere_letters(lat, lon, lat_first, separator):
    parts = [dms(lat, "N", "S"), dms(lon, "E", "O")]
    text = separator.join(parts if lat_first else parts[::-1])
    (reading,) = readings(text)
    assert reading.form == "dms"
    assert reading.a == pytest.approx(lon, abs=1e-4) and reading.b == pytest.approx(lat, abs=1e-4)


@settings(max_examples=200, deadline=None)
@given(latitudes, longitudes, st.sampled_from([" ", ";", " ; ", ", "]), st.booleans())
def test_lambert93_pairs(lat, lon, separator, swapped):
    x, y = to_lambert93(lon, lat)
    pair = (f"{y:.0f}", f"{x:.0f}") if swapped else (f"{x:.0f}", f"{y:.0f}")
    found = {r.form: (r.a, r.b) for r in readings(separator.join(pair))}
    form = "yx" if swapped else "xy"
    assert found[form] == (pytest.approx(round(x)), pytest.approx(round(y)))
    assert all(r.crs == "lambert93" for r in readings(separator.join(pair)))


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_any_text_reads_or_not_but_never_fails(text):
    for reading in readings(text):
        assert reading.crs in ("wgs84", "lambert93")
        if reading.crs == "wgs84":
            assert abs(reading.b) <= 90 and abs(reading.a) <= 180


@pytest.mark.parametrize("text", ["48,17,25", "1 2 3", "48.1;6.4;7", "Épinal", "cp 88000", "88160", ""])
def test_not_a_single_pair(text):
    assert readings(text) == []


def test_split_pair_refuses_what_splits_two_ways():
    assert split_pair("48,1725") is None  # one number with a decimal comma
    assert split_pair("956354,6791494") == ("956354", "6791494")


@pytest.mark.parametrize("text", ["48°61'N", "48°10'75\"N", "N48°10'N"])
def test_impossible_dms_is_refused(text):
    with pytest.raises(ValueError):
        parse_dms(text)
