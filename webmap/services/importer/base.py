"""Shared types and limits of the import: a file's table, the options, one rejection, the results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from webmap.db.models import PARIS
from webmap.services.importer.columns import (
    FIELDS,
)
from webmap.services.importer.decisions import Decision
from webmap.services.store import REPORT_COLUMNS

#: Fields every row needs (a place is needed too, in one of several forms).
REQUIRED = ("agency_ref", "observed_at", "category")
#: Field columns that can carry the place, best first.
PLACE_FIELDS = ("lon", "lat", "x", "y", "coordinates", "address", "insee", "postal_code", "commune")
#: Dates before this need ``allow_before_2000``: most are typing mistakes.
OLDEST_WITHOUT_CONFIRMATION = datetime(2000, 1, 1, tzinfo=PARIS)
#: No date before this, even confirmed: 01/01/0001 made every report
#: listing answer 500 (pandas timestamps span 1677-2262; issue #16).
OLDEST_ACCEPTED = datetime(1900, 1, 1, tzinfo=PARIS)
#: Excel counts days from 30 December 1899 (its 1900 leap-year bug included).
EXCEL_EPOCH = datetime(1899, 12, 30)
#: Rows written per statement, and between two progress reports.
CHUNK = 5_000
#: Columns a report's content is made of: what the fingerprint covers.
CONTENT_COLUMNS = (*REPORT_COLUMNS, "handling")


def field_label(field_name: str) -> str:
    """The French name of a field, as exports write it (``"Date des faits"``)."""
    return {"place": "Lieu"}.get(field_name) or FIELDS[field_name][0]


class ImportFileError(ValueError):
    """The whole file is refused (wrong type, too big, columns missing);
    the message is French."""


@dataclass(frozen=True)
class Rejection:
    """One reason why one row was not imported."""

    line: int
    column: str
    value: str
    reason: str


@dataclass
class Table:
    """A file's rows as read: ``headers``, ``rows`` (lists of raw cell
    values: text, or numbers and datetimes from XLSX) and the line of each
    row in the file, as a spreadsheet shows it."""

    headers: list[str]
    rows: list[list]
    lines: list[int]
    filename: str = ""
    sha256: str = ""


@dataclass
class ImportOptions:
    agency: str | None = None
    mapping: dict[str, str] | None = None
    profile: str | None = None
    skip_invalid: bool = False
    allow_before_2000: bool = False
    # Accept places in a neighbouring département (flagged in the preview).
    allow_outside: bool = False
    max_rows: int | None = None
    max_bytes: int | None = None
    created_by: str | None = None
    # The only agency whose reports this import may write (a user's own
    # agency; None for an admin or the command line): see ``.ownership``.
    only_agency: str | None = None


@dataclass
class Prepared:
    """Validated rows ready to write, and everything that went wrong."""

    records: list[dict]
    rejections: list[Rejection]
    rejected_lines: set[int]
    warnings: list[str]
    mapping: dict[str, str]
    total_rows: int
    decisions: list[Decision] = field(default_factory=list)


@dataclass
class ImportResult:
    batch_id: int | None
    total_rows: int
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False
    decisions: list[Decision] = field(default_factory=list)
