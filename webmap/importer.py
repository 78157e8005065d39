"""Import of agency files: read, map columns, validate, geocode, upsert.

Flask-free: the ``crossmap import`` command, the upload pages and the tests
call the same functions with a plain SQLAlchemy ``Session``.

The steps, each its own function so the upload page can stop after the
preview:

1. :func:`read_table` reads a CSV (separator and encoding detected), XLSX or
   GeoJSON file into a :class:`Table`, refusing a file that is not what its
   extension says, too big or too long (:class:`ImportFileError`).
2. :func:`prepare` maps the columns (:mod:`webmap.columns`, or a saved
   profile), validates every row and geocodes it. Each bad row becomes one
   or more :class:`Rejection` (line, column, value, French reason); nothing
   is silently altered.
3. :func:`write` upserts the valid rows in the caller's transaction, keyed on
   (agency, agency reference): new rows are added, changed rows updated with
   their previous version kept in ``report_history``, identical rows left
   alone. With rejections and without ``skip_invalid``, nothing is written.

:func:`import_file` chains the three; :func:`rollback_batch` undoes a batch.
The caller commits: one file, one transaction, so a crash or a kill leaves
the database exactly as it was.
"""

from __future__ import annotations

import codecs
import functools
import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import bindparam, delete, func, insert, literal, select, update

from analysis.vocabulary import RELIABILITIES
from geo.crs import to_lambert93
from geo.geocoder import GeocodingError, parse_number
from geo.names import name_key
from webmap.columns import FIELDS, VOCABULARIES, agency_vocabulary, guess_mapping
from webmap.columns import vocabularies as vocabularies_for
from webmap.models import PARIS, ImportBatch, ImportDecision, ImportProfile, ImportRejection, Report, ReportHistory, now
from webmap.services.importer.decisions import (
    HOW_LABELS,
    Decision,
    group_decisions,
    how_label,
    place_decision,
    value_decision,
)

#: Fields every row needs (a place is needed too, in one of several forms).
REQUIRED = ("agency_ref", "observed_at", "category")
#: Field columns that can carry the place, best first.
PLACE_FIELDS = ("lon", "lat", "x", "y", "coordinates", "address", "insee", "postal_code", "commune")
#: Dates before this need ``allow_before_2000``: most are typing mistakes.
OLDEST_WITHOUT_CONFIRMATION = datetime(2000, 1, 1, tzinfo=PARIS)
#: Excel counts days from 30 December 1899 (its 1900 leap-year bug included).
EXCEL_EPOCH = datetime(1899, 12, 30)
#: Rows written per statement, and between two progress reports.
CHUNK = 5_000
#: Columns a report's content is made of: what the fingerprint covers.
CONTENT_COLUMNS = (
    "agency", "agency_ref", "observed_at", "category", "substances", "quantity", "unit", "reliability",
    "credibility", "summary", "place_text", "x_l93", "y_l93", "lon", "lat", "insee", "precision", "handling",
)


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


# -- reading --------------------------------------------------------------


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
        raise ImportFileError(
            f"Format non pris en charge : « {filename} » (formats acceptés : .csv, .xlsx, .geojson)."
        )
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise ImportFileError(
            f"Fichier trop volumineux : {size / 1e6:.1f} Mo (maximum {max_bytes / 1e6:.1f} Mo)."
        )
    data = path.read_bytes()
    table = READERS[extension](data, filename)
    if max_rows is not None and len(table.rows) > max_rows:
        raise ImportFileError(f"Trop de lignes : {len(table.rows)} (maximum {max_rows}).")
    table.filename = filename
    table.sha256 = hashlib.sha256(data).hexdigest()
    return table


def _decode(data: bytes, filename: str) -> str:
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(f"« {filename} » n'est pas un fichier texte : est-ce bien un CSV ?")
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # French Windows software writes Windows-1252 ("ANSI"); every byte
        # string decodes in it, so it must come last.
        return data.decode("cp1252", errors="replace")


def read_csv_table(data: bytes, filename: str) -> Table:
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
    for record in reader:
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
    if headers is None:
        raise ImportFileError(f"« {filename} » : aucune ligne d'en-tête (il faut au moins deux colonnes).")
    return Table(headers, rows, lines)


