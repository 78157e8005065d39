"""Read a pair of coordinates the way people write them.

Agencies copy coordinates from Géoportail, Google Maps, a GPS or a
Lambert-93 map: ``"48.1725, 6.4497"`` (latitude first), ``"6,4497 6,1725"``,
``"48,1725 ; 6,4497"`` (French decimal commas), ``"48°10'21"N 6°26'59"E"``
(degrees, minutes, seconds) or ``"956354 6791494"`` (Lambert-93 metres).
:func:`readings` turns such a text into every *reading* it allows; which one
is right is for the geocoder to decide, from where each reading falls. A text
that can be split into two numbers in more than one way is not read at all:
the split would be a guess.

Flask-free and independent of the reference data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Reading", "readings", "split_pair", "parse_dms", "READING_LABELS", "L93_X_RANGE", "L93_Y_RANGE"]

#: Bounding ranges of Lambert-93 coordinates over metropolitan France, used to
#: tell x/y metres from degrees by magnitude.
L93_X_RANGE = (100_000.0, 1_300_000.0)
L93_Y_RANGE = (6_000_000.0, 7_200_000.0)

#: French wording of each reading, for notes and the import preview.
READING_LABELS = {
    "lonlat": "longitude, latitude (degrés décimaux)",
    "latlon": "latitude, longitude (degrés décimaux)",
    "dms": "degrés, minutes, secondes",
    "xy": "X, Y Lambert-93",
    "yx": "Y, X Lambert-93 (ordre inversé)",
}


@dataclass(frozen=True)
class Reading:
    """One way of reading a pair: ``crs`` is ``"wgs84"`` (``a, b`` are
    longitude, latitude) or ``"lambert93"`` (``a, b`` are X, Y); ``form``
    is a key of :data:`READING_LABELS`."""

    a: float
    b: float
    crs: str
    form: str


_DMS_PART = re.compile(
    r"""(?P<h1>[NSEWO])?\s*
        (?P<deg>\d+(?:[.,]\d+)?)\s*(?:°|º|deg|d)?\s*
        (?:(?P<min>\d+(?:[.,]\d+)?)\s*(?:'|′|’|m|min|\s)\s*)?
        (?:(?P<sec>\d+(?:[.,]\d+)?)\s*(?:"|″|''|’’|s|sec)?\s*)?
        (?P<h2>[NSEWO])?""",
    re.IGNORECASE | re.VERBOSE,
)
_HAS_DMS_MARK = re.compile(r"[°º′″'\"]|\d\s*[NSEWO]\b|\b[NSEWO]\s*\d", re.IGNORECASE)
_NUMBER = re.compile(r"^[-+]?\d+(?:[.,]\d+)?$")
_WRAPPERS = "()[]{}"


def parse_dms(text: str) -> tuple[float, str | None]:
    """Degrees from ``48°10'21"N``-like text, and its hemisphere letter.

    Parameters
    ----------
    text : str
        Degrees, with optional minutes and seconds (decimal point or comma)
        and an optional hemisphere letter before or after (``N``, ``S``,
        ``E``, ``W`` or the French ``O``).

    Returns
    -------
    (float, str or None)
        Signed decimal degrees (south and west negative) and ``"lat"``,
        ``"lon"`` or ``None`` when no letter says which.

    Raises
    ------
    ValueError
        Not degrees-minutes-seconds, or minutes/seconds of 60 or more.

    Examples
    --------
    >>> parse_dms("48°10'21\\"N")
    (48.1725, 'lat')
    >>> parse_dms("O 1°30'")
    (-1.5, 'lon')
    """
    match = _DMS_PART.fullmatch(text.strip())
    if not match or (match["h1"] and match["h2"]):
        raise ValueError(text)
    degrees = float(match["deg"].replace(",", "."))
    minutes = float((match["min"] or "0").replace(",", "."))
    seconds = float((match["sec"] or "0").replace(",", "."))
    if minutes >= 60 or seconds >= 60 or (match["min"] is None and match["sec"] is not None):
        raise ValueError(text)
    value = degrees + minutes / 60 + seconds / 3600
    letter = (match["h1"] or match["h2"] or "").upper()
    if letter in ("S", "W", "O"):
        value = -value
    axis = {"N": "lat", "S": "lat", "E": "lon", "W": "lon", "O": "lon"}.get(letter)
    return round(value, 10), axis


def _number(text: str) -> float:
    text = text.strip()
    if not _NUMBER.match(text):
        raise ValueError(text)
    return float(text.replace(",", "."))


def split_pair(text: str) -> tuple[str, str] | None:
    """The two halves of a written pair of numbers, or ``None`` when the text
    is not a pair or splits in more than one way.

    The separator is ``;``, a tab, ``/``, ``|``, a comma followed by a
    space, white space, or a comma; decimals are written with a point or a
    comma.

    Examples
    --------
    >>> split_pair("48,1725 ; 6,4497"), split_pair("48.1725,6.4497")
    (('48,1725', '6,4497'), ('48.1725', '6.4497'))
    >>> split_pair("48,1725, 6,4497"), split_pair("48,1725,6,4497")
    (('48,1725', '6,4497'), ('48,1725', '6,4497'))
    >>> split_pair("48,17,25") is None  # 48.17 and 25, or 48 and 17.25?
    True
    """
    text = text.strip().strip(_WRAPPERS).strip()
    for separator in (r"\s*;\s*", r"\s*\t\s*", r"\s*/\s*", r"\s*\|\s*", r",\s+", r"\s+"):
        parts = re.split(separator, text)
        if len(parts) > 1:
            return (parts[0], parts[1]) if len(parts) == 2 and all(_NUMBER.match(p) for p in parts) else None
    parts = text.split(",")
    if len(parts) == 2 and all(_NUMBER.match(p) for p in parts):
        if "." in text:
            return parts[0], parts[1]
        # "956354,6791494" is a pair of metres; "48,1725" is one number.
        return (parts[0], parts[1]) if len(parts[0].lstrip("+-")) > 3 else None
    if len(parts) == 4 and "." not in text and all(_NUMBER.match(p) and p.lstrip("+-").isdigit() for p in parts):
        # Each number has its decimal comma: only the middle one separates.
        return f"{parts[0]},{parts[1]}", f"{parts[2]},{parts[3]}"
    return None


def readings(text: str) -> list[Reading]:
    """Every reading that ``text`` allows, with no regard to place.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of Reading
        Empty when ``text`` is not a pair of coordinates. Two decimal degrees
        give both orders (latitude first, as Géoportail and Google Maps
        write, and longitude first); degrees-minutes-seconds with hemisphere
        letters give the one they name; two Lambert-93 magnitudes give X, Y
        and, if plausible, Y, X.

    Examples
    --------
    >>> [(r.a, r.b, r.form) for r in readings("48,1725 ; 6,4497")]
    [(6.4497, 48.1725, 'latlon'), (48.1725, 6.4497, 'lonlat')]
    >>> [(round(r.a, 5), r.b, r.form) for r in readings("48°10'21\\"N 6°26'59\\"E")]
    [(6.44972, 48.1725, 'dms')]
    >>> [(r.a, r.b, r.crs) for r in readings("956354 6791494")]
    [(956354.0, 6791494.0, 'lambert93')]
    >>> readings("Épinal")
    []
    """
    text = str(text).replace("\u2212", "-").replace("\u00a0", " ").replace("\u202f", " ").strip()
    if not text:
        return []
    if _HAS_DMS_MARK.search(text):
        return _dms_readings(text)
    pair = split_pair(text)
    if pair is None:
        return []
    try:
        a, b = _number(pair[0]), _number(pair[1])
    except ValueError:
        return []
    return pair_readings(a, b)


def pair_readings(a: float, b: float, order: str = "unknown") -> list[Reading]:
    """Readings of two numbers; ``order`` ``"lonlat"`` or ``"xy"`` when
    columns named them (a swapped pair is then still offered, as the other
    form).

    Examples
    --------
    >>> [r.form for r in pair_readings(48.17, 6.45)]
    ['latlon', 'lonlat']
    >>> [r.form for r in pair_readings(6791494, 956354, order="xy")]
    ['yx']
    """
    found = []
    if abs(a) <= 180 and abs(b) <= 180:
        if abs(a) <= 90:
            found.append(Reading(float(b), float(a), "wgs84", "latlon"))
        if abs(b) <= 90:
            found.append(Reading(float(a), float(b), "wgs84", "lonlat"))
    elif abs(a) >= 1000 and abs(b) >= 1000:
        if _within(a, L93_X_RANGE) and _within(b, L93_Y_RANGE):
            found.append(Reading(float(a), float(b), "lambert93", "xy"))
        if _within(b, L93_X_RANGE) and _within(a, L93_Y_RANGE):
            found.append(Reading(float(b), float(a), "lambert93", "yx"))
    return found


def _dms_readings(text: str) -> list[Reading]:
    halves = None
    # Split after a hemisphere letter ("48°10'21"N 6°26'59"E"), else on a
    # separator between two degree signs.
    match = re.fullmatch(r"(.+?[NSEWO])\s*[,;/]?\s*(.+)", text, re.IGNORECASE)
    candidates = []
    if match:
        candidates.append((match[1], match[2]))
    match = re.fullmatch(r"([NSEWO]?\s*\d.+?)\s*[,;/]?\s+([NSEWO]?\s*\d.+)", text, re.IGNORECASE)
    if match:
        candidates.append((match[1], match[2]))
    for first, second in candidates:
        try:
            halves = (parse_dms(first), parse_dms(second))
            break
        except ValueError:
            continue
    if halves is None:
        return []
    (a, axis_a), (b, axis_b) = halves
    if axis_a and axis_b:
        if axis_a == axis_b:
            return []
        lon, lat = (a, b) if axis_a == "lon" else (b, a)
        return [Reading(lon, lat, "wgs84", "dms")] if abs(lat) <= 90 and abs(lon) <= 180 else []
    # No letters: both orders, as for decimal degrees.
    return [Reading(r.a, r.b, "wgs84", "dms") for r in pair_readings(a, b)]


def _within(value, bounds) -> bool:
    return bounds[0] <= value <= bounds[1]
