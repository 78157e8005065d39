"""The whole import of one file: read, map, validate and geocode, write;
and the import-and-commit path shared by the CLI and the web page."""

from __future__ import annotations

from webmap.services.importer.base import ImportOptions, ImportResult
from webmap.services.importer.ownership import restrict_to_agency
from webmap.services.importer.profiles import get_profile, save_profile
from webmap.services.importer.readers import read_table
from webmap.services.importer.validation import prepare
from webmap.services.importer.writer import write


def import_file(
    session,
    path,
    *,
    geocoder,
    known_agencies,
    options: ImportOptions | None = None,
    filename=None,
    progress=None,
    vocabularies=None,
    table=None,
) -> ImportResult:
    """Read, validate, geocode and upsert one file in ``session``; the
    caller commits (or rolls back). See the module docstring. ``table``:
    the file already read (``.worker.read_upload``), not read again."""
    options = options or ImportOptions()
    if options.profile and options.mapping is None:
        profile = get_profile(session, options.profile)
        options.mapping = profile["mapping"]
        options.agency = options.agency or profile["agency"]
    if progress:
        progress("lecture", 0, 1)
    if table is None:
        table = read_table(path, filename=filename, max_bytes=options.max_bytes, max_rows=options.max_rows)
    prepared = prepare(
        table,
        geocoder=geocoder,
        known_agencies=known_agencies,
        options=options,
        progress=progress,
        vocabularies=vocabularies,
    )
    prepared = restrict_to_agency(prepared, options.only_agency)
    return write(session, prepared, table, options, progress=progress)


def import_and_commit(session, path, *, save_profile_as=None, profile_mapping=None, **kwargs) -> ImportResult:
    """:func:`import_file`, then commit what it wrote (and, on request, save
    the column mapping as a named profile) or roll everything back: the file
    is imported whole or not at all."""
    try:
        result = import_file(session, path, **kwargs)
        if result.written and save_profile_as:
            options = kwargs.get("options") or ImportOptions()
            save_profile(
                session, save_profile_as, profile_mapping or options.mapping, options.agency, options.created_by
            )
        if result.written:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    return result