def read_xlsx_table(data: bytes, filename: str) -> Table:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(f"« {filename} » est un classeur Excel 97-2003 (.xls) : enregistrez-le au format .xlsx.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        is_workbook = "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        is_workbook = False
    if not is_workbook:
        raise ImportFileError(f"« {filename} » n'est pas un classeur Excel (.xlsx) malgré son extension.")
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        headers, rows, lines = None, [], []
        title_lines = set()
        for line, record in enumerate(sheet.iter_rows(values_only=True), start=1):
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
    finally:
        workbook.close()
    if headers is None:
        raise ImportFileError(f"« {filename} » : aucune ligne d'en-tête dans la première feuille.")
    return Table(headers, rows, lines)


def read_geojson_table(data: bytes, filename: str) -> Table:
    try:
        document = json.loads(_decode(data, filename))
    except (json.JSONDecodeError, ImportFileError):
        raise ImportFileError(f"« {filename} » n'est pas un GeoJSON valide.") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFileError(f"« {filename} » n'est pas une collection d'entités GeoJSON (FeatureCollection).")
    features = document.get("features") or []
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


# -- mapping --------------------------------------------------------------


def resolve_mapping(table: Table, mapping: dict[str, str] | None, agency: str | None) -> dict[str, str]:
    """``{header: field}`` for ``table``: the given mapping (a saved
    profile, or the upload page's choices) or the recognised headers.

    Raises
    ------
    ImportFileError
        When a field every row needs has no column.
    """
    if mapping is None:
        mapping = guess_mapping(table.headers)
    else:
        unknown = [header for header in mapping if header not in table.headers]
        if unknown:
            raise ImportFileError(
                "Colonnes du profil absentes du fichier : " + ", ".join(f"« {h} »" for h in unknown) + "."
            )
        mapping = {header: field_name for header, field_name in mapping.items() if field_name}
    fields = set(mapping.values())
    missing = [field_label(name) for name in REQUIRED if name not in fields]
    if "grading" not in fields and not {"reliability", "credibility"} <= fields:
        missing.append(field_label("grading"))
    if "agency" not in fields and not agency:
        missing.append(field_label("agency") + " (colonne ou option --agency)")
    if not fields & set(PLACE_FIELDS):
        missing.append("Lieu (coordonnées, adresse, commune, code INSEE ou code postal)")
    if missing:
        raise ImportFileError(
            "Colonnes manquantes : " + ", ".join(missing) + ". Colonnes du fichier : "
            + ", ".join(f"« {h} »" for h in table.headers if h) + "."
        )
    return mapping


# -- validation -----------------------------------------------------------


class _Invalid(Exception):
    def __init__(self, reason, field_name=None):
        super().__init__(reason)
        self.reason = reason
        self.field_name = field_name


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return str(value).strip()


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s*(?:à\s*)?(\d{1,2})\s*[:hH]\s*(\d{2})?(?::(\d{2}))?)?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_TIME = re.compile(r"^(\d{1,2})\s*[:hH]\s*(\d{2})?(?::(\d{2}))?$")


