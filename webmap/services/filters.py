"""The one filter of reports shared by the map, the JSON API, the exports and
the map snapshots. Flask-free.

A filter arrives as text parameters (a query string, CLI options, a form),
is parsed once by :func:`parse_filter` into a :class:`ReportFilter`, and is
applied either to a SQLAlchemy ``select`` (:func:`apply_filter`) or straight
to a DataFrame of reports (:func:`select_reports`). Every consumer therefore
accepts exactly the same parameters and the same mistakes get the same
answers.

Parameters (all optional; an absent or empty one does not filter):

============  ==========================================================
``start``     first day, ISO ``YYYY-MM-DD``, from 00:00 Europe/Paris
``end``       last day, ISO, inclusive (up to 24:00 Europe/Paris)
``agencies``  agency codes, comma-separated: ``GN,DOUANE``
``categories`` category codes (``analysis.vocabulary.CATEGORIES``)
``substances`` substance codes; a report matches if it names *any* of them
``min_grading`` e.g. ``B2``: reliability A or B *and* credibility 1 or 2
``bbox``      ``west,south,east,north`` in WGS84 degrees
``zone``      a GeoJSON Polygon or MultiPolygon (geometry or Feature) in
              WGS84; points on its boundary are inside
``weekdays``  days of the week kept, Monday = 0: ``4,5`` for Friday and
              Saturday (Europe/Paris days)
``hours``     hours kept, ``FROM-TO`` inclusive in Europe/Paris time:
              ``18-23``; ``22-3`` wraps past midnight
============  ==========================================================

The weekday and hour filters read the local time of each report, which
SQLite cannot compute without help: like the zone's polygon, they are
applied by :func:`filter_frame` and :func:`select_reports`, not by
:func:`apply_filter`; :func:`time_conditions` writes them in SQL (for the
table's pages).

A list parameter may also be given as repeated keys (``?agencies=GN&
agencies=PJ``) when the mapping has ``getlist`` (werkzeug's ``MultiDict``).

Bad input raises :class:`FilterError` naming the parameter, with a French
message an API can return as is::

    >>> parse_filter({"min_grading": "Z9"})
    Traceback (most recent call last):
    ...
    webmap.services.filters.FilterError: min_grading: cotation invalide « Z9 » (attendu une lettre A à F et un chiffre 1 à 6, par ex. B2)

A filter turns back into parameters with :meth:`ReportFilter.to_params`,
for links ("export what I see") and saved snapshots.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping as geojson_mapping
from shapely.geometry import shape
from sqlalchemy import and_, extract, func, literal, literal_column, or_

from analysis.calendar import TIMEZONE
from analysis.vocabulary import CATEGORIES, SUBSTANCES
from webmap.db.models import PARIS, Report

__all__ = [
    "ReportFilter",
    "FilterError",
    "parse_filter",
    "apply_filter",
    "filter_conditions",
    "time_conditions",
    "select_reports",
    "filter_frame",
    "postgis_conditions",
]

PARAMETERS = (
    "start",
    "end",
    "agencies",
    "categories",
    "substances",
    "min_grading",
    "bbox",
    "zone",
    "weekdays",
    "hours",
)
#: Every hour of the day, the default of ``hours``.
ALL_HOURS = (0, 23)

_GRADING = re.compile(r"^([A-F])([1-6])$")


class FilterError(ValueError):
    """A bad filter parameter: ``parameter`` names it, ``message`` (French)
    says what is wrong."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class ReportFilter:
    """Which reports to keep. The default keeps them all."""

    start: date | None = None
    end: date | None = None
    agencies: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    substances: tuple[str, ...] = ()
    min_grading: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    zone: shapely.Geometry | None = field(default=None, compare=False)
    #: Days kept, Monday = 0; empty keeps every day.
    weekdays: tuple[int, ...] = ()
    #: ``(first, last)`` hour kept, inclusive, wrapping past midnight when
    #: ``first > last``; None keeps every hour.
    hours: tuple[int, int] | None = None

    @property
    def start_at(self) -> datetime | None:
        """First instant kept (aware, Europe/Paris)."""
        return datetime.combine(self.start, time(), tzinfo=PARIS) if self.start else None

    @property
    def end_before(self) -> datetime | None:
        """First instant no longer kept: midnight after ``end``."""
        return datetime.combine(self.end + timedelta(days=1), time(), tzinfo=PARIS) if self.end else None

    def is_empty(self) -> bool:
        return self == ReportFilter() and self.zone is None

    def history(self) -> "ReportFilter":
        """The same question over the whole history up to ``end``: the
        first day dropped, every other criterion kept. Trends and emerging
        cells compare the period with what came before it."""
        return replace(self, start=None, zone=self.zone)

    def to_params(self) -> dict[str, str]:
        """The parameters :func:`parse_filter` reads back into this filter."""
        params = {}
        if self.start:
            params["start"] = self.start.isoformat()
        if self.end:
            params["end"] = self.end.isoformat()
        for name in ("agencies", "categories", "substances"):
            if getattr(self, name):
                params[name] = ",".join(getattr(self, name))
        if self.min_grading:
            params["min_grading"] = self.min_grading
        if self.bbox:
            params["bbox"] = ",".join(repr(v) for v in self.bbox)
        if self.zone is not None:
            params["zone"] = json.dumps(geojson_mapping(self.zone))
        if self.weekdays:
            params["weekdays"] = ",".join(str(d) for d in self.weekdays)
        if self.hours:
            params["hours"] = f"{self.hours[0]}-{self.hours[1]}"
        return params

    def keeps_time(self, local_weekday, local_hour):
        """Boolean mask of the weekday and hour filters over arrays of
        Paris weekdays (Monday = 0) and hours.

        >>> import numpy as np
        >>> ReportFilter(hours=(22, 3)).keeps_time(np.array([0, 0, 0]), np.array([23, 12, 2])).tolist()
        [True, False, True]
        """
        keep = np.ones(len(local_hour), dtype=bool)
        if self.weekdays:
            keep &= np.isin(local_weekday, self.weekdays)
        if self.hours:
            first, last = self.hours
            if first <= last:
                keep &= (local_hour >= first) & (local_hour <= last)
            else:
                keep &= (local_hour >= first) | (local_hour <= last)
        return keep


