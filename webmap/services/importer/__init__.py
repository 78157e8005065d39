"""Import of agency files: read, map columns, validate, geocode, upsert.

Flask-free: the ``crossmap import`` command, the upload pages and the tests
call the same functions with a plain SQLAlchemy ``Session``.

The steps, each its own function so the upload page can stop after the
preview:

1. :func:`read_table` (:mod:`.readers`) reads a CSV (separator and encoding detected), XLSX or
   GeoJSON file into a :class:`Table`, refusing a file that is not what its
   extension says, too big or too long (:class:`ImportFileError`).
2. :func:`prepare` (:mod:`.validation`) maps the columns (:mod:`.columns`,
   :mod:`.mapping`, or a saved profile from :mod:`.profiles`), validates every row and geocodes it. Each bad row becomes one
   or more :class:`Rejection` (line, column, value, French reason); nothing
   is silently altered.
3. :func:`write` (:mod:`.writer`) upserts the valid rows in the caller's transaction, keyed on
   (agency, agency reference): new rows are added, changed rows updated with
   their previous version kept in ``report_history``, identical rows left
   alone. With rejections and without ``skip_invalid``, nothing is written.

:func:`import_file` (:mod:`.pipeline`) chains the three; :func:`rollback_batch`
(:mod:`.batches`) undoes a batch; :mod:`.preview` serves the upload page.
The caller commits: one file, one transaction, so a crash or a kill leaves
the database exactly as it was.
"""

from webmap.db.models import ImportBatch
from webmap.services.importer.base import (
    ImportFileError,
    ImportOptions,
    ImportResult,
    Prepared,
    Rejection,
    Table,
    field_label,
)
from webmap.services.importer.batches import (
    BatchError,
    batch_decisions,
    batch_rejections,
    get_batch,
    list_batches,
    rejections_csv,
    rollback_batch,
)
from webmap.services.importer.columns import FIELDS, guess_mapping
from webmap.services.importer.decisions import Decision, how_label, place_decision
from webmap.services.importer.mapping import resolve_mapping
from webmap.services.importer.ownership import batch_agencies, owns_batch, restrict_to_agency
from webmap.services.importer.pipeline import import_and_commit, import_file
from webmap.services.importer.preview import PREVIEW_FILTERS, Preview, PreviewRow, preview_file
from webmap.services.importer.profiles import (
    delete_profile,
    get_profile,
    list_profiles,
    save_profile,
)
from webmap.services.importer.readers import (
    READERS,
    read_csv_table,
    read_geojson_table,
    read_table,
    read_xlsx_table,
)
from webmap.services.importer.validation import (
    content_hash,
    geocoder_from_config,
    parse_date,
    prepare,
    vocabularies_from_config,
)
from webmap.services.importer.writer import write

__all__ = [
    "FIELDS",
    "READERS",
    "PREVIEW_FILTERS",
    "BatchError",
    "Decision",
    "PreviewRow",
    "batch_decisions",
    "get_batch",
    "how_label",
    "place_decision",
    "vocabularies_from_config",
    "ImportFileError",
    "ImportOptions",
    "ImportResult",
    "Prepared",
    "Preview",
    "Rejection",
    "Table",
    "ImportBatch",
    "batch_agencies",
    "owns_batch",
    "restrict_to_agency",
    "batch_rejections",
    "content_hash",
    "delete_profile",
    "field_label",
    "geocoder_from_config",
    "get_profile",
    "guess_mapping",
    "import_and_commit",
    "import_file",
    "list_batches",
    "list_profiles",
    "parse_date",
    "prepare",
    "preview_file",
    "read_csv_table",
    "read_geojson_table",
    "read_table",
    "read_xlsx_table",
    "rejections_csv",
    "resolve_mapping",
    "rollback_batch",
    "save_profile",
    "write",
]