def parse_date(value) -> datetime:
    """An aware Europe/Paris datetime from a French date (``25/11/2026
    22:40``), an ISO one, an Excel serial number or a ``datetime``.

    Raises ``ValueError`` with a French message.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=PARIS) if value.tzinfo is None else value.astimezone(PARIS)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=PARIS)
    text = _text(value)
    try:
        if match := _DMY.match(text):
            day, month, year, hour, minute, second = match.groups()
            return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                            tzinfo=PARIS)
        if match := _ISO.match(text):
            year, month, day, hour, minute, second, zone = match.groups()
            moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
            if zone:
                return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(PARIS)
            return moment.replace(tzinfo=PARIS)
    except ValueError:
        raise ValueError(f"date impossible : « {text} »") from None
    serial = parse_number(text)
    if serial is not None and 1 <= serial < 200_000:
        moment = EXCEL_EPOCH + timedelta(days=serial)
        # Excel serials carry float noise: 22:40 comes back as 22:39:59.99.
        moment = (moment + timedelta(seconds=0.5)).replace(microsecond=0)
        return moment.replace(tzinfo=PARIS)
    raise ValueError(f"date illisible : « {text} » (attendu JJ/MM/AAAA HH:MM)")


def _add_time(moment: datetime, value) -> datetime:
    if value is None or _text(value) == "":
        return moment
    if hasattr(value, "hour"):
        return moment.replace(hour=value.hour, minute=value.minute, second=getattr(value, "second", 0))
    text = _text(value)
    fraction = parse_number(text)
    if fraction is not None and 0 <= fraction < 1:  # an Excel time of day
        seconds = round(fraction * 86400)
        return moment.replace(hour=seconds // 3600, minute=seconds % 3600 // 60, second=0)
    match = _TIME.match(text)
    if not match or int(match[1]) > 23 or int(match[2] or 0) > 59:
        raise ValueError(f"heure illisible : « {text} » (attendu HH:MM)")
    return moment.replace(hour=int(match[1]), minute=int(match[2] or 0), second=int(match[3] or 0))


_GRADING = re.compile(r"^([A-Fa-f])\s*[-/ ]?\s*([1-6])$")
_SPLIT_VALUES = re.compile(r"\s*(?:[,;/+|]|\bet\b)\s*")


class _RowValidator:
    def __init__(self, mapping, options, known_agencies, vocabularies=None):
        self.options = options
        self.header_of = {field_name: header for header, field_name in mapping.items()}
        self.vocabularies = vocabularies or VOCABULARIES
        self.agencies = agency_vocabulary(known_agencies)
        self.agency_codes = [agency["code"] for agency in known_agencies]
        # Decisions of the row being read: (field, given, match, stored).
        self.decisions: list[tuple] = []
        self.default_agency = None
        if options.agency:
            match = self.agencies.match(options.agency)
            if match is None or not match.exact:
                raise ImportFileError(
                    f"Service inconnu : « {options.agency} » (services connus : "
                    + ", ".join(self.agency_codes) + ")."
                )
            self.default_agency = match.code

    def column(self, field_name):
        return self.header_of.get(field_name, field_label(field_name))

    def read(self, field_name, text):
        """The code ``text`` means in the vocabulary of ``field_name``, the
        reading noted when it is not written like a known phrase; ``None``
        when it cannot be told."""
        vocabulary = self.agencies if field_name == "agency" else self.vocabularies[field_name]
        match = vocabulary.match(text)
        # Written as the code or its label: nothing to say.
        if match is not None and (not match.exact or name_key(text) not in self._plain_keys(vocabulary, match.code)):
            self.decisions.append((field_name, text, match, match.code))
        return match

    @staticmethod
    @functools.lru_cache(maxsize=256)
    def _plain_keys(vocabulary, code):
        return {name_key(code), name_key(vocabulary.labels[code])}

    def suggestion(self, field_name, text) -> str:
        vocabulary = self.agencies if field_name == "agency" else self.vocabularies[field_name]
        nearest = vocabulary.suggest(text)
        return " Valeurs proches : " + ", ".join(f"« {label} »" for label in nearest) + "." if nearest else ""

    def record(self, values: dict) -> dict:
        """The report fields of one row; raises a list of ``_Invalid``."""
        problems = []
        record = {}

        def check(field_name, parse):
            try:
                record[field_name] = parse(values.get(field_name))
            except _Invalid as problem:
                problem.field_name = problem.field_name or field_name
                problems.append(problem)

        check("agency", self.agency)
        check("agency_ref", self.reference)
        check("observed_at", self.observed_at)
        check("category", self.category)
        check("substances", self.substances)
        check("quantity", self.quantity)
        check("grading", lambda _: self.grading(values))
        check("handling", self.handling)
        # Free text is kept exactly as given; pages escape it, exports
        # neutralise formulas.
        check("summary", lambda value: value if isinstance(value, str) else _text(value))
        if record.get("quantity") is not None:
            check("unit", self.unit)
        elif _text(values.get("unit")):
            problems.append(_Invalid("unité sans quantité", "unit"))
        else:
            record["unit"] = None
        if problems:
            raise _Problems(problems)
        reliability, credibility = record.pop("grading")
        record.update(reliability=reliability, credibility=credibility)
        return record

    def agency(self, value):
        text = _text(value)
        if not text:
            if self.default_agency:
                return self.default_agency
            raise _Invalid("service manquant")
        match = self.read("agency", text)
        if self.default_agency:
            # One agency per file: the pinned one is stored; a row naming
            # another one is a contradiction, a wording we cannot read is not.
            if match is not None and match.code != self.default_agency:
                raise _Invalid(f"service différent de celui annoncé pour le fichier ({self.default_agency})")
            if match is None:
                self.decisions.append(("agency", text, None, self.default_agency))
            return self.default_agency
        if match is None:
            raise _Invalid("service inconnu (services connus : " + ", ".join(self.agency_codes) + ")."
                           + self.suggestion("agency", text))
        return match.code

    @staticmethod
    def reference(value):
        text = _text(value)
        if not text:
            raise _Invalid("référence manquante")
        if len(text) > 64:
            raise _Invalid("référence trop longue (64 caractères au plus)")
        return text

    def observed_at(self, value):
        if value is None or _text(value) == "":
            raise _Invalid("date manquante")
        try:
            moment = parse_date(value)
        except ValueError as error:
            raise _Invalid(str(error)) from None
        return moment

    def category(self, value):
        text = _text(value)
        if not text:
            raise _Invalid("catégorie manquante")
        match = self.read("category", text)
        if match is None:
            raise _Invalid("catégorie inconnue (attendu : point de deal, trafic, saisie, interpellation, "
                           "renseignement, surveillance ou autre)." + self.suggestion("category", text))
        return match.code

    def handling(self, value):
        text = _text(value)
        if not text:
            return "shared"
        match = self.read("handling", text)
        if match is None:
            raise _Invalid("diffusion inconnue (attendu : partagé ou restreint)")
        return match.code

    def substances(self, value):
        text = _text(value)
        if not text:
            return ""
        codes = []
        for part in _SPLIT_VALUES.split(text):
            if not part:
                continue
            match = self.read("substances", part)
            if match is None:
                raise _Invalid(f"produit inconnu : « {part} » (attendu : résine, herbe, cocaïne, crack, héroïne, "
                               "drogues de synthèse ou autre)." + self.suggestion("substances", part))
            if match.code not in codes:
                codes.append(match.code)
        return ",".join(codes)

    @staticmethod
    def quantity(value):
        text = _text(value)
        if not text:
            return None
        number = parse_number(value)
        if number is None:
            raise _Invalid("quantité illisible")
        if number < 0:
            raise _Invalid("quantité négative")
        return number

    def unit(self, value):
        text = _text(value)
        if not text:
            raise _Invalid("unité manquante pour la quantité")
        match = self.read("unit", text)
        if match is None:
            raise _Invalid("unité inconnue (attendu : g, kg, pieds, doses ou l)")
        return match.code

    def grading(self, values):
        if "grading" in self.header_of:
            text = _text(values.get("grading")).upper()
            if not text:
                raise _Invalid("cotation manquante")
            match = _GRADING.match(text)
            if not match:
                raise _Invalid("cotation invalide (attendu une lettre A à F et un chiffre 1 à 6, par ex. B2)")
            return match[1].upper(), int(match[2])
        reliability = _text(values.get("reliability")).upper()
        if reliability not in RELIABILITIES:
            raise _Invalid("fiabilité de la source invalide (attendu A à F)", "reliability")
        credibility = parse_number(values.get("credibility"))
        if credibility not in (1, 2, 3, 4, 5, 6):
            raise _Invalid("crédibilité de l'information invalide (attendu 1 à 6)", "credibility")
        return reliability, int(credibility)


class _Problems(Exception):
    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems


def prepare(table: Table, *, geocoder, known_agencies, options: ImportOptions | None = None,
            progress=None, now_=None, vocabularies=None) -> Prepared:
    """Map, validate and geocode every row of ``table``; write nothing.

    Parameters
    ----------
    table : Table
    geocoder : geo.geocoder.Geocoder
    known_agencies : list of dict
        The configured agencies (``{"code", "name", ...}``).
    options : ImportOptions
    progress : callable, optional
        ``progress(stage, done, total)``, called every few thousand rows.
    vocabularies : dict, optional
        :func:`webmap.columns.vocabularies` with the configured synonyms.
    """
    options = options or ImportOptions()
    now_ = now_ or now()
    mapping = resolve_mapping(table, options.mapping, options.agency)
    validator = _RowValidator(mapping, options, known_agencies, vocabularies)
    index_of = {field_name: table.headers.index(header) for header, field_name in mapping.items()}
    rejections: list[Rejection] = []
    rejected_lines: set[int] = set()
    candidates = []  # (line, record, place values)
    seen_refs: dict[tuple[str, str], int] = {}
    total = len(table.rows)

    def reject(line, field_name, value, reason):
        rejections.append(Rejection(line, validator.column(field_name), _text(value), reason))
        rejected_lines.add(line)

    for number, (row, line) in enumerate(zip(table.rows, table.lines)):
        if progress and number % CHUNK == 0:
            progress("validation", number, total)
        values = {field_name: (row[i] if i < len(row) else None) for field_name, i in index_of.items()}
        validator.decisions.clear()
        try:
            record = validator.record(values)
        except _Problems as problems:
            for problem in problems.problems:
                reject(line, problem.field_name, values.get(problem.field_name), problem.reason)
            continue
        try:
            if "time" in values:
                record["observed_at"] = _add_time(record["observed_at"], values["time"])
        except ValueError as error:
            reject(line, "time", values["time"], str(error))
            continue
        if record["observed_at"] > now_ + timedelta(minutes=5):
            reject(line, "observed_at", values["observed_at"], "date dans le futur")
            continue
        if record["observed_at"] < OLDEST_WITHOUT_CONFIRMATION and not options.allow_before_2000:
            reject(line, "observed_at", values["observed_at"],
                   "date antérieure à 2000 : à confirmer (option --allow-before-2000 ou case à cocher)")
            continue
        key = (record["agency"], record["agency_ref"])
        if key in seen_refs:
            reject(line, "agency_ref", values.get("agency_ref"),
                   f"référence en double dans le fichier (déjà ligne {seen_refs[key]})")
            continue
        seen_refs[key] = line
        place = {name: values.get(name) for name in PLACE_FIELDS if name in values}
        decisions = [_value_decision(line, *decision) for decision in validator.decisions]
        candidates.append((line, record, place, decisions))
    if progress:
        progress("validation", total, total)

    records, warnings, decisions = _geocode_all(candidates, geocoder, reject, progress, options.allow_outside)
    rejections.sort(key=lambda r: r.line)
    return Prepared(records, rejections, rejected_lines, warnings, mapping, total, decisions)


def _value_decision(line, field_name, given, match, stored) -> Decision:
    if match is None:  # an unreadable agency in a file pinned to one
        return Decision(line, field_name, given, ("pinned",), stored,
                        f"Service « {given} » non reconnu : service du fichier retenu ({stored}).")
    return value_decision(line, field_name, given, match, stored)


def _place_text(place: dict) -> str:
    if _text(place.get("coordinates")):
        return _text(place["coordinates"])
    parts = []
    if _text(place.get("address")):
        parts.append(_text(place["address"]))
    commune = " ".join(p for p in (_text(place.get("postal_code")), _text(place.get("commune"))) if p)
    if commune:
        parts.append(commune)
    if _text(place.get("insee")):
        parts.append("INSEE " + _text(place["insee"]))
    if not parts and (_text(place.get("lon")) or _text(place.get("lat"))):
        parts.append(f"{_text(place.get('lon'))} ; {_text(place.get('lat'))}")
    if not parts and (_text(place.get("x")) or _text(place.get("y"))):
        parts.append(f"X {_text(place.get('x'))} ; Y {_text(place.get('y'))}")
    return ", ".join(parts)


def _geocode_all(candidates, geocoder, reject, progress, allow_outside=False):
    """Geocode the validated rows: coordinates in one vectorised spatial
    query, the other forms one by one through the geocoder's cache.

    Returns the records, the warnings (one line per kind) and the decisions
    of the rows kept."""
    records, warnings, decisions = [], [], []
    lon = np.full(len(candidates), np.nan)
    lat = np.full(len(candidates), np.nan)
    for i, (_, _, place, _) in enumerate(candidates):
        a, b = parse_number(place.get("lon")), parse_number(place.get("lat"))
        if a is not None and b is not None:
            lon[i], lat[i] = a, b
    has_point = ~np.isnan(lon)
    insee = np.full(len(candidates), None, dtype=object)
    x = np.full(len(candidates), np.nan)
    y = np.full(len(candidates), np.nan)
    if has_point.any():
        x[has_point], y[has_point] = to_lambert93(lon[has_point], lat[has_point])
        insee[has_point] = geocoder.communes_at(x[has_point], y[has_point])
        # Points outside the département, or that fall nowhere in the stated
        # order, go through the geocoder, which knows what to do with them.
        outside = geocoder.departements_at(insee) != geocoder.departement
        insee[outside] = None
    total = len(candidates)
    warned = {}
    for i, (line, record, place, row_decisions) in enumerate(candidates):
        if progress and i % CHUNK == 0:
            progress("géocodage", i, total)
        if insee[i] is not None:
            located = dict(lon=float(lon[i]), lat=float(lat[i]), x_l93=float(x[i]), y_l93=float(y[i]),
                           insee=insee[i], precision="point")
        else:
            try:
                result = geocoder.locate(**{name: place.get(name) for name in PLACE_FIELDS}, allow_outside=allow_outside)
            except GeocodingError as error:
                column = _place_column(place)
                reject(line, column, "" if column is None else place.get(column), error.message)
                continue
            located = dict(lon=result.lon, lat=result.lat, x_l93=result.x_l93, y_l93=result.y_l93,
                           insee=result.insee, precision=result.precision)
            row_decisions = [*row_decisions, place_decision(line, _place_text(place), result)]
            for warning in result.warnings:
                # Address fallbacks repeat for thousands of rows: one line each
                # kind, with the count and the first line.
                kind = warning.split(":")[0]
                if kind not in warned:
                    warned[kind] = [0, line, warning]
                warned[kind][0] += 1
        record.update(located, place_text=_place_text(place))
        record["content_hash"] = content_hash(record)
        record["_line"] = line
        records.append(record)
        decisions.extend(row_decisions)
    for count, line, example in warned.values():
        warnings.append(f"{count} ligne(s), dont la ligne {line} : {example}")
    if progress:
        progress("géocodage", total, total)
    return records, warnings, decisions


def _place_column(place: dict):
    for name in PLACE_FIELDS:
        if _text(place.get(name)):
            return name
    return "commune" if "commune" in place else next(iter(place), None)


def content_hash(record: dict) -> str:
    """Fingerprint of a report's content (see :data:`CONTENT_COLUMNS`)."""
    parts = []
    for column in CONTENT_COLUMNS:
        value = record.get(column)
        if isinstance(value, datetime):
            value = value.astimezone(PARIS).isoformat()
        elif isinstance(value, float):
            # Centimetres and 1e-7 degrees: below that, float noise.
            value = f"{value:.7f}"
        parts.append("" if value is None else str(value))
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


