"""Reading and writing reports. Flask-free: every function takes a Session."""

import io

import pandas as pd
from sqlalchemy import String, delete, func, select, type_coerce

from webmap.db.models import PARIS, ImportBatch, Report, now
from webmap.security.need_to_know import visible_condition

REPORT_COLUMNS = [
    "agency",
    "agency_ref",
    "observed_at",
    "category",
    "substances",
    "quantity",
    "unit",
    "reliability",
    "credibility",
    "summary",
    "place_text",
    "x_l93",
    "y_l93",
    "lon",
    "lat",
    "insee",
    "precision",
]


# "handling" decides who sees a report in detail (webmap.security.access.visible_reports).
FRAME_COLUMNS = ["id", "fictitious", "handling", *REPORT_COLUMNS]
# What clustering, trends and commune figures read: no free text, which is
# most of the bytes of a report.
ANALYSIS_COLUMNS = [
    "id",
    "fictitious",
    "handling",
    "agency",
    "observed_at",
    "category",
    "substances",
    "reliability",
    "credibility",
    "x_l93",
    "y_l93",
    "lon",
    "lat",
    "insee",
    "precision",
]


def report_select(columns=FRAME_COLUMNS):
    """A ``select`` of the report frame's columns, ordered by id, for
    :func:`frame_from`. Add conditions with ``.where``."""
    # Table columns, not ORM attributes: a Core select skips the ORM's row
    # machinery, and observed_at comes as stored text, converted for the
    # whole column at once by frame_from. Per-row Python work is most of the
    # cost of reading 100,000 reports.
    table = Report.__table__.c
    selected = [
        type_coerce(table.observed_at, String).label("observed_at") if name == "observed_at" else table[name]
        for name in columns
    ]
    return select(*selected).order_by(table.id)


#: Columns the PostgreSQL path below reads from CSV, by their pandas type:
#: none of them may be NULL (CSV would not tell NULL from empty text).
_CSV_TYPES = {
    "id": "int64",
    "credibility": "int64",
    "x_l93": "float64",
    "y_l93": "float64",
    "lon": "float64",
    "lat": "float64",
    **dict.fromkeys(
        [
            "fictitious",
            "handling",
            "agency",
            "agency_ref",
            "observed_at",
            "category",
            "substances",
            "reliability",
            "insee",
            "precision",
        ],
        str,
    ),
}


def frame_from(session, statement, columns=FRAME_COLUMNS):
    """Run a :func:`report_select` statement: one row per report, with
    ``observed_at`` as aware Europe/Paris timestamps."""
    if session.get_bind().dialect.name == "postgresql" and set(columns) <= _CSV_TYPES.keys():
        return _frame_by_copy(session, statement, columns)
    result = session.connection().execute(statement)
    # The driver's own tuples: building a SQLAlchemy Row per report costs
    # more than the query. No column here needs a result processor but the
    # boolean, converted below.
    rows = result.cursor.fetchall()
    result.close()
    frame = pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)
    if "fictitious" in frame:
        frame["fictitious"] = frame["fictitious"].astype(bool)
    if "observed_at" in frame:
        frame["observed_at"] = pd.to_datetime(frame["observed_at"], utc=True, format="ISO8601").dt.tz_convert(PARIS)
    return frame


def _frame_by_copy(session, statement, columns):
    """:func:`frame_from` on PostgreSQL through ``COPY ... TO STDOUT`` read
    by pandas' CSV reader: a third of the time of fetching a million rows
    as Python tuples (psycopg builds a datetime and a str per value)."""
    compiled = statement.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    buffer = io.BytesIO()
    cursor = session.connection().connection.dbapi_connection.cursor()
    # COPY takes no server-side parameters: psycopg binds them client-side.
    with cursor.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)", compiled.params or None) as copy:
        for chunk in copy:
            buffer.write(chunk)
    cursor.close()
    buffer.seek(0)
    frame = pd.read_csv(
        buffer,
        header=None,
        names=columns,
        dtype={name: _CSV_TYPES[name] for name in columns},
        keep_default_na=False,
        na_values=[],
    )
    if "fictitious" in frame:
        frame["fictitious"] = frame["fictitious"] == "t"
    if "observed_at" in frame:
        frame["observed_at"] = pd.to_datetime(frame["observed_at"], utc=True, format="ISO8601").dt.tz_convert(PARIS)
    return frame


def reports_frame(session):
    """Every report as a DataFrame, one row per report, ordered by id."""
    return frame_from(session, report_select())


def add_demo_batch(session, reports):
    """Load generated fictitious reports as one batch, in one transaction."""
    batch = ImportBatch(kind="demo", filename=None, created_by="crossmap demo", added=len(reports))
    session.add(batch)
    session.flush()
    imported_at = now()
    rows = reports[REPORT_COLUMNS].to_dict("records")
    for row in rows:
        row.update(batch_id=batch.id, imported_at=imported_at, fictitious=True)
        # pandas hands back NaN for missing quantities; the database wants NULL.
        for key in ("quantity", "unit"):
            if pd.isna(row[key]):
                row[key] = None
    session.execute(Report.__table__.insert(), rows)
    return batch


def visible_span(session, agency):
    """First and last instants of the reports a user of ``agency`` may see,
    and how many there are. Need-to-know: another agency's newest restricted
    report would otherwise give its exact time."""
    return session.execute(
        select(func.min(Report.observed_at), func.max(Report.observed_at), func.count(Report.id)).where(
            visible_condition(agency, Report.__table__)
        )
    ).one()


def count_reports(session):
    return session.scalar(select(func.count()).select_from(Report))


def delete_fictitious(session):
    """Remove every fictitious report and the demo batches that held them;
    return how many reports went."""
    removed = session.execute(delete(Report).where(Report.fictitious)).rowcount
    session.execute(delete(ImportBatch).where(ImportBatch.kind == "demo"))
    return removed
