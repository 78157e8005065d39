"""Writing validated rows in the caller's transaction, keyed on (agency, agency reference): new rows added, changed rows updated with their previous version kept, identical rows left alone."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, literal, select, update

from webmap.db.models import (
    ImportBatch,
    ImportDecision,
    ImportRejection,
    Report,
    ReportHistory,
    now,
)
from webmap.services.importer.base import (
    CHUNK,
    ImportOptions,
    ImportResult,
    Prepared,
    Table,
)
from webmap.services.importer.decisions import group_decisions


def write(session, prepared: Prepared, table: Table, options: ImportOptions, progress=None) -> ImportResult:
    """Upsert ``prepared`` in ``session`` as one new batch (not committed).

    With rejections and without ``options.skip_invalid`` nothing is
    written and ``written`` is False.
    """
    result = ImportResult(
        batch_id=None,
        total_rows=prepared.total_rows,
        rejected=len(prepared.rejected_lines),
        rejections=prepared.rejections,
        warnings=prepared.warnings,
        decisions=prepared.decisions,
    )
    if prepared.rejections and not options.skip_invalid:
        return result
    batch = ImportBatch(
        kind="file",
        filename=table.filename,
        sha256=table.sha256,
        created_by=options.created_by,
        agency=options.agency,
        profile=options.profile,
        rejected=result.rejected,
    )
    session.add(batch)
    session.flush()
    imported_at = now()
    table_ = Report.__table__

    existing = {}
    agencies = sorted({record["agency"] for record in prepared.records})
    for agency in agencies:
        rows = session.execute(
            select(table_.c.id, table_.c.agency_ref, table_.c.content_hash).where(table_.c.agency == agency)
        )
        existing.update(((agency, ref), (id_, digest)) for id_, ref, digest in rows)

    new, changed = [], []
    for record in prepared.records:
        # Agencies own their data (see .ownership, which rejects such rows
        # first): never a write for another agency.
        if options.only_agency is not None and record["agency"] != options.only_agency:
            raise ValueError(f"import limited to {options.only_agency} holds a row of {record['agency']}")
        found = existing.get((record["agency"], record["agency_ref"]))
        row = {key: value for key, value in record.items() if not key.startswith("_")}
        row.update(batch_id=batch.id, imported_at=imported_at, fictitious=False)
        if found is None:
            new.append(row)
        elif found[1] != record["content_hash"]:
            row["_id"] = found[0]
            changed.append(row)
        else:
            result.unchanged += 1
    total = len(new) + len(changed)
    done = 0
    for start in range(0, len(new), CHUNK):
        if progress:
            progress("enregistrement", done, total)
        session.execute(insert(table_), new[start : start + CHUNK])
        done += len(new[start : start + CHUNK])
    history = ReportHistory.__table__
    copied = [c.name for c in history.columns if c.name in table_.c and c.name != "id"]
    for start in range(0, len(changed), CHUNK):
        if progress:
            progress("enregistrement", done, total)
        chunk = changed[start : start + CHUNK]
        ids = [row["_id"] for row in chunk]
        # Copy the stored version as is (raw UTC timestamps included) before
        # overwriting it.
        session.execute(
            insert(history).from_select(
                ["report_id", "superseded_by", "superseded_at", *[c for c in copied if c != "report_id"]],
                select(
                    table_.c.id,
                    literal(batch.id),
                    literal(imported_at, history.c.superseded_at.type),
                    *[table_.c[c] for c in copied if c != "report_id"],
                ).where(table_.c.id.in_(ids)),
            )
        )
        update_by_id(session, table_, chunk)
        done += len(chunk)
    if progress:
        progress("enregistrement", total, total)
    if prepared.decisions:
        session.execute(
            insert(ImportDecision.__table__),
            [dict(group, batch_id=batch.id) for group in group_decisions(prepared.decisions)],
        )
    if prepared.rejections:
        session.execute(
            insert(ImportRejection.__table__),
            [
                dict(batch_id=batch.id, line=r.line, column=r.column, value=r.value, reason=r.reason)
                for r in prepared.rejections
            ],
        )
    batch.added, batch.updated, batch.unchanged = len(new), len(changed), result.unchanged
    session.flush()
    result.batch_id = batch.id
    result.added, result.updated = len(new), len(changed)
    result.written = True
    return result


def update_by_id(session, table, rows):
    """Executemany ``UPDATE table SET ... WHERE id = row["_id"]``."""
    # A bind parameter may not share its column's name in an UPDATE.
    columns = [c for c in rows[0] if c != "_id"]
    statement = update(table).where(table.c.id == bindparam("_id")).values({c: bindparam("v_" + c) for c in columns})
    session.execute(statement, [{"_id": row["_id"], **{"v_" + c: row[c] for c in columns}} for row in rows])