# -- writing --------------------------------------------------------------


def write(session, prepared: Prepared, table: Table, options: ImportOptions, progress=None) -> ImportResult:
    """Upsert ``prepared`` in ``session`` as one new batch (not committed).

    With rejections and without ``options.skip_invalid`` nothing is
    written and ``written`` is False.
    """
    result = ImportResult(batch_id=None, total_rows=prepared.total_rows, rejected=len(prepared.rejected_lines),
                          rejections=prepared.rejections, warnings=prepared.warnings, decisions=prepared.decisions)
    if prepared.rejections and not options.skip_invalid:
        return result
    batch = ImportBatch(kind="file", filename=table.filename, sha256=table.sha256, created_by=options.created_by,
                        agency=options.agency, profile=options.profile, rejected=result.rejected)
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
        session.execute(insert(table_), new[start:start + CHUNK])
        done += len(new[start:start + CHUNK])
    history = ReportHistory.__table__
    copied = [c.name for c in history.columns if c.name in table_.c and c.name != "id"]
    for start in range(0, len(changed), CHUNK):
        if progress:
            progress("enregistrement", done, total)
        chunk = changed[start:start + CHUNK]
        ids = [row["_id"] for row in chunk]
        # Copy the stored version as is (raw UTC timestamps included) before
        # overwriting it.
        session.execute(
            insert(history).from_select(
                ["report_id", "superseded_by", "superseded_at", *[c for c in copied if c != "report_id"]],
                select(table_.c.id, literal(batch.id), literal(imported_at, history.c.superseded_at.type),
                       *[table_.c[c] for c in copied if c != "report_id"]).where(table_.c.id.in_(ids)),
            )
        )
        _update_by_id(session, table_, chunk)
        done += len(chunk)
    if progress:
        progress("enregistrement", total, total)
    if prepared.decisions:
        session.execute(insert(ImportDecision.__table__),
                        [dict(group, batch_id=batch.id) for group in group_decisions(prepared.decisions)])
    if prepared.rejections:
        session.execute(
            insert(ImportRejection.__table__),
            [dict(batch_id=batch.id, line=r.line, column=r.column, value=r.value, reason=r.reason)
             for r in prepared.rejections],
        )
    batch.added, batch.updated, batch.unchanged = len(new), len(changed), result.unchanged
    session.flush()
    result.batch_id = batch.id
    result.added, result.updated = len(new), len(changed)
    result.written = True
    return result