def _get(mapping, name):
    if hasattr(mapping, "getlist"):
        values = [v for v in mapping.getlist(name) if v is not None]
        return ",".join(str(v) for v in values) if values else None
    value = mapping.get(name)
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return value


def _codes(parameter, text, allowed, what):
    if not text or not str(text).strip():
        return ()
    codes = tuple(dict.fromkeys(part.strip() for part in str(text).split(",") if part.strip()))
    if allowed is not None:
        unknown = [code for code in codes if code not in allowed]
        if unknown:
            raise FilterError(parameter, f"{what} inconnu(s) : {', '.join(unknown)} (connus : {', '.join(allowed)})")
    return codes


def _date(parameter, text):
    if text is None or not str(text).strip():
        return None
    try:
        value = date.fromisoformat(str(text).strip())
    except ValueError:
        raise FilterError(parameter, f"date invalide « {text} » (attendu AAAA-MM-JJ)") from None
    # Found by schemathesis: 9999-12-31 has no next day to end the period.
    if not date(1900, 1, 1) <= value <= date(2999, 12, 31):
        raise FilterError(parameter, f"date hors limites « {text} » (entre 1900 et 2999)")
    return value


def parse_filter(mapping, *, known_agencies=None) -> ReportFilter:
    """Parse text parameters into a :class:`ReportFilter`.

    Parameters
    ----------
    mapping : Mapping
        ``request.args``, a dict of CLI options, a snapshot's saved
        parameters... Values are text (or lists of text); unknown keys are
        ignored so that a query string may carry other parameters.
    known_agencies : iterable of str, optional
        Agency codes to accept; any code is accepted without it.

    Returns
    -------
    ReportFilter

    Raises
    ------
    FilterError
        Naming the first bad parameter.

    Examples
    --------
    >>> f = parse_filter({"start": "2026-01-01", "agencies": "GN,PJ", "min_grading": "b2"})
    >>> f.start, f.agencies, f.min_grading
    (datetime.date(2026, 1, 1), ('GN', 'PJ'), 'B2')
    """
    start = _date("start", _get(mapping, "start"))
    end = _date("end", _get(mapping, "end"))
    if start and end and end < start:
        raise FilterError("end", "la date de fin précède la date de début")
    agencies = _codes(
        "agencies",
        _get(mapping, "agencies"),
        tuple(known_agencies) if known_agencies is not None else None,
        "service(s)",
    )
    categories = _codes("categories", _get(mapping, "categories"), CATEGORIES, "catégorie(s)")
    substances = _codes("substances", _get(mapping, "substances"), SUBSTANCES, "produit(s)")

    min_grading = _get(mapping, "min_grading")
    if min_grading is not None and str(min_grading).strip():
        min_grading = str(min_grading).strip().upper()
        if not _GRADING.match(min_grading):
            raise FilterError(
                "min_grading",
                f"cotation invalide « {min_grading} » (attendu une lettre A à F et un chiffre 1 à 6, par ex. B2)",
            )
    else:
        min_grading = None

    bbox = _get(mapping, "bbox")
    if bbox is not None and str(bbox).strip():
        try:
            west, south, east, north = (float(v) for v in str(bbox).split(","))
        except ValueError:
            raise FilterError("bbox", f"emprise invalide « {bbox} » (attendu ouest,sud,est,nord en degrés)") from None
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise FilterError("bbox", f"emprise invalide « {bbox} » (ouest < est, sud < nord, en degrés WGS84)")
        bbox = (west, south, east, north)
    else:
        bbox = None

    zone = _get(mapping, "zone")
    zone = _zone(zone) if zone is not None and str(zone).strip() else None
    return ReportFilter(
        start,
        end,
        agencies,
        categories,
        substances,
        min_grading,
        bbox,
        zone,
        _weekdays(_get(mapping, "weekdays")),
        _hours(_get(mapping, "hours")),
    )


