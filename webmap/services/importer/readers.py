"""Reading agency files (CSV with its separator and encoding detected, XLSX, GeoJSON) into a :class:`~webmap.services.importer.base.Table`."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

from geo.names import name_key
from webmap.services.importer.base import ImportFileError, Table

#: Most columns a row may have: agency files have tens; a cell far right
#: (column XFD) would widen every row to 16,384 cells.
MAX_COLUMNS = 500
#: An XLSX archive may not unpack to more than this, nor (beyond 1 MB) to
#: more than MAX_ZIP_RATIO times its compressed size: a zip bomb is
#: refused before anything is parsed.
MAX_UNZIPPED_BYTES = 400 * 1024 * 1024
MAX_ZIP_RATIO = 100


def read_table(path, *, filename=None, max_bytes=None, max_rows=None) -> Table:
    """Read an agency file, choosing the reader by extension and checking
    that the content matches it.

    Raises
    ------
    ImportFileError
        Unknown extension, content not matching it, over ``max_bytes`` or
        over ``max_rows`` rows.
    """
    path = Path(path)
    filename = filename or path.name
    extension = Path(filename).suffix.lower().lstrip(".")
    if extension not in READERS:
        raise ImportFileError(f"Format non pris en charge : « {filename} » (formats acceptés : .csv, .xlsx, .geojson).")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise ImportFileError(f"Fichier trop volumineux : {size / 1e6:.1f} Mo (maximum {max_bytes / 1e6:.1f} Mo).")
    data = path.read_bytes()
    table = READERS[extension](data, filename, max_rows=max_rows)
    if max_rows is not None and len(table.rows) > max_rows:
        raise too_many_rows(max_rows)
    table.filename = filename
    table.sha256 = hashlib.sha256(data).hexdigest()
    return table


def too_many_rows(max_rows):
    return ImportFileError(f"Trop de lignes : plus de {max_rows} (maximum {max_rows}).")


def _decode(data: bytes, filename: str) -> str:
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(f"« {filename} » n'est pas un fichier texte : est-ce bien un CSV ?")
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # French Windows software writes Windows-1252 ("ANSI"). Nearly every
    # byte string decodes in it, so it comes last, and only text that reads
    # as French in it is accepted: Shift-JIS or UTF-16 without BOM would be
    # imported garbled, without a warning (issue #16).
    text = data.decode("cp1252", errors="replace")
    if not _reads_as_french(text):
        raise ImportFileError(
            f"« {filename} » : encodage non reconnu (ni UTF-8, ni Windows-1252 lisible). "
            "Enregistrez le fichier en « CSV UTF-8 » et importez-le à nouveau."
        )
    return text


#: Characters beyond ASCII a French file holds in Windows-1252.
FRENCH_CHARACTERS = set("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ«»°€’‘“”–—…\xa0·²³µ")


def _reads_as_french(text):
    """Whether Windows-1252 text reads as French: no undecodable byte, and
    nearly all of its non-ASCII characters are French letters and signs.

    >>> _reads_as_french("Épinal;Saisie de résine")
    True
    >>> _reads_as_french("\x83T\x83C\x83Y;\x93\x8c\x8b\x9e".encode("latin-1").decode("cp1252", errors="replace"))
    False
    """
    if "\ufffd" in text:
        return False
    beyond = [c for c in text if ord(c) > 127]
    if not beyond:
        return True
    return sum(c in FRENCH_CHARACTERS for c in beyond) >= 0.9 * len(beyond)


def read_csv_table(data: bytes, filename: str, max_rows=None) -> Table:
    if data.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
        raise ImportFileError(f"« {filename} » n'est pas un fichier CSV (c'est un fichier binaire, classeur ou PDF).")
    text = _decode(data, filename)
    sample = "\n".join(text.splitlines()[:20])
    try:
        separator = csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        separator = max(";,\t|", key=sample.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    headers, rows, lines = None, [], []
    title_lines = set()
    start = 1
    for record in _records(reader, filename):
        line, start = start, reader.line_num + 1
        filled = [cell for cell in record if cell.strip()]
        if headers is None:
            # Lines before the header (a title, the handling marking) have a
            # single cell; the header has several.
            if len(filled) >= 2:
                headers = [cell.strip() for cell in record]
            elif filled:
                title_lines.add(filled[0].strip())
            continue
        if not filled:
            continue
        if len(filled) == 1 and filled[0].strip() in title_lines and record[0].strip() == filled[0].strip():
            continue  # the marking repeated at the bottom of our own exports
        rows.append(record)
        lines.append(line)
        if max_rows is not None and len(rows) > max_rows:
            raise too_many_rows(max_rows)
    if headers is None:
        raise ImportFileError(f"« {filename} » : aucune ligne d'en-tête (il faut au moins deux colonnes).")
    return Table(headers, rows, lines)


def _records(reader, filename):
    """The reader's records; a malformed file (a field over the csv
    module's 128 KB limit, say) refused in French rather than as a 500."""
    try:
        yield from reader
    except csv.Error as error:
        raise ImportFileError(f"« {filename} » : CSV illisible à la ligne {reader.line_num} ({error}).") from None


def check_archive(archive: zipfile.ZipFile, filename: str) -> None:
    """Refuse a zip archive that would unpack beyond the limits, from its
    directory, before any member is read."""
    unpacked = sum(info.file_size for info in archive.infolist())
    packed = sum(info.compress_size for info in archive.infolist())
    if unpacked > MAX_UNZIPPED_BYTES or (unpacked > 1024 * 1024 and unpacked > MAX_ZIP_RATIO * max(packed, 1)):
        raise ImportFileError(
            f"« {filename} » : classeur refusé, il se décompresse en {unpacked / 1e6:.0f} Mo "
            f"pour {packed / 1e6:.1f} Mo compressés (au plus {MAX_UNZIPPED_BYTES / 1e6:.0f} Mo, "
            f"et {MAX_ZIP_RATIO} fois la taille compressée)."
        )


