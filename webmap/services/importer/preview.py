"""The preview of the upload page: what an import would do, before anything is written."""

from __future__ import annotations

from dataclasses import dataclass

from webmap.services.importer.base import ImportFileError, ImportOptions, Rejection
from webmap.services.importer.columns import (
    guess_mapping,
)
from webmap.services.importer.ownership import restrict_to_agency
from webmap.services.importer.profiles import get_profile
from webmap.services.importer.readers import read_table
from webmap.services.importer.validation import cell_text, prepare

# -- preview (the upload page) --------------------------------------------


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


def preview_file(path, *, filename, geocoder, known_agencies, options: ImportOptions, session=None,
                 rows=10, table=None) -> Preview:
    """Read and validate a file without writing anything. A file-level
    problem (missing columns, say) is returned in ``error`` with whatever
    could be read, so the page can still show the columns to map."""
    if options.profile and options.mapping is None and session is not None:
        profile = get_profile(session, options.profile)
        options.mapping = profile["mapping"]
        options.agency = options.agency or profile["agency"]
    if table is None:  # else read once already (.worker.read_upload)
        table = read_table(path, filename=filename, max_bytes=options.max_bytes, max_rows=options.max_rows)
    first_rows = [[cell_text(cell) for cell in row] for row in table.rows[:rows]]
    try:
        prepared = restrict_to_agency(prepare(table, geocoder=geocoder, known_agencies=known_agencies, options=options),
                                      options.only_agency)
    except ImportFileError as error:
        mapping = options.mapping if options.mapping is not None else guess_mapping(table.headers)
        return Preview(table.headers, first_rows, mapping, len(table.rows), 0, [], 0, [], error=str(error))
    return Preview(table.headers, first_rows, prepared.mapping, len(table.rows), len(prepared.records),
                   prepared.rejections, len(prepared.rejected_lines), prepared.warnings)
