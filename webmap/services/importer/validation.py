"""Checking and geocoding every row: each bad row becomes one or more rejections (line, column, value, French reason); nothing is silently altered."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from datetime import date, datetime, timedelta

import numpy as np

from analysis.vocabulary import RELIABILITIES
from geo.crs import to_lambert93
from geo.geocoder import Geocoder, GeocodingError, parse_number
from geo.names import name_key
from webmap.db.models import (
    PARIS,
    now,
)
from webmap.services.importer.base import (
    CHUNK,
    CONTENT_COLUMNS,
    EXCEL_EPOCH,
    OLDEST_ACCEPTED,
    OLDEST_WITHOUT_CONFIRMATION,
    PLACE_FIELDS,
    ImportFileError,
    ImportOptions,
    Prepared,
    Rejection,
    Table,
    field_label,
)
from webmap.services.importer.columns import VOCABULARIES, agency_vocabulary
from webmap.services.importer.columns import vocabularies as vocabularies_for
from webmap.services.importer.decisions import Decision, place_decision, value_decision
from webmap.services.importer.mapping import resolve_mapping


class _Invalid(Exception):
    def __init__(self, reason, field_name=None):
        super().__init__(reason)
        self.reason = reason
        self.field_name = field_name


def cell_text(value) -> str:
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
    text = cell_text(value)
    try:
        if match := _DMY.match(text):
            day, month, year, hour, minute, second = match.groups()
            return datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=PARIS
            )
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
    if value is None or cell_text(value) == "":
        return moment
    if hasattr(value, "hour"):
        return moment.replace(hour=value.hour, minute=value.minute, second=getattr(value, "second", 0))
    text = cell_text(value)
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
                    f"Service inconnu : « {options.agency} » (services connus : " + ", ".join(self.agency_codes) + ")."
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
        check("summary", lambda value: value if isinstance(value, str) else cell_text(value))
        if record.get("quantity") is not None:
            check("unit", self.unit)
        elif cell_text(values.get("unit")):
            problems.append(_Invalid("unité sans quantité", "unit"))
        else:
            record["unit"] = None
        if problems:
            raise _Problems(problems)
        reliability, credibility = record.pop("grading")
        record.update(reliability=reliability, credibility=credibility)
        return record

    def agency(self, value):
        text = cell_text(value)
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
            raise _Invalid(
                "service inconnu (services connus : "
                + ", ".join(self.agency_codes)
                + ")."
                + self.suggestion("agency", text)
            )
        return match.code

    @staticmethod
    def reference(value):
        text = cell_text(value)
        if not text:
            raise _Invalid("référence manquante")
        if len(text) > 64:
            raise _Invalid("référence trop longue (64 caractères au plus)")
        return text

    def observed_at(self, value):
        if value is None or cell_text(value) == "":
            raise _Invalid("date manquante")
        try:
            moment = parse_date(value)
        except ValueError as error:
            raise _Invalid(str(error)) from None
        return moment

    def category(self, value):
        text = cell_text(value)
        if not text:
            raise _Invalid("catégorie manquante")
        match = self.read("category", text)
        if match is None:
            raise _Invalid(
                "catégorie inconnue (attendu : point de deal, trafic, saisie, interpellation, "
                "renseignement, surveillance ou autre)." + self.suggestion("category", text)
            )
        return match.code

    def handling(self, value):
        text = cell_text(value)
        if not text:
            return "shared"
        match = self.read("handling", text)
        if match is None:
            raise _Invalid("diffusion inconnue (attendu : partagé ou restreint)")
        return match.code

    def substances(self, value):
        text = cell_text(value)
        if not text:
            return ""
        codes = []
        for part in _SPLIT_VALUES.split(text):
            if not part:
                continue
            match = self.read("substances", part)
            if match is None:
                raise _Invalid(
                    f"produit inconnu : « {part} » (attendu : résine, herbe, cocaïne, crack, héroïne, "
                    "drogues de synthèse ou autre)." + self.suggestion("substances", part)
                )
            if match.code not in codes:
                codes.append(match.code)
        return ",".join(codes)

    @staticmethod
    def quantity(value):
        text = cell_text(value)
        if not text:
            return None
        number = parse_number(value)
        if number is None:
            raise _Invalid("quantité illisible")
        if number < 0:
            raise _Invalid("quantité négative")
        return number

    def unit(self, value):
        text = cell_text(value)
        if not text:
            raise _Invalid("unité manquante pour la quantité")
        match = self.read("unit", text)
        if match is None:
            raise _Invalid("unité inconnue (attendu : g, kg, pieds, doses ou l)")
        return match.code

    def grading(self, values):
        if "grading" in self.header_of:
            text = cell_text(values.get("grading")).upper()
            if not text:
                raise _Invalid("cotation manquante")
            match = _GRADING.match(text)
            if not match:
                raise _Invalid("cotation invalide (attendu une lettre A à F et un chiffre 1 à 6, par ex. B2)")
            return match[1].upper(), int(match[2])
        reliability = cell_text(values.get("reliability")).upper()
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


def prepare(
    table: Table,
    *,
    geocoder,
    known_agencies,
    options: ImportOptions | None = None,
    progress=None,
    now_=None,
    vocabularies=None,
) -> Prepared:
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
        rejections.append(Rejection(line, validator.column(field_name), cell_text(value), reason))
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
        if record["observed_at"] < OLDEST_ACCEPTED:
            reject(line, "observed_at", values["observed_at"], "date antérieure à 1900 : impossible, même confirmée")
            continue
        if record["observed_at"] < OLDEST_WITHOUT_CONFIRMATION and not options.allow_before_2000:
            reject(
                line,
                "observed_at",
                values["observed_at"],
                "date antérieure à 2000 : à confirmer (option --allow-before-2000 ou case à cocher)",
            )
            continue
        key = (record["agency"], record["agency_ref"])
        if key in seen_refs:
            reject(
                line,
                "agency_ref",
                values.get("agency_ref"),
                f"référence en double dans le fichier (déjà ligne {seen_refs[key]})",
            )
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
        return Decision(
            line,
            field_name,
            given,
            ("pinned",),
            stored,
            f"Service « {given} » non reconnu : service du fichier retenu ({stored}).",
        )
    return value_decision(line, field_name, given, match, stored)


def _place_text(place: dict) -> str:
    if cell_text(place.get("coordinates")):
        return cell_text(place["coordinates"])
    parts = []
    if cell_text(place.get("address")):
        parts.append(cell_text(place["address"]))
    commune = " ".join(p for p in (cell_text(place.get("postal_code")), cell_text(place.get("commune"))) if p)
    if commune:
        parts.append(commune)
    if cell_text(place.get("insee")):
        parts.append("INSEE " + cell_text(place["insee"]))
    if not parts and (cell_text(place.get("lon")) or cell_text(place.get("lat"))):
        parts.append(f"{cell_text(place.get('lon'))} ; {cell_text(place.get('lat'))}")
    if not parts and (cell_text(place.get("x")) or cell_text(place.get("y"))):
        parts.append(f"X {cell_text(place.get('x'))} ; Y {cell_text(place.get('y'))}")
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
    # The geocoder answers the same place again and again: read it once.
    read_as: dict = {}
    for i, (line, record, place, row_decisions) in enumerate(candidates):
        if progress and i % CHUNK == 0:
            progress("géocodage", i, total)
        if insee[i] is not None:
            located = dict(
                lon=float(lon[i]),
                lat=float(lat[i]),
                x_l93=float(x[i]),
                y_l93=float(y[i]),
                insee=insee[i],
                precision="point",
            )
        else:
            try:
                result = geocoder.locate(
                    **{name: place.get(name) for name in PLACE_FIELDS}, allow_outside=allow_outside
                )
            except GeocodingError as error:
                column = _place_column(place)
                reject(line, column, "" if column is None else place.get(column), error.message)
                continue
            located = dict(
                lon=result.lon,
                lat=result.lat,
                x_l93=result.x_l93,
                y_l93=result.y_l93,
                insee=result.insee,
                precision=result.precision,
            )
            place_text = _place_text(place)
            t = read_as.get((place_text, result))
            if t is None:
                t = read_as[(place_text, result)] = place_decision(0, place_text, result)
            row_decisions = [*row_decisions, Decision(line, t.field, t.given, t.how, t.stored, t.note)]
            for warning in result.warnings:
                # Address fallbacks repeat for thousands of rows: one line each
                # kind, with the count and the first line.
                kind = warning.split(":")[0]
                if kind not in warned:
                    warned[kind] = [0, line, warning]
                warned[kind][0] += 1
        record.update(located, place_text=place_text if insee[i] is None else _place_text(place))
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
        if cell_text(place.get(name)):
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


# -- configuration --------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _geocoder(departement, enabled, domain, scheme, timeout):
    from geo.geocoder import Geocoder

    return Geocoder(
        departement=departement, ban_enabled=enabled, ban_domain=domain, ban_scheme=scheme, ban_timeout=timeout
    )


def geocoder_from_config(config) -> "Geocoder":
    """The geocoder the ``DEPARTEMENT`` and ``GEOCODER_BAN_*`` settings
    describe, one per process and settings (its cache then serves every
    import)."""
    from geo.reference import DEPARTEMENT

    return _geocoder(
        config.get("DEPARTEMENT", DEPARTEMENT),
        bool(config.get("GEOCODER_BAN_ENABLED")),
        config.get("GEOCODER_BAN_DOMAIN"),
        config.get("GEOCODER_BAN_SCHEME", "https"),
        float(config.get("GEOCODER_BAN_TIMEOUT", 3.0)),
    )


@functools.lru_cache(maxsize=8)
def _vocabularies(synonyms_json):
    return vocabularies_for(json.loads(synonyms_json))


def vocabularies_from_config(config) -> dict:
    """The vocabularies with the ``VOCABULARY_SYNONYMS`` setting, built once
    per process and setting."""
    return _vocabularies(json.dumps(config.get("VOCABULARY_SYNONYMS") or {}, sort_keys=True, ensure_ascii=False))