def _update_by_id(session, table, rows):
    """Executemany ``UPDATE table SET ... WHERE id = row["_id"]``."""
    # A bind parameter may not share its column's name in an UPDATE.
    columns = [c for c in rows[0] if c != "_id"]
    statement = update(table).where(table.c.id == bindparam("_id")).values({c: bindparam("v_" + c) for c in columns})
    session.execute(statement, [{"_id": row["_id"], **{"v_" + c: row[c] for c in columns}} for row in rows])


def import_file(session, path, *, geocoder, known_agencies, options: ImportOptions | None = None, filename=None,
                progress=None, vocabularies=None) -> ImportResult:
    """Read, validate, geocode and upsert one file in ``session``; the
    caller commits (or rolls back). See the module docstring."""
    options = options or ImportOptions()
    if options.profile and options.mapping is None:
        profile = get_profile(session, options.profile)
        options.mapping = profile["mapping"]
        options.agency = options.agency or profile["agency"]
    if progress:
        progress("lecture", 0, 1)
    table = read_table(path, filename=filename, max_bytes=options.max_bytes, max_rows=options.max_rows)
    prepared = prepare(table, geocoder=geocoder, known_agencies=known_agencies, options=options, progress=progress,
                       vocabularies=vocabularies)
    return write(session, prepared, table, options, progress=progress)


