"""Reports counted per square of a Lambert-93 grid, in the database: what
the map draws instead of points when a view holds too many to send (a
million reports at the scale of a département). Flask-free.

Need-to-know: only the reports the viewer may see in detail are counted
(every shared report and the restricted ones of the viewer's agency), the
same reports the points path sends (``need_to_know.visible_reports``). A
square therefore reveals nothing the points would not: it only says less
about where the same reports are.

Squares are numbered by ``floor(x / size)`` and ``floor(y / size)`` of the
Lambert-93 metres, on both engines (PostgreSQL's ``floor``; on SQLite a
cast to integer, which is the floor for the positive coordinates of
metropolitan France), so both count the same reports in the same squares.
The filter's local weekday and hour are Paris time in SQL too
(``filters.time_conditions``); the exact zone cannot be told in SQLite:
those questions are counted from the filtered reports instead, with the
same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Integer, cast, func, select

from geo.crs import to_lambert93, to_wgs84
from webmap.db.models import Report
from webmap.security.need_to_know import visible_condition, visible_mask
from webmap.services.filters import ReportFilter, apply_filter, postgis_conditions, select_reports, time_conditions

__all__ = [
    "CELL_SIZES_M",
    "CELLS_ACROSS",
    "Grid",
    "count_visible",
    "countable_in_sql",
    "cell_size_for",
    "grid_counts",
    "grid_json",
    "where_visible",
]

#: Sizes of the squares, in metres: the smallest whose squares, this many
#: across the view, cover it.
CELL_SIZES_M = (250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000)
#: About as many squares across a view as a screen shows readably.
CELLS_ACROSS = 80
#: Columns the counts read when they cannot be made in SQL.
_GRID_COLUMNS = ["id", "fictitious", "agency", "handling", "observed_at", "x_l93", "y_l93", "lon", "lat"]


@dataclass(frozen=True)
class Grid:
    """Counts per square: ``cells`` is a DataFrame with the square's
    indexes ``i`` and ``j``, its ``agency`` and ``count`` (one row per
    square and agency), ``size`` the side in metres, ``total`` the reports
    counted."""

    size: int
    cells: pd.DataFrame
    total: int


def countable_in_sql(session, report_filter: ReportFilter):
    """Whether the database can tell every criterion of the filter (not
    the exact zone on SQLite)."""
    return session.get_bind().dialect.name == "postgresql" or report_filter.zone is None


def where_visible(session, statement, report_filter, agency):
    """``statement`` over reports narrowed to the filter (PostGIS places
    on PostgreSQL) and to what a user of ``agency`` may see."""
    table = Report.__table__
    dialect = session.get_bind().dialect.name
    statement = apply_filter(statement, report_filter, table=table).where(
        visible_condition(agency, table), *time_conditions(report_filter, dialect, table)
    )
    if dialect == "postgresql":
        statement = statement.where(*postgis_conditions(report_filter))
    return statement


def _visible_frame(session, report_filter, agency):
    frame = select_reports(session, report_filter, _GRID_COLUMNS)
    return frame.loc[visible_mask(frame, agency)]


def count_visible(session, report_filter: ReportFilter, agency) -> int:
    """How many reports the filter keeps that a user of ``agency`` may see:
    as many as ``/api/reports`` would send as points."""
    if not countable_in_sql(session, report_filter):
        return len(_visible_frame(session, report_filter, agency))
    statement = where_visible(session, select(func.count()).select_from(Report.__table__), report_filter, agency)
    return int(session.scalar(statement))


def cell_size_for(bounds_l93) -> int:
    """The side of the squares for a view of ``(xmin, ymin, xmax, ymax)``
    Lambert-93 metres: the smallest of :data:`CELL_SIZES_M` that spans its
    longer side in at most :data:`CELLS_ACROSS` squares.

    >>> cell_size_for((900000, 6750000, 1000000, 6820000))
    2000
    >>> cell_size_for((950000, 6790000, 951000, 6791000))
    250
    """
    xmin, ymin, xmax, ymax = bounds_l93
    span = max(xmax - xmin, ymax - ymin)
    for size in CELL_SIZES_M:
        if span / size <= CELLS_ACROSS:
            return size
    return CELL_SIZES_M[-1]


def view_bounds_l93(report_filter: ReportFilter, session, agency):
    """The Lambert-93 box the squares must cover: the filter's bbox
    projected, or else that of the reports it keeps."""
    if report_filter.bbox:
        west, south, east, north = report_filter.bbox
        x, y = to_lambert93(np.array([west, east, west, east]), np.array([south, south, north, north]))
        return float(x.min()), float(y.min()), float(x.max()), float(y.max())
    c = Report.__table__.c
    statement = where_visible(
        session,
        select(func.min(c.x_l93), func.min(c.y_l93), func.max(c.x_l93), func.max(c.y_l93)),
        report_filter,
        agency,
    )
    row = session.execute(statement).one()
    return (0.0, 0.0, 0.0, 0.0) if row[0] is None else tuple(float(v) for v in row)


def _index(column, size, postgres):
    # CAST truncates towards zero, the floor for positive metres; PostgreSQL
    # would round, so it gets floor().
    return cast(func.floor(column / size), Integer) if postgres else cast(column / size, Integer)


def grid_counts(session, report_filter: ReportFilter, agency, size: int) -> Grid:
    """The reports the filter keeps that a user of ``agency`` may see,
    counted per square of ``size`` metres and per agency."""
    if not countable_in_sql(session, report_filter):
        frame = _visible_frame(session, report_filter, agency)
        cells = pd.DataFrame(
            {
                "i": np.floor(frame["x_l93"].to_numpy(float) / size).astype(np.int64),
                "j": np.floor(frame["y_l93"].to_numpy(float) / size).astype(np.int64),
                "agency": frame["agency"].to_numpy(),
            }
        )
        cells = cells.groupby(["i", "j", "agency"]).size().rename("count").reset_index()
    else:
        postgres = session.get_bind().dialect.name == "postgresql"
        c = Report.__table__.c
        i = _index(c.x_l93, size, postgres).label("i")
        j = _index(c.y_l93, size, postgres).label("j")
        statement = where_visible(session, select(i, j, c.agency, func.count().label("count")), report_filter, agency)
        statement = statement.group_by(i, j, c.agency)
        rows = session.execute(statement).all()
        cells = pd.DataFrame(rows, columns=["i", "j", "agency", "count"])
    cells = cells.astype({"i": np.int64, "j": np.int64, "count": np.int64}).sort_values(["i", "j", "agency"])
    return Grid(size=size, cells=cells.reset_index(drop=True), total=int(cells["count"].sum()))


def grid_json(grid: Grid):
    """The squares as the map page draws them: each with its WGS84 corners
    (south-west, north-east), its count and its counts per agency."""
    squares = grid.cells.groupby(["i", "j"], sort=True)
    keys = np.array(list(squares.groups.keys()), dtype=np.int64).reshape(-1, 2)
    west, south = to_wgs84(keys[:, 0] * grid.size, keys[:, 1] * grid.size)
    east, north = to_wgs84((keys[:, 0] + 1) * grid.size, (keys[:, 1] + 1) * grid.size)
    by_agency = {key: dict(zip(group["agency"], group["count"].tolist())) for key, group in squares}
    cells = []
    for k, (i, j) in enumerate(keys.tolist()):
        counts = by_agency[(i, j)]
        cells.append(
            {
                "i": i,
                "j": j,
                "bounds": [
                    round(float(south[k]), 5),
                    round(float(west[k]), 5),
                    round(float(north[k]), 5),
                    round(float(east[k]), 5),
                ],
                "count": int(sum(counts.values())),
                "by_agency": counts,
            }
        )
    return {"aggregated": True, "cell_m": grid.size, "count": grid.total, "cells": cells}