#: Row elements beyond the row limit a sheet may hold (header, title lines,
#: empty formatted rows) before it is refused without parsing.
ROW_SLACK = 1_000


def check_row_count(archive: zipfile.ZipFile, filename: str, max_rows: int) -> None:
    """Refuse a workbook with a sheet of far more rows than the limit by
    counting its ``<row`` elements in the unpacked XML (a C-speed scan,
    under a second for a million rows) before openpyxl parses anything.
    Every sheet counts, not only the first, which is read: a workbook whose
    other sheet is that long is refused too."""
    for info in archive.infolist():
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        rows, tail = 0, b""
        with archive.open(info) as member:
            while chunk := member.read(1 << 20):
                block = tail + chunk
                rows += block.count(b"<row ") + block.count(b"<row>")
                # A tag cut between two chunks is counted with the next one.
                tail = block[-5:]
                rows -= tail.count(b"<row ") + tail.count(b"<row>")
        rows += tail.count(b"<row ") + tail.count(b"<row>")
        if rows > max_rows + ROW_SLACK:
            raise ImportFileError(f"Trop de lignes : {rows} dans le classeur (maximum {max_rows}).")


def read_xlsx_table(data: bytes, filename: str, max_rows=None) -> Table:
    """The first sheet of a workbook, read as a stream (openpyxl read-only):
    the sheet's declared dimension is ignored, so empty rows and columns
    are never widened (a 2 KB file declaring ``A1:XFD1048576`` reads in
    milliseconds), and the row and column limits apply while reading."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(f"« {filename} » est un classeur Excel 97-2003 (.xls) : enregistrez-le au format .xlsx.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        is_workbook = "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        is_workbook = False
    if not is_workbook:
        raise ImportFileError(f"« {filename} » n'est pas un classeur Excel (.xlsx) malgré son extension.")
    check_archive(archive, filename)
    if max_rows is not None:
        check_row_count(archive, filename, max_rows)
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile, OSError) as error:
        raise ImportFileError(f"« {filename} » : classeur illisible ({type(error).__name__}).") from None
    try:
        sheet = workbook.worksheets[0]
        # The dimension is whatever the writer claimed: reading by it pads
        # every row to its width and adds its empty rows.
        sheet.reset_dimensions()
        headers, rows, lines = None, [], []
        title_lines = set()
        for line, record in enumerate(sheet.iter_rows(values_only=True), start=1):
            if len(record) > MAX_COLUMNS:
                record = _trimmed(record, filename, line)
            if not record:
                continue
            record = list(record)
            filled = [cell for cell in record if cell is not None and str(cell).strip()]
            if headers is None:
                if len(filled) >= 2:
                    headers = ["" if cell is None else str(cell).strip() for cell in record]
                elif filled:
                    title_lines.add(str(filled[0]).strip())
                continue
            if not filled:
                continue
            if len(filled) == 1 and str(filled[0]).strip() in title_lines and record[0] == filled[0]:
                continue  # the marking repeated at the bottom of our own exports
            rows.append(record)
            lines.append(line)
            if max_rows is not None and len(rows) > max_rows:
                raise too_many_rows(max_rows)
    finally:
        workbook.close()
    if headers is None:
        raise ImportFileError(f"« {filename} » : aucune ligne d'en-tête dans la première feuille.")
    return Table(headers, rows, lines)


def _trimmed(record, filename, line):
    """A row without its empty cells at the right; refused if still too wide."""
    width = len(record)
    while width and (record[width - 1] is None or not str(record[width - 1]).strip()):
        width -= 1
    if width > MAX_COLUMNS:
        raise ImportFileError(f"« {filename} » : ligne {line} trop large ({width} colonnes, au plus {MAX_COLUMNS}).")
    return record[:width]


def read_geojson_table(data: bytes, filename: str, max_rows=None) -> Table:
    try:
        document = json.loads(_decode(data, filename))
    except (json.JSONDecodeError, ImportFileError):
        raise ImportFileError(f"« {filename} » n'est pas un GeoJSON valide.") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFileError(f"« {filename} » n'est pas une collection d'entités GeoJSON (FeatureCollection).")
    features = document.get("features") or []
    if not isinstance(features, list):
        raise ImportFileError(f"« {filename} » n'est pas une collection d'entités GeoJSON (FeatureCollection).")
    if max_rows is not None and len(features) > max_rows:
        raise too_many_rows(max_rows)
    keys = list(dict.fromkeys(key for feature in features for key in (feature.get("properties") or {})))
    # The geometry becomes two columns the mapping recognises; a property
    # with the same name would be ambiguous, so the geometry wins.
    keys = [key for key in keys if name_key(key) not in ("longitude", "latitude")]
    headers = [*keys, "Longitude", "Latitude"]
    rows, lines = [], []
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        lon = lat = None
        if geometry.get("type") == "Point" and len(geometry.get("coordinates") or []) >= 2:
            lon, lat = geometry["coordinates"][:2]
        elif geometry:
            lon = lat = f"géométrie {geometry.get('type')} (attendu : Point)"
        rows.append([properties.get(key) for key in keys] + [lon, lat])
        lines.append(number)
    return Table(headers, rows, lines)


#: File readers by extension (STYLE habit 10: a registry, not an if-chain).
READERS = {
    "csv": read_csv_table,
    "txt": read_csv_table,
    "xlsx": read_xlsx_table,
    "geojson": read_geojson_table,
    "json": read_geojson_table,
}