def _weekdays(text):
    if text is None or not str(text).strip():
        return ()
    try:
        days = sorted({int(part) for part in str(text).split(",") if part.strip()})
    except ValueError:
        days = [-1]
    if not days or not all(0 <= d <= 6 for d in days):
        raise FilterError("weekdays", f"jours invalides « {text} » (attendu des chiffres de 0 = lundi à 6 = dimanche)")
    # Every day is no filter: one question, one cached answer.
    return () if len(days) == 7 else tuple(days)


def _hours(text):
    if text is None or not str(text).strip():
        return None
    try:
        first, last = (int(part) for part in str(text).split("-"))
    except ValueError:
        first = last = -1
    if not (0 <= first <= 23 and 0 <= last <= 23):
        raise FilterError("hours", f"heures invalides « {text} » (attendu DE-À entre 0 et 23, par ex. 18-23)")
    return None if (first, last) == ALL_HOURS else (first, last)


def _zone(text) -> shapely.Geometry:
    try:
        document = json.loads(text) if isinstance(text, str) else text
        if document.get("type") == "Feature":
            document = document["geometry"]
        geometry = shape(document)
    except (ValueError, TypeError, AttributeError, KeyError, shapely.errors.GEOSException):
        raise FilterError("zone", "zone invalide : attendu un polygone GeoJSON en WGS84") from None
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        raise FilterError("zone", f"zone invalide : {geometry.geom_type} (attendu Polygon ou MultiPolygon)")
    if not geometry.is_valid:
        raise FilterError("zone", "zone invalide : le polygone se recoupe")
    west, south, east, north = geometry.bounds
    if not (-180 <= west and east <= 180 and -90 <= south and north <= 90):
        raise FilterError("zone", "zone invalide : coordonnées hors des degrés WGS84 (longitude, latitude)")
    return geometry


def apply_filter(statement, report_filter: ReportFilter, table=None):
    """Add the filter's conditions to a ``select`` over reports.

    The zone is applied by its bounding box only (SQLite has no spatial
    functions): call :func:`filter_frame` on the result, or use
    :func:`select_reports`, for the exact polygon test.

    Parameters
    ----------
    statement : sqlalchemy.Select
    report_filter : ReportFilter
    table : optional
        The report table or ORM class (default :class:`webmap.db.models.Report`),
        or an alias of it.
    """
    conditions = filter_conditions(report_filter, table)
    return statement.where(*conditions) if conditions else statement


def filter_conditions(report_filter: ReportFilter, table=None) -> list:
    """The conditions of :func:`apply_filter`, as a list: the period,
    agencies, categories, substances, grading, and the bbox and the zone's
    bounding box (not the weekdays and hours: see :func:`time_conditions`)."""
    t = Report if table is None else table
    c = t.c if hasattr(t, "c") else t
    f = report_filter
    conditions = []
    if f.start_at:
        conditions.append(c.observed_at >= f.start_at)
    if f.end_before:
        conditions.append(c.observed_at < f.end_before)
    if f.agencies:
        conditions.append(c.agency.in_(f.agencies))
    if f.categories:
        conditions.append(c.category.in_(f.categories))
    if f.substances:
        # Substances are stored comma-separated: ",a,b," contains ",a,".
        padded = literal(",") + c.substances + literal(",")
        conditions.append(or_(*[padded.like(f"%,{code},%") for code in f.substances]))
    if f.min_grading:
        conditions.append(c.reliability <= f.min_grading[0])
        conditions.append(c.credibility <= int(f.min_grading[1]))
    for bounds in (f.bbox, f.zone.bounds if f.zone is not None else None):
        if bounds:
            west, south, east, north = bounds
            conditions.append(and_(c.lon >= west, c.lon <= east, c.lat >= south, c.lat <= north))
    return conditions


