"""The table of reports (*tableau des signalements*): the reports of the
map's filter, narrowed by a selection (a commune, a hotspot, a zone, text in
a column), sorted and cut into pages on the server. Flask-free.

Two paths give the same pages. :func:`page_from_database` has the database
count, sort and cut the page (SQLite or PostgreSQL), so that the first page
of 100,000 reports does not read them all; :func:`select_rows` and
:func:`table_page` work on reports already read (the view hands over the
filtered reports the reader may see), for a hotspot's selection, whose
reports come from a clustering run, and for the export.

Parameters, beside the filter's (``webmap.services.filters``):

=============  ==============================================================
``page``       page number, from 1
``page_size``  rows per page, 1 to :data:`MAX_PAGE_SIZE` (default 50)
``sort``       a column of :data:`SORTABLE`, ``-`` first for descending
               (default ``-observed_at``, the latest first)
``insee``      a commune's INSEE code: its reports only
``hotspot``    a hotspot's code: its reports only
``zone_id``    a saved operation zone: the reports inside it
``ref``        text the agency's reference contains (accents and case aside)
``place``      text the place contains (accents and case aside)
=============  ==============================================================

The same selection (without the paging) chooses what
``/signalements/export/fichier`` writes, so that the export of the table is
the table.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import String, case, cast, func, select

from webmap.db.models import Report
from webmap.security.need_to_know import visible_condition
from webmap.services.filters import (
    FilterError,
    ReportFilter,
    filter_conditions,
    postgis_conditions,
    time_conditions,
)
from webmap.services.store import frame_from, report_select

__all__ = [
    "TableRequest",
    "parse_table_request",
    "select_rows",
    "table_page",
    "page_from_database",
    "TABLE_PARAMETERS",
    "SELECTION",
]

#: Sortable columns -> how to sort them.
SORTABLE = ("observed_at", "agency", "agency_ref", "category", "grading", "commune", "place", "precision", "id")
#: Parameters that narrow the table (and its export) beyond the filter.
SELECTION = ("insee", "hotspot", "zone_id", "ref", "place")
TABLE_PARAMETERS = ("page", "page_size", "sort", *SELECTION)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class TableRequest:
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort: str = "observed_at"
    descending: bool = True
    insee: str | None = None
    hotspot: str | None = None
    zone_id: int | None = None
    ref: str | None = None
    place: str | None = None


def _text(args, name):
    value = args.get(name)
    return str(value).strip() if value is not None and str(value).strip() else None


def _integer(args, name, default, low, high):
    text = _text(args, name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise FilterError(name, f"nombre entier attendu, reçu « {text} »") from None
    if not low <= value <= high:
        raise FilterError(name, f"doit être entre {low} et {high}, reçu « {text} »")
    return value


def parse_table_request(args) -> TableRequest:
    """Read the table's own parameters; a bad one raises
    :class:`~webmap.services.filters.FilterError` naming it.

    >>> parse_table_request({"sort": "agency", "page": "2"}).sort
    'agency'
    >>> parse_table_request({"sort": "-commune"}).descending
    True
    """
    sort = _text(args, "sort") or "-observed_at"
    descending = sort.startswith("-")
    sort = sort.lstrip("-")
    if sort not in SORTABLE:
        raise FilterError("sort", f"colonne inconnue « {sort} » (connues : {', '.join(SORTABLE)})")
    insee = _text(args, "insee")
    if insee is not None and not (len(insee) == 5 and insee[:2].isalnum() and insee[2:].isdigit()):
        raise FilterError("insee", f"code INSEE invalide « {insee} » (5 caractères, par ex. 88160)")
    return TableRequest(
        page=_integer(args, "page", 1, 1, 10**9),
        page_size=_integer(args, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        sort=sort,
        descending=descending,
        insee=insee,
        hotspot=_text(args, "hotspot"),
        zone_id=_integer(args, "zone_id", None, 1, 2**31),
        ref=_text(args, "ref"),
        place=_text(args, "place"),
    )


def fold(text: str) -> str:
    """Lower case without accents, for searching.

    >>> fold("Épinal – Rue d'Ambrail")
    "epinal – rue d'ambrail"
    """
    text = str(text)
    if text.isascii():
        # Most places are coordinates or plain names: no accent to drop.
        return text.lower()
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()


def select_rows(reports: pd.DataFrame, request: TableRequest, *, member_ids=None, zone=None) -> pd.DataFrame:
    """The rows of ``reports`` the selection keeps, unsorted. ``member_ids``
    are the hotspot's report ids when ``request.hotspot`` is set; ``zone``
    the saved zone's WGS84 polygon when ``request.zone_id`` is."""
    keep = np.ones(len(reports), dtype=bool)
    if request.insee:
        keep &= (reports["insee"] == request.insee).to_numpy()
    if request.hotspot is not None:
        keep &= reports["id"].isin(member_ids or ()).to_numpy()
    if request.zone_id is not None and zone is not None and len(reports):
        keep &= shapely.intersects_xy(zone, reports["lon"].to_numpy(float), reports["lat"].to_numpy(float))
    for name, column in (("ref", "agency_ref"), ("place", "place_text")):
        wanted = getattr(request, name)
        if wanted and len(reports):
            keep &= reports[column].fillna("").map(fold).str.contains(fold(wanted), regex=False).to_numpy()
    return reports.loc[keep]