# -- batches --------------------------------------------------------------


class BatchError(ValueError):
    """A batch that cannot be rolled back; the message is French."""


def list_batches(session, limit=200) -> list[ImportBatch]:
    return list(session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)))


def batch_rejections(session, batch_id) -> list[Rejection]:
    rows = session.scalars(
        select(ImportRejection).where(ImportRejection.batch_id == batch_id).order_by(ImportRejection.line, ImportRejection.id)
    )
    return [Rejection(r.line, r.column, r.value, r.reason) for r in rows]


def batch_decisions(session, batch_id) -> list[ImportDecision]:
    """What a batch decided, folded by identical decision, in file order."""
    return list(session.scalars(
        select(ImportDecision).where(ImportDecision.batch_id == batch_id).order_by(ImportDecision.first_line,
                                                                                    ImportDecision.id)
    ))


def rollback_batch(session, batch_id: int, user: str | None = None) -> dict:
    """Undo a batch: delete the reports it added, put back the versions of
    those it updated. Refused when a later batch changed its reports again
    (roll that one back first). The caller commits.

    Returns
    -------
    dict
        ``{"removed": n, "restored": m}``.
    """
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
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
    versions = session.execute(
        select(history.c.report_id, *[history.c[c] for c in copied if c != "report_id"]).where(
            history.c.superseded_by == batch_id
        )
    ).mappings().all()
    # Raw values round-trip: read through the typed columns, written back
    # through them.
    restored = [dict(version, _id=version["report_id"]) for version in versions]
    for row in restored:
        row.pop("report_id")
    if restored:
        _update_by_id(session, reports, restored)
        session.execute(delete(history).where(history.c.superseded_by == batch_id))
    removed = session.execute(delete(reports).where(reports.c.batch_id == batch_id)).rowcount
    batch.rolled_back_at = now()
    batch.rolled_back_by = user
    session.flush()
    return {"removed": removed, "restored": len(restored)}


