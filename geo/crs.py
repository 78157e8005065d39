"""Coordinate reference systems used by crossmap, in one place.

Points arrive and are displayed in WGS84 longitude/latitude (what GPS and
web maps speak). Distances, buffers and areas are computed in Lambert-93
metres, the official projection for metropolitan France: computing them in
degrees would shrink east-west distances by cos(48°) ≈ 0.67 in the Vosges.

Every conversion goes through the helpers below so that no module builds its
own ``pyproj.Transformer`` (building one costs milliseconds; reusing one costs
microseconds).
"""

from __future__ import annotations

import functools

import numpy as np
from pyproj import Transformer

__all__ = ["WGS84", "LAMBERT93", "transformer", "to_lambert93", "to_wgs84"]

#: Geographic longitude/latitude on the WGS84 datum (GeoJSON, GPS, Leaflet).
WGS84 = "EPSG:4326"
#: RGF93 / Lambert-93, metres: the projected CRS for metropolitan France.
LAMBERT93 = "EPSG:2154"


@functools.lru_cache(maxsize=None)
def transformer(source: str, target: str) -> Transformer:
    """Return the shared transformer from ``source`` to ``target``.

    Axis order is always (x, y) = (longitude, latitude) for geographic CRSs,
    whatever the authority says, because EPSG:4326 officially lists latitude
    first and that mistake is easy to make silently. Transformers are
    thread-safe since pyproj 3.1, so one cached instance serves every request
    thread.

    Parameters
    ----------
    source, target : str
        CRS identifiers, normally :data:`WGS84` or :data:`LAMBERT93`.

    Returns
    -------
    pyproj.Transformer

    Examples
    --------
    >>> transformer(WGS84, LAMBERT93) is transformer(WGS84, LAMBERT93)
    True
    """
    return Transformer.from_crs(source, target, always_xy=True)


def _as_output(values, scalar: bool):
    return float(values) if scalar else np.asarray(values, dtype=float)


def to_lambert93(lon, lat):
    """Project WGS84 longitude/latitude to Lambert-93 metres.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude in degrees (WGS84), scalars or arrays of the
        same shape.

    Returns
    -------
    x, y : float or numpy.ndarray
        Lambert-93 easting and northing in metres; floats for scalar input,
        arrays otherwise.

    Examples
    --------
    Central Épinal lies about 956 km east and 6,791 km north of the
    Lambert-93 false origin:

    >>> x, y = to_lambert93(6.4497, 48.1734)
    >>> round(x), round(y)
    (956354, 6791494)
    >>> xs, ys = to_lambert93([6.4497, 6.9497], [48.1734, 48.2858])
    >>> xs.shape
    (2,)
    """
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    x, y = transformer(WGS84, LAMBERT93).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return _as_output(x, scalar), _as_output(y, scalar)


def to_wgs84(x, y):
    """Unproject Lambert-93 metres to WGS84 longitude/latitude.

    Parameters
    ----------
    x, y : float or array_like
        Lambert-93 easting and northing in metres, scalars or arrays of the
        same shape.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        Longitude and latitude in degrees; floats for scalar input, arrays
        otherwise.

    Examples
    --------
    >>> lon, lat = to_wgs84(956354.0, 6791494.0)
    >>> round(lon, 4), round(lat, 4)
    (6.4497, 48.1734)
    """
    scalar = np.ndim(x) == 0 and np.ndim(y) == 0
    lon, lat = transformer(LAMBERT93, WGS84).transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return _as_output(lon, scalar), _as_output(lat, scalar)