def _sort_key(rows, column, commune_names) -> np.ndarray:
    """The column as numbers that sort as its values do: times in
    nanoseconds, text as its rank among the distinct values (folded)."""
    if column == "observed_at":
        return _nanoseconds(rows["observed_at"])
    if column == "id":
        return rows["id"].to_numpy(np.int64)
    if column == "grading":
        values = rows["reliability"].astype(str) + rows["credibility"].astype(str)
    elif column == "commune":
        # Fold the 506 names, not 100,000 rows.
        values = rows["insee"].map({code: fold(name) for code, name in commune_names.items()}).fillna("")
    elif column == "place":
        values = rows["place_text"].fillna("").map(fold)
    else:
        values = rows[column].fillna("").astype(str)
    codes, _ = pd.factorize(values, sort=True)
    return codes


def _nanoseconds(times) -> np.ndarray:
    # The integers under the datetimes (in the array's unit): no object per
    # timestamp.
    return pd.to_datetime(times, utc=True).array.asi8


def _page_positions(rows, request, commune_names):
    """How many rows, the page shown, how many pages, and the positions in
    ``rows`` of the page's rows in the table's order."""
    total = len(rows)
    pages = max(1, -(-total // request.page_size))
    page = min(request.page, pages)
    if not total:
        return total, page, pages, np.array([], dtype=np.int64)
    # One lexsort over numbers: sorting 100,000 timestamps or strings as
    # Python objects costs seconds.
    key = _sort_key(rows, request.sort, commune_names)
    key = -key if request.descending else key
    order = np.lexsort((-rows["id"].to_numpy(np.int64), -_nanoseconds(rows["observed_at"]), key))
    return total, page, pages, order[(page - 1) * request.page_size : page * request.page_size]


def table_page(rows: pd.DataFrame, request: TableRequest, *, commune_names, agency_names=None) -> dict:
    """One page of ``rows`` (:func:`select_rows`' answer), sorted, as JSON.

    ``commune_names`` maps INSEE codes to names; ``agency_names`` codes to
    names. Ties keep the latest first, so that pages never shuffle."""
    total, page, pages, positions = _page_positions(rows, request, commune_names)
    return _answer(rows.iloc[positions], total, page, pages, request, commune_names, agency_names)


def page_from_database(
    session, report_filter, request: TableRequest, *, agency, zone=None, commune_names, agency_names=None
) -> dict:
    """:func:`table_page` of the reports ``report_filter`` keeps that a user
    of ``agency`` may see, narrowed by the selection, computed by the
    database: it counts, sorts and cuts the page, and only the page's rows
    are read. The same answer as :func:`table_page` over
    :func:`select_rows`, without reading every report first.

    ``zone`` is the saved zone's WGS84 polygon when ``request.zone_id`` is
    set. A hotspot's reports come from its clustering run, which reads every
    report of the filter anyway: select them with :func:`select_rows`.

    Some of the selection is not SQL: text searched with accents and case
    aside (``ref``, ``place``), the sort by place (the same folding), and on
    SQLite the exact test of a zone's polygon. Then the database narrows and
    hands over only the columns those need; they are tested and sorted here,
    and the page's rows read by id.
    """
    if request.hotspot is not None:
        raise ValueError("a hotspot's reports come from its clustering run: use select_rows and table_page")
    table = Report.__table__
    dialect = session.get_bind().dialect.name
    zones = [z for z in (report_filter.zone, zone if request.zone_id is not None else None) if z is not None]
    conditions = [
        *filter_conditions(report_filter, table),
        *time_conditions(report_filter, dialect, table),
        visible_condition(agency, table),
    ]
    if request.insee:
        conditions.append(table.c.insee == request.insee)
    if zone is not None and request.zone_id is not None:
        conditions.extend(filter_conditions(ReportFilter(zone=zone), table))  # its box
    if dialect == "postgresql":
        for polygon in zones:
            conditions.extend(postgis_conditions(ReportFilter(zone=polygon)))
        zones = []
    if zones or request.ref or request.place or request.sort == "place":
        total, page, pages, ids = _ids_in_memory(session, conditions, zones, request, commune_names)
        chosen = frame_from(session, report_select().where(table.c.id.in_([int(i) for i in ids])))
        chosen = chosen.set_index("id", drop=False).loc[ids]
    else:
        total = session.scalar(select(func.count()).select_from(table).where(*conditions))
        pages = max(1, -(-total // request.page_size))
        page = min(request.page, pages)
        statement = (
            report_select()
            .where(*conditions)
            .order_by(None)
            .order_by(*_sql_order(table, request, commune_names, dialect))
            .limit(request.page_size)
            .offset((page - 1) * request.page_size)
        )
        chosen = frame_from(session, statement)
    return _answer(chosen, total, page, pages, request, commune_names, agency_names)


def _sql_order(table, request, commune_names, dialect):
    """ORDER BY of :func:`_page_positions`' order: the column (as
    :func:`_sort_key` compares it), then the latest first, then the
    highest id."""
    c = table.c
    text = True
    if request.sort in ("observed_at", "id"):
        key, text = c[request.sort], False
    elif request.sort == "grading":
        key = c.reliability + cast(c.credibility, String)
    elif request.sort == "commune":
        # The rank of each commune's folded name, "" (first) for a code
        # without a name, as _sort_key ranks them.
        folded = {code: fold(name) for code, name in commune_names.items()}
        rank = {value: i for i, value in enumerate(sorted({"", *folded.values()}))}
        # The halving compares codes: as Python does ("2A004" after "29xxx").
        insee = c.insee.collate("C") if dialect == "postgresql" else c.insee
        key, text = _lookup(insee, sorted((code, rank[value]) for code, value in folded.items()), rank[""]), False
    else:
        key = func.coalesce(c[request.sort], "")
    if text and dialect == "postgresql":
        # Code points, as Python and SQLite compare text, whatever the
        # database's locale.
        key = key.collate("C")
    return [key.desc() if request.descending else key.asc(), c.observed_at.desc(), c.id.desc()]


def _lookup(column, pairs, default):
    """``column`` mapped through the sorted ``(value, result)`` pairs, or
    ``default``: a CASE cut in halves by comparisons, because one CASE of
    500 communes is 250 comparisons a row on average (half a second for
    100,000 reports on SQLite), and this about ten."""
    if len(pairs) <= 8:
        return case(dict(pairs), value=column, else_=default)
    middle = len(pairs) // 2
    return case(
        (column < pairs[middle][0], _lookup(column, pairs[:middle], default)),
        else_=_lookup(column, pairs[middle:], default),
    )


#: The columns the in-memory part of page_from_database reads, per need.
_SORT_COLUMNS = {"grading": ["reliability", "credibility"], "commune": ["insee"], "place": ["place_text"]}


def _ids_in_memory(session, conditions, zones, request, commune_names):
    columns = ["id", "observed_at"]
    needed = _SORT_COLUMNS.get(request.sort, [request.sort])
    needed += ["lon", "lat"] if zones else []
    needed += ["agency_ref"] if request.ref else []
    needed += ["place_text"] if request.place else []
    columns += [name for name in dict.fromkeys(needed) if name not in columns]
    rows = frame_from(session, report_select(columns).where(*conditions), columns)
    for polygon in zones:
        if len(rows):
            rows = rows.loc[shapely.intersects_xy(polygon, rows["lon"].to_numpy(float), rows["lat"].to_numpy(float))]
    rows = select_rows(rows, replace(request, insee=None, zone_id=None))
    total, page, pages, positions = _page_positions(rows, request, commune_names)
    return total, page, pages, rows["id"].to_numpy(np.int64)[positions]


def _answer(chosen, total, page, pages, request, commune_names, agency_names):
    agency_names = agency_names or {}
    return {
        "total": total,
        "page": page,
        "pages": pages,
        "page_size": request.page_size,
        "sort": ("-" if request.descending else "") + request.sort,
        "rows": [
            {
                "id": int(row.id),
                "observed_at": row.observed_at.isoformat(),
                "agency": row.agency,
                "agency_name": agency_names.get(row.agency, row.agency),
                "agency_ref": row.agency_ref,
                "category": row.category,
                "substances": [s for s in str(row.substances or "").split(",") if s],
                "grading": f"{row.reliability}{row.credibility}",
                "insee": row.insee,
                "commune": commune_names.get(row.insee, ""),
                "place": row.place_text,
                "precision": row.precision,
                "lon": round(float(row.lon), 6),
                "lat": round(float(row.lat), 6),
            }
            for row in chosen.itertuples(index=False)
        ],
    }
