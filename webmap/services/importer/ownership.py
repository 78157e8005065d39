"""Agencies own their data: a user imports only for their own agency, and
sees, rolls back and reads the rejections of their agency's batches only
(admins: every agency). Flask-free: the views pass the user's agency, or
``None`` for an admin or the command line."""

from __future__ import annotations

from sqlalchemy import select

from webmap.db.models import ImportBatch, Report
from webmap.services.importer.base import Prepared, Rejection


def restrict_to_agency(prepared: Prepared, agency: str | None, lines: list[int] | None = None) -> Prepared:
    """Turn every valid row of another agency than ``agency`` into a
    rejection (``None``: no restriction). The row is refused as a whole,
    whatever it says: an import must never create or update another
    agency's report, nor reveal whether one exists."""
    if agency is None:
        return prepared
    kept = []
    for record in prepared.records:
        if record["agency"] == agency:
            kept.append(record)
            continue
        line = record.get("_line")
        prepared.rejections.append(
            Rejection(
                line if line is not None else 0,
                "Service",
                str(record["agency"]),
                f"service « {record['agency']} » : vous ne pouvez importer que les signalements de votre service ({agency})",
            )
        )
        if line is not None:
            prepared.rejected_lines.add(line)
    prepared.records = kept
    return prepared


def batch_agencies(session, batches) -> dict[int, set[str]]:
    """The agencies each batch wrote reports for: those of its reports still
    stored, else the agency it was imported for."""
    ids = [b.id for b in batches]
    found: dict[int, set[str]] = {i: set() for i in ids}
    if ids:
        table = Report.__table__.c
        for batch_id, agency in session.execute(
            select(table.batch_id, table.agency).distinct().where(table.batch_id.in_(ids))
        ):
            found[batch_id].add(agency)
    for batch in batches:
        if not found[batch.id] and batch.agency:
            found[batch.id].add(batch.agency)
    return found


def owns_batch(session, batch: ImportBatch | None, agency: str | None) -> bool:
    """Whether a user of ``agency`` (``None``: admin or command line) may
    see and roll back ``batch``: all its reports are of that agency."""
    if batch is None:
        return False
    if agency is None:
        return True
    agencies = batch_agencies(session, [batch])[batch.id]
    return agencies == {agency}
