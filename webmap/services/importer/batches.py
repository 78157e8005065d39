"""Import batches: listing, their rejections (and the error file), rolling one back."""

from __future__ import annotations

import codecs
import csv
import io

from sqlalchemy import delete, func, select

from webmap.db.models import (
    ImportBatch,
    ImportDecision,
    ImportRejection,
    Report,
    ReportHistory,
    now,
)
from webmap.services.formulas import neutralize
from webmap.services.importer.base import Rejection
from webmap.services.importer.ownership import batch_agencies, owns_batch
from webmap.services.importer.writer import update_by_id


class BatchError(ValueError):
    """A batch that cannot be rolled back; the message is French."""


def list_batches(session, limit=200, agency=None) -> list[ImportBatch]:
    """The latest batches; for a user of ``agency``, only their agency's
    (``None``: every batch, for admins and the command line)."""
    if agency is None:
        return list(session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)))
    batches = list(
        session.scalars(select(ImportBatch).where(ImportBatch.kind == "file").order_by(ImportBatch.id.desc()))
    )
    owners = batch_agencies(session, batches)
    return [b for b in batches if owners[b.id] == {agency}][:limit]


def batch_rejections(session, batch_id, agency=None) -> list[Rejection] | None:
    """The rejected rows of a batch, or ``None`` when there is no such
    batch for a user of ``agency`` (``None``: admin)."""
    if not owns_batch(session, session.get(ImportBatch, batch_id), agency):
        return None
    rows = session.scalars(
        select(ImportRejection)
        .where(ImportRejection.batch_id == batch_id)
        .order_by(ImportRejection.line, ImportRejection.id)
    )
    return [Rejection(r.line, r.column, r.value, r.reason) for r in rows]


def get_batch(session, batch_id) -> ImportBatch | None:
    return session.get(ImportBatch, batch_id)


def batch_decisions(session, batch_id) -> list[ImportDecision]:
    """What a batch decided, identical decisions folded, in file order."""
    return list(
        session.scalars(
            select(ImportDecision)
            .where(ImportDecision.batch_id == batch_id)
            .order_by(ImportDecision.first_line, ImportDecision.id)
        )
    )


def rollback_batch(session, batch_id: int, user: str | None = None, agency: str | None = None) -> dict:
    """Undo a batch: delete the reports it added, put back the versions of
    those it updated. Refused when a later batch changed its reports again
    (roll that one back first). The caller commits.

    Returns
    -------
    dict
        ``{"removed": n, "restored": m}``.
    """
    batch = session.get(ImportBatch, batch_id)
    # Another agency's batch is "unknown": its existence is not revealed.
    if batch is None or not owns_batch(session, batch, agency):
        raise BatchError(f"Lot d'import inconnu : {batch_id}.")
    if batch.rolled_back_at is not None:
        raise BatchError(f"Le lot {batch_id} a déjà été annulé le {batch.rolled_back_at:%d/%m/%Y %H:%M}.")
    history = ReportHistory.__table__
    later = session.scalar(select(func.min(history.c.superseded_by)).where(history.c.batch_id == batch_id))
    if later is not None:
        raise BatchError(
            f"Des signalements du lot {batch_id} ont été modifiés depuis par le lot {later} : annulez d'abord ce lot."
        )
    reports = Report.__table__
    copied = [c.name for c in history.columns if c.name in reports.c and c.name != "id"]
    versions = (
        session.execute(
            select(history.c.report_id, *[history.c[c] for c in copied if c != "report_id"]).where(
                history.c.superseded_by == batch_id
            )
        )
        .mappings()
        .all()
    )
    # Raw values round-trip: read through the typed columns, written back
    # through them.
    restored = [dict(version, _id=version["report_id"]) for version in versions]
    for row in restored:
        row.pop("report_id")
    if restored:
        update_by_id(session, reports, restored)
        session.execute(delete(history).where(history.c.superseded_by == batch_id))
    removed = session.execute(delete(reports).where(reports.c.batch_id == batch_id)).rowcount
    batch.rolled_back_at = now()
    batch.rolled_back_by = user
    session.flush()
    return {"removed": removed, "restored": len(restored)}


# -- error file -----------------------------------------------------------


def rejections_csv(rejections) -> bytes:
    """The rejected rows as a CSV for French Excel (``;``, UTF-8 with BOM),
    text neutralised against formula injection."""

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Ligne", "Colonne", "Valeur", "Motif"])
    for r in rejections:
        writer.writerow([r.line, neutralize(r.column), neutralize(r.value), neutralize(r.reason)])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
