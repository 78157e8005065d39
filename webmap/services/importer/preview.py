"""The preview of the upload page: what an import would do, before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, field

from webmap.services.importer.base import ImportFileError, ImportOptions, Prepared, Rejection
from webmap.services.importer.columns import (
    guess_mapping,
)
from webmap.services.importer.decisions import HOW_LABELS, Decision
from webmap.services.importer.ownership import restrict_to_agency
from webmap.services.importer.profiles import get_profile
from webmap.services.importer.readers import read_table
from webmap.services.importer.validation import cell_text, prepare

# -- preview (the upload page) --------------------------------------------


#: Rows the preview lists at most (after its filter); the counts cover all.
PREVIEW_ROWS = 500
#: What the preview may list: every row, rows read approximately, rejected rows.
PREVIEW_FILTERS = ("all", "approximations", "rejections")


@dataclass
class PreviewRow:
    """One row of the preview: the place as given, how it was read and what
    is stored, the other fields' decisions and the row's rejections."""

    line: int
    place_given: str = ""
    place_how: str = ""
    place_stored: str = ""
    place_note: str = ""
    decisions: list[Decision] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def approximate(self) -> bool:
        return any(decision.approximate for decision in self.decisions)


@dataclass
class Preview:
    """What the upload page shows before the analyst confirms."""

    headers: list[str]
    first_rows: list[list[str]]
    mapping: dict[str, str]
    total_rows: int
    valid_rows: int
    rejections: list[Rejection]
    rejected_rows: int
    warnings: list[str]
    error: str | None = None
    rows: list[PreviewRow] = field(default_factory=list)
    shown: str = "all"
    matching_rows: int = 0
    approximate_rows: int = 0
    decided_rows: int = 0


def preview_file(
    path,
    *,
    filename,
    geocoder,
    known_agencies,
    options: ImportOptions,
    session=None,
    rows=10,
    show="all",
    vocabularies=None,
    table=None,
) -> Preview:
    """Read and validate a file without writing anything. A file-level
    problem (missing columns, say) is returned in ``error`` with whatever
    could be read, so the page can still show the columns to map.

    ``show`` (one of :data:`PREVIEW_FILTERS`) chooses the rows listed with
    their decisions: every row, only rows read approximately, or only
    rejected rows (at most :data:`PREVIEW_ROWS`)."""
    if show not in PREVIEW_FILTERS:
        raise ValueError(f"Unknown preview filter {show!r}; expected one of {PREVIEW_FILTERS}.")
    if options.profile and options.mapping is None and session is not None:
        profile = get_profile(session, options.profile)
        options.mapping = profile["mapping"]
        options.agency = options.agency or profile["agency"]
    if table is None:  # else read once already (.worker.read_upload)
        table = read_table(path, filename=filename, max_bytes=options.max_bytes, max_rows=options.max_rows)
    first_rows = [[cell_text(cell) for cell in row] for row in table.rows[:rows]]
    try:
        prepared = restrict_to_agency(
            prepare(
                table, geocoder=geocoder, known_agencies=known_agencies, options=options, vocabularies=vocabularies
            ),
            options.only_agency,
        )
    except ImportFileError as error:
        mapping = options.mapping if options.mapping is not None else guess_mapping(table.headers)
        return Preview(table.headers, first_rows, mapping, len(table.rows), 0, [], 0, [], error=str(error))
    preview = Preview(
        table.headers,
        first_rows,
        prepared.mapping,
        len(table.rows),
        len(prepared.records),
        prepared.rejections,
        len(prepared.rejected_lines),
        prepared.warnings,
        shown=show,
    )
    every_row = preview_rows(prepared, geocoder)
    preview.approximate_rows = sum(row.approximate for row in every_row)
    preview.decided_rows = sum(bool(row.decisions) for row in every_row)
    keep = {
        "all": lambda row: True,
        "approximations": lambda row: row.approximate,
        "rejections": lambda row: bool(row.rejections),
    }[show]
    chosen = [row for row in every_row if keep(row)]
    preview.matching_rows = len(chosen)
    preview.rows = chosen[:PREVIEW_ROWS]
    return preview


def preview_rows(prepared: Prepared, geocoder) -> list[PreviewRow]:
    """Every row of a prepared file, in file order, with its decisions."""
    rows: dict[int, PreviewRow] = {}
    for decision in prepared.decisions:
        row = rows.setdefault(decision.line, PreviewRow(decision.line))
        if decision.field == "place":
            row.place_given, row.place_how, row.place_stored = decision.given, decision.how_label(), decision.stored
            row.place_note = decision.note
        row.decisions.append(decision)
    for record in prepared.records:
        row = rows.setdefault(record["_line"], PreviewRow(record["_line"]))
        if not row.place_how:
            # A point read from its own columns in the stated order.
            commune = geocoder.commune(record["insee"])
            row.place_given = record["place_text"]
            row.place_how = HOW_LABELS["point"]
            row.place_stored = (
                f"{commune.name if commune else ''} ({record['insee']}), {record['lat']:.5f} ; {record['lon']:.5f}"
            )
    for rejection in prepared.rejections:
        rows.setdefault(rejection.line, PreviewRow(rejection.line)).rejections.append(rejection)
    return [rows[line] for line in sorted(rows)]
