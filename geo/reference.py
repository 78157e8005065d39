"""Loaders for the reference data built by ``data/build.py``.

The files live in :data:`DATA_DIR` and are committed, so the app never needs
the raw sources. Each file is parsed once per process (``functools.lru_cache``)
and every loader hands out a copy of its cached table, so callers may add
columns or edit rows freely without corrupting what the next caller sees.
Shapely geometries are immutable and are shared, not copied.

All geometries are in WGS84 longitude/latitude (:data:`geo.crs.WGS84`);
project them with ``to_crs(LAMBERT93)`` before measuring anything.
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import shape

from geo.crs import WGS84

__all__ = [
    "DATA_DIR",
    "load_communes",
    "load_neighbour_communes",
    "load_outline",
    "load_former_communes",
    "load_former_names",
    "successor_of",
    "DEPARTEMENT",
    "load_cantons",
    "load_arrondissements",
    "load_departements",
    "load_ssmsi",
]

#: The département crossmap serves unless told otherwise (the one place this
#: default is written; the web app passes its ``DEPARTEMENT`` setting).
DEPARTEMENT = "88"

#: Folder of the built reference files (``data/`` at the repository root).
# The repository's data/ folder, installed as the package ``crossmap_data``.
DATA_DIR = Path(str(files("crossmap_data")))

_COMMUNE_COLUMNS = [
    "insee",
    "name",
    "departement",
    "postal_codes",
    "population",
    "arrondissement",
    "epci_code",
    "epci_name",
    "canton",
]
_NEIGHBOUR_COLUMNS = ["insee", "name", "departement", "postal_codes", "population", "arrondissement"]


def _read_json(name: str) -> dict:
    path = DATA_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; rebuild the reference data with `python data/build.py`")
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


@functools.lru_cache(maxsize=None)
def _geojson_frame(name: str, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    # GeoDataFrame.from_features keeps JSON lists as Python lists, whereas
    # reading through GDAL would turn postal codes into a string or an array.
    features = _read_json(name)["features"]
    return gpd.GeoDataFrame.from_features(features, crs=WGS84, columns=[*columns, "geometry"])


def _communes_copy(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    copy = frame.copy()
    # A deep copy of a DataFrame does not copy the lists inside object cells.
    copy["postal_codes"] = [list(codes) for codes in frame["postal_codes"]]
    return copy


def load_communes(departement: str = DEPARTEMENT) -> gpd.GeoDataFrame:
    """The 506 communes of Vosges (COG 2026) with their boundaries.

    Parameters
    ----------
    departement : str, default :data:`DEPARTEMENT`
        The département served; its file ``communes-<code>.geojson`` must
        have been built.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per commune, sorted by INSEE code, CRS WGS84, with columns
        ``insee``, ``name``, ``departement``, ``postal_codes`` (list of str),
        ``population`` (municipal population), ``arrondissement`` (COG code,
        e.g. ``"881"``), ``epci_code`` (SIREN), ``epci_name``, ``canton``
        (code in ``cantons-88.geojson`` of the canton holding most of the
        commune) and ``geometry``. A fresh copy on every call.

    Examples
    --------
    >>> communes = load_communes()
    >>> len(communes), int(communes["population"].sum())
    (506, 357248)
    >>> communes.set_index("insee").loc["88160", ["name", "postal_codes"]].tolist()
    ['Épinal', ['88000']]
    """
    return _communes_copy(_geojson_frame(f"communes-{departement}.geojson", tuple(_COMMUNE_COLUMNS)))


def load_neighbour_communes() -> gpd.GeoDataFrame:
    """Communes (COG 2026) of the seven départements bordering Vosges.

    Meant for naming places just outside Vosges (52, 54, 55, 67, 68, 70,
    90). Same columns as :func:`load_communes` except the EPCI and canton
    ones, which the raw data only give for Vosges.

    Returns
    -------
    geopandas.GeoDataFrame
        Sorted by INSEE code, CRS WGS84; a fresh copy on every call.

    Examples
    --------
    >>> sorted(load_neighbour_communes()["departement"].unique())
    ['52', '54', '55', '67', '68', '70', '90']
    """
    return _communes_copy(_geojson_frame("communes-neighbours.geojson", tuple(_NEIGHBOUR_COLUMNS)))


@functools.lru_cache(maxsize=None)
def load_outline() -> shapely.Geometry:
    """The outline of the Vosges département (immutable shapely geometry).

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon
        WGS84 longitude/latitude.

    Examples
    --------
    >>> outline = load_outline()
    >>> outline.contains(shapely.Point(6.4497, 48.1734))  # Épinal
    True
    >>> outline.contains(shapely.Point(6.1844, 48.6921))  # Nancy, Meurthe-et-Moselle
    False
    """
    (feature,) = _read_json("vosges-outline.geojson")["features"]
    return shape(feature["geometry"])


@functools.lru_cache(maxsize=None)
def _former_communes() -> pd.DataFrame:
    # keep_default_na: codes are text ("01", "2A") and an empty name means
    # "unknown" (an old code listed only by its successor), not a missing value.
    return pd.read_csv(DATA_DIR / "former-communes.csv", dtype=str, keep_default_na=False)


def load_former_communes() -> pd.DataFrame:
    """Former communes of Vosges and its neighbours and what they became.

    Returns
    -------
    pandas.DataFrame
        Columns ``code``, ``name``, ``type`` (``commune-deleguee``,
        ``commune-associee`` or ``ancien-code`` for a code that vanished in
        an older merger, whose name the source does not give),
        ``successor_code`` and ``successor_name`` (the commune actuelle it now
        belongs to). All text. A code may appear both here and as a commune
        actuelle when the new commune kept it. A fresh copy on every call.

    Examples
    --------
    >>> former = load_former_communes().set_index("code")
    >>> former.loc["88393", ["name", "successor_code", "successor_name"]].tolist()
    ['Rollainville', '88321', 'Neufchâteau']
    """
    return _former_communes().copy()


@functools.lru_cache(maxsize=None)
def _former_names() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "former-names.csv", dtype=str, keep_default_na=False)


def load_former_names() -> pd.DataFrame:
    """Names that communes bore in the 2018 reference and that no longer
    name their 2026 commune (renamed or absorbed since).

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``code`` (the 2018 code), ``year`` (of the
        reference that gives the name), ``successor_code`` and
        ``successor_name``. All text. A fresh copy on every call.

    Examples
    --------
    >>> names = load_former_names().set_index("name")
    >>> names.loc["Capavenir Vosges", ["code", "successor_code", "successor_name"]].tolist()
    ['88465', '88465', 'Thaon-les-Vosges']
    """
    return _former_names().copy()


@functools.lru_cache(maxsize=None)
def _successors() -> dict[str, str]:
    former = _former_communes()
    successors = dict(zip(former["code"], former["successor_code"]))
    # A current code wins: 88029 is both La Vôge-les-Bains and its déléguée.
    for name, columns in [
        (f"communes-{DEPARTEMENT}.geojson", _COMMUNE_COLUMNS),
        ("communes-neighbours.geojson", _NEIGHBOUR_COLUMNS),
    ]:
        successors.update((code, code) for code in _geojson_frame(name, tuple(columns))["insee"])
    return successors


def successor_of(code: str) -> str | None:
    """The INSEE code of the commune actuelle that ``code`` now designates.

    Parameters
    ----------
    code : str
        An INSEE commune code of Vosges or a neighbouring département, current
        or former (e.g. from an old address).

    Returns
    -------
    str or None
        ``code`` itself for a current commune, its successor for a former
        one, ``None`` for a code unknown to the reference data.

    Examples
    --------
    >>> successor_of("88393")  # Rollainville, déléguée of Neufchâteau
    '88321'
    >>> successor_of("88160")  # Épinal is current
    '88160'
    >>> successor_of("75056") is None  # Paris is not covered
    True
    """
    return _successors().get(code)


def load_cantons(departement: str = DEPARTEMENT) -> gpd.GeoDataFrame:
    """The 17 cantons of Vosges (2018 map).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code`` (as published by the source, e.g. ``"88005"``, not
        to be confused with an INSEE commune code), ``name`` and ``geometry``
        (WGS84, much more simplified than the communes). A fresh copy.

    Examples
    --------
    >>> load_cantons().set_index("code").loc["88005", "name"]
    'Épinal-1'
    """
    return _geojson_frame(f"cantons-{departement}.geojson", ("code", "name")).copy()


def load_arrondissements(departement: str = DEPARTEMENT) -> gpd.GeoDataFrame:
    """The 3 arrondissements of Vosges as of 2026, dissolved from the communes.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code`` (COG, e.g. ``"881"``), ``name``, ``commune_count``,
        ``population`` (municipal, 2026 list) and ``geometry`` (WGS84).
        A fresh copy.

    Examples
    --------
    >>> load_arrondissements()[["code", "name"]].values.tolist()
    [['881', 'Épinal'], ['882', 'Neufchâteau'], ['883', 'Saint-Dié-des-Vosges']]
    """
    return _geojson_frame(
        f"arrondissements-{departement}.geojson", ("code", "name", "commune_count", "population")
    ).copy()


def load_departements() -> gpd.GeoDataFrame:
    """Vosges and its seven neighbouring départements (light outlines).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code``, ``name`` and ``geometry`` (WGS84). A fresh copy.

    Examples
    --------
    >>> load_departements()["code"].tolist()
    ['52', '54', '55', '67', '68', '70', '88', '90']
    """
    return _geojson_frame("departements.geojson", ("code", "name")).copy()


@functools.lru_cache(maxsize=None)
def _ssmsi() -> pd.DataFrame:
    return pd.read_csv(
        DATA_DIR / "ssmsi-drugs.csv",
        dtype={
            "departement": str,
            "year": "int64",
            "indicator": str,
            "unit": str,
            "count": "int64",
            "rate_per_1000": "float64",
            "population": "int64",
        },
        keep_default_na=False,
    )


def load_ssmsi() -> pd.DataFrame:
    """Recorded drug offences per département and year (SSMSI, 2016-2025).

    Returns
    -------
    pandas.DataFrame
        Columns ``departement`` (text, e.g. ``"2A"``), ``year``,
        ``indicator`` (French, as published: ``"Trafic de stupéfiants"``,
        ``"Usage de stupéfiants"`` and its ``(AFD)`` / ``(hors AFD)`` parts),
        ``unit`` (``"Mis en cause"``: persons implicated), ``count``,
        ``rate_per_1000`` (per 1,000 inhabitants) and ``population`` (INSEE;
        2024 and 2025 repeat 2023). A fresh copy on every call.

    Examples
    --------
    >>> ssmsi = load_ssmsi()
    >>> trafficking = ssmsi.query(
    ...     "departement == '88' and indicator == 'Trafic de stupéfiants'"
    ... ).set_index("year")["count"]
    >>> int(trafficking[2016]), int(trafficking[2025])
    (267, 189)
    """
    return _ssmsi().copy()