def time_conditions(report_filter: ReportFilter, dialect: str, table=None) -> list:
    """The weekday and hour filters as SQL conditions on ``observed_at``,
    in Europe/Paris time: PostgreSQL converts with its time zone database;
    SQLite calls the ``paris_weekday`` and ``paris_hour`` functions that
    :func:`webmap.db.make_engine` registers on its connections (Python's
    zoneinfo, so both engines keep what :func:`filter_frame` keeps)."""
    f = report_filter
    if not (f.weekdays or f.hours):
        return []
    observed = (Report.__table__ if table is None else table).c.observed_at
    if dialect == "postgresql":
        local = func.timezone(TIMEZONE, observed)
        weekday = extract("isodow", local) - 1
        hour = extract("hour", local)
    else:
        weekday = func.paris_weekday(observed)
        hour = func.paris_hour(observed)
    conditions = []
    if f.weekdays:
        conditions.append(weekday.in_(f.weekdays))
    if f.hours:
        first, last = f.hours
        if first <= last:
            conditions.append(hour.between(first, last))
        else:
            conditions.append(or_(hour >= first, hour <= last))
    return conditions


def filter_frame(reports: pd.DataFrame, report_filter: ReportFilter) -> pd.DataFrame:
    """Keep the rows of a reports DataFrame (``store.reports_frame``
    columns) that the filter keeps, zone included. Returns a new frame."""
    f = report_filter
    keep = pd.Series(True, index=reports.index)
    observed = pd.to_datetime(reports["observed_at"], utc=True) if len(reports) else reports["observed_at"]
    if f.start_at:
        keep &= observed >= pd.Timestamp(f.start_at)
    if f.end_before:
        keep &= observed < pd.Timestamp(f.end_before)
    if f.agencies:
        keep &= reports["agency"].isin(f.agencies)
    if f.categories:
        keep &= reports["category"].isin(f.categories)
    if f.substances:
        wanted = set(f.substances)
        keep &= reports["substances"].map(lambda text: bool(wanted & set(str(text).split(","))))
    if f.min_grading:
        keep &= (reports["reliability"] <= f.min_grading[0]) & (reports["credibility"] <= int(f.min_grading[1]))
    if f.bbox:
        west, south, east, north = f.bbox
        keep &= reports["lon"].between(west, east) & reports["lat"].between(south, north)
    if f.zone is not None and len(reports):
        keep &= shapely.intersects_xy(f.zone, reports["lon"].to_numpy(float), reports["lat"].to_numpy(float))
    if (f.weekdays or f.hours) and len(reports):
        keep &= _time_mask(observed, f)
    return reports.loc[keep].copy()


def postgis_conditions(report_filter: ReportFilter):
    """The filter's places as PostGIS conditions on ``report.geom``
    (migration 0007), for :func:`select_reports` on PostgreSQL.

    The GiST index finds the candidates by the Lambert-93 box around the
    bbox or zone (1 km wider: a degree box's edges bend once projected);
    the exact test is the one the SQLite path makes with shapely, a point
    in the WGS84 polygon, boundary included, so both engines keep the same
    reports.
    """
    geom = literal_column("report.geom")
    conditions = []
    for bounds in (report_filter.bbox, report_filter.zone.bounds if report_filter.zone is not None else None):
        if bounds:
            box = func.ST_Transform(func.ST_MakeEnvelope(*bounds, 4326), 2154)
            conditions.append(geom.op("&&")(func.ST_Expand(box, 1000)))
    if report_filter.zone is not None:
        zone = func.ST_SetSRID(func.ST_GeomFromGeoJSON(json.dumps(geojson_mapping(report_filter.zone))), 4326)
        point = func.ST_SetSRID(func.ST_MakePoint(Report.__table__.c.lon, Report.__table__.c.lat), 4326)
        conditions.append(func.ST_Intersects(zone, point))
    return conditions


def _time_mask(observed, report_filter):
    local = pd.to_datetime(observed, utc=True).dt.tz_convert(PARIS)
    return report_filter.keeps_time(local.dt.day_of_week.to_numpy(), local.dt.hour.to_numpy())


def select_reports(session, report_filter: ReportFilter, columns=None) -> pd.DataFrame:
    """The reports the filter keeps, as ``store.reports_frame`` shapes
    them (one row per report, ordered by id), zone tested exactly (by
    PostGIS on PostgreSQL, by shapely otherwise). ``columns`` narrows the
    frame (e.g. ``store.ANALYSIS_COLUMNS``; it must hold ``lon`` and
    ``lat`` for a zone filter on SQLite)."""
    from webmap.services.store import FRAME_COLUMNS, frame_from, report_select

    columns = columns or FRAME_COLUMNS
    statement = apply_filter(report_select(columns), report_filter, table=Report.__table__)
    in_database = session.get_bind().dialect.name == "postgresql"
    if in_database:
        statement = statement.where(*postgis_conditions(report_filter))
    frame = frame_from(session, statement, columns)
    if report_filter.zone is not None and len(frame) and not in_database:
        inside = shapely.intersects_xy(report_filter.zone, frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
        frame = frame.loc[inside].reset_index(drop=True)
    if (report_filter.weekdays or report_filter.hours) and len(frame):
        frame = frame.loc[_time_mask(frame["observed_at"], report_filter)].reset_index(drop=True)
    return frame