# -- profiles -------------------------------------------------------------


def import_and_commit(session, path, *, save_profile_as=None, profile_mapping=None, **kwargs) -> ImportResult:
    """:func:`import_file`, then commit what it wrote (and, on request, save
    the column mapping as a named profile) or roll everything back: the file
    is imported whole or not at all."""
    try:
        result = import_file(session, path, **kwargs)
        if result.written and save_profile_as:
            options = kwargs.get("options") or ImportOptions()
            save_profile(session, save_profile_as, profile_mapping or options.mapping, options.agency, options.created_by)
        if result.written:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    return result


def save_profile(session, name: str, mapping: dict[str, str], agency: str | None = None, user: str | None = None):
    """Save (or replace) a named column mapping. The caller commits."""
    name = name.strip()
    if not name:
        raise ImportFileError("Nom de profil vide.")
    unknown = sorted({f for f in mapping.values() if f and f not in FIELDS})
    if unknown:
        raise ImportFileError("Champs inconnus dans le profil : " + ", ".join(unknown) + ".")
    profile = session.scalar(select(ImportProfile).where(ImportProfile.name == name))
    if profile is None:
        profile = ImportProfile(name=name)
        session.add(profile)
    profile.mapping = json.dumps(mapping, ensure_ascii=False)
    profile.agency = agency
    profile.created_by = user
    profile.created_at = now()
    session.flush()
    return profile


