"""Copying a cell's whole database to another engine (SQLite to PostgreSQL,
typically) with nothing lost: reports, their history, batches, rejections,
profiles, users, zones, hotspot names and the audit trail, ids included.
Flask-free: it works on two SQLAlchemy engines.

Each table is read in id order through the models' column types and written
through them, so instants stay the same instants whatever each engine stores
(naive UTC text in SQLite, ``timestamptz`` in PostgreSQL). Then every table
is read back from the target and its rows' checksum compared with the
source's, inside the target's transaction: a difference rolls the whole
copy back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import func, inspect, select, text

from webmap.db import migrate
from webmap.db.models import Base

CHUNK = 5000
#: Raised by the target's own triggers, and sign-in counters that last a
#: minute: not copied.
NOT_COPIED = {"data_version", "rate_limit_counter"}


class CopyError(RuntimeError):
    """A copy refused or failed; the message is French."""


@dataclass
class TableCopy:
    name: str
    rows: int
    source_sha256: str
    target_sha256: str

    @property
    def same(self):
        return self.source_sha256 == self.target_sha256


@dataclass
class CopyReport:
    tables: list[TableCopy] = field(default_factory=list)

    @property
    def same(self):
        return all(t.same for t in self.tables)


def copied_tables():
    """The tables copied, parents before children (foreign keys)."""
    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_COPIED]


def _canonical(value):
    # One spelling per value whatever the engine gave back: an instant as
    # UTC, a float by its shortest repr, a boolean as a boolean.
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, float):
        return repr(value)
    return value


def table_checksum(connection, table):
    """Row count and SHA-256 of a table's rows in id order, every column."""
    digest = hashlib.sha256()
    count = 0
    result = connection.execution_options(yield_per=CHUNK).execute(select(table).order_by(table.c.id))
    for row in result:
        digest.update(json.dumps([_canonical(v) for v in row], default=str).encode())
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def _is_empty(connection):
    return all(connection.scalar(select(func.count()).select_from(t)) == 0 for t in copied_tables())


def _head_of(engine):
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.scalar(text("SELECT version_num FROM alembic_version"))


def copy_database(source, target, *, progress=None) -> CopyReport:
    """Copy every table of ``source`` into ``target`` (engines).

    The target is migrated first and must hold no data; the source must be
    at the same schema revision (``crossmap init-db`` on it first).

    Returns
    -------
    CopyReport
        Per table: rows copied and the checksums of source and target.

    Raises
    ------
    CopyError
        Target not empty, source not migrated, or checksums that differ
        (then nothing is written).
    """
    migrate(target)
    if _head_of(source) != _head_of(target):
        raise CopyError(
            f"La base source est à la révision {_head_of(source)}, la cible à {_head_of(target)} : "
            "mettez d'abord la source à jour (crossmap init-db)."
        )
    report = CopyReport()
    with source.connect() as reader, target.begin() as writer:
        if not _is_empty(writer):
            raise CopyError("La base cible contient déjà des données : la copie se fait vers une base vide.")
        for table in copied_tables():
            result = reader.execution_options(yield_per=CHUNK).execute(select(table).order_by(table.c.id))
            copied = 0
            for rows in result.partitions():
                writer.execute(table.insert(), [dict(row._mapping) for row in rows])
                copied += len(rows)
                if progress:
                    progress(table.name, copied)
            if writer.dialect.name == "postgresql":
                # Explicit ids leave the sequence behind: the next insert
                # would collide with a copied row.
                writer.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
                    )
                )
        for table in copied_tables():
            rows, source_sum = table_checksum(reader, table)
            target_rows, target_sum = table_checksum(writer, table)
            if target_rows != rows:
                target_sum = f"{target_sum} ({target_rows} lignes)"
            report.tables.append(TableCopy(table.name, rows, source_sum, target_sum))
        if not report.same:
            different = ", ".join(t.name for t in report.tables if not t.same)
            # Leaving the with block by an exception rolls the target back.
            raise CopyError(f"Copie annulée : les tables {different} diffèrent entre source et cible.")
    return report
