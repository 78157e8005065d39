"""Reading and writing reports. Flask-free: every function takes a Session."""

import pandas as pd
from sqlalchemy import String, delete, func, select, type_coerce

from webmap.models import PARIS, ImportBatch, Report, now

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


FRAME_COLUMNS = ["id", "fictitious", *REPORT_COLUMNS]


def report_select():
    """A ``select`` of the report frame's columns, ordered by id, for
    :func:`frame_from`. Add conditions with ``.where``."""
    columns = [
        # Stored text, converted for the whole column at once by frame_from:
        # one Python conversion per row is most of the cost of 100,000 rows.
        type_coerce(Report.observed_at, String).label("observed_at") if name == "observed_at" else getattr(Report, name)
        for name in FRAME_COLUMNS
    ]
    return select(*columns).order_by(Report.id)


def frame_from(session, statement):
    """Run a :func:`report_select` statement: one row per report, with
    ``observed_at`` as aware Europe/Paris timestamps."""
    frame = pd.DataFrame(session.execute(statement).all(), columns=FRAME_COLUMNS)
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


def count_reports(session):
    return session.scalar(select(func.count()).select_from(Report))


def delete_fictitious(session):
    """Remove every fictitious report and the demo batches that held them;
    return how many reports went."""
    removed = session.execute(delete(Report).where(Report.fictitious)).rowcount
    session.execute(delete(ImportBatch).where(ImportBatch.kind == "demo"))
    return removed