def get_profile(session, name: str) -> dict:
    profile = session.scalar(select(ImportProfile).where(ImportProfile.name == name))
    if profile is None:
        known = ", ".join(session.scalars(select(ImportProfile.name).order_by(ImportProfile.name))) or "aucun"
        raise ImportFileError(f"Profil d'import inconnu : « {name} » (profils enregistrés : {known}).")
    return {"name": profile.name, "agency": profile.agency, "mapping": json.loads(profile.mapping)}


def list_profiles(session) -> list[dict]:
    return [
        {"name": p.name, "agency": p.agency, "mapping": json.loads(p.mapping), "created_at": p.created_at}
        for p in session.scalars(select(ImportProfile).order_by(ImportProfile.name))
    ]


# -- error file -----------------------------------------------------------


def rejections_csv(rejections) -> bytes:
    """The rejected rows as a CSV for French Excel (``;``, UTF-8 with BOM),
    text neutralised against formula injection."""
    from webmap.exporter import neutralize

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Ligne", "Colonne", "Valeur", "Motif"])
    for r in rejections:
        writer.writerow([r.line, neutralize(r.column), neutralize(r.value), neutralize(r.reason)])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


# -- configuration --------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _geocoder(departement, enabled, domain, scheme, timeout):
    from geo.geocoder import Geocoder

    return Geocoder(departement=departement, ban_enabled=enabled, ban_domain=domain, ban_scheme=scheme,
                    ban_timeout=timeout)


def geocoder_from_config(config) -> "Geocoder":
    """The geocoder the ``DEPARTEMENT`` and ``GEOCODER_BAN_*`` settings
    describe, one per process and settings (its cache then serves every
    import)."""
    from geo.reference import DEPARTEMENT

    return _geocoder(config.get("DEPARTEMENT", DEPARTEMENT), bool(config.get("GEOCODER_BAN_ENABLED")),
                     config.get("GEOCODER_BAN_DOMAIN"), config.get("GEOCODER_BAN_SCHEME", "https"),
                     float(config.get("GEOCODER_BAN_TIMEOUT", 3.0)))


@functools.lru_cache(maxsize=8)
def _vocabularies(synonyms_json):
    return vocabularies_for(json.loads(synonyms_json))


def vocabularies_from_config(config) -> dict:
    """The vocabularies with the ``VOCABULARY_SYNONYMS`` setting, built once
    per process and setting."""
    return _vocabularies(json.dumps(config.get("VOCABULARY_SYNONYMS") or {}, sort_keys=True, ensure_ascii=False))


def delete_profile(session, name: str) -> bool:
    return session.execute(delete(ImportProfile).where(ImportProfile.name == name)).rowcount > 0


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


def preview_file(path, *, filename, geocoder, known_agencies, options: ImportOptions, session=None,
                 rows=10, show="all", vocabularies=None) -> Preview:
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
    table = read_table(path, filename=filename, max_bytes=options.max_bytes, max_rows=options.max_rows)
    first_rows = [[_text(cell) for cell in row] for row in table.rows[:rows]]
    try:
        prepared = prepare(table, geocoder=geocoder, known_agencies=known_agencies, options=options,
                           vocabularies=vocabularies)
    except ImportFileError as error:
        mapping = options.mapping if options.mapping is not None else guess_mapping(table.headers)
        return Preview(table.headers, first_rows, mapping, len(table.rows), 0, [], 0, [], error=str(error))
    preview = Preview(table.headers, first_rows, prepared.mapping, len(table.rows), len(prepared.records),
                      prepared.rejections, len(prepared.rejected_lines), prepared.warnings, shown=show)
    every_row = preview_rows(prepared, geocoder)
    preview.approximate_rows = sum(row.approximate for row in every_row)
    preview.decided_rows = sum(bool(row.decisions) for row in every_row)
    keep = {"all": lambda row: True, "approximations": lambda row: row.approximate,
            "rejections": lambda row: bool(row.rejections)}[show]
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
            row.place_stored = f"{commune.name if commune else ''} ({record['insee']}), {record['lat']:.5f} ; {record['lon']:.5f}"
    for rejection in prepared.rejections:
        rows.setdefault(rejection.line, PreviewRow(rejection.line)).rejections.append(rejection)
    return [rows[line] for line in sorted(rows)]
