"""Reading and writing reports. Flask-free: every function takes a Session."""

import pandas as pd
from sqlalchemy import delete, func, select

from webmap.models import ImportBatch, Report, now

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


def reports_frame(session):
    """Every report as a DataFrame, one row per report, ordered by id."""
    rows = session.execute(select(Report.id, Report.fictitious, *[getattr(Report, c) for c in REPORT_COLUMNS]).order_by(Report.id))
    return pd.DataFrame(rows.all(), columns=["id", "fictitious", *REPORT_COLUMNS])


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
