"""Turn a place as agencies write it into a point, a commune and a precision.

A place arrives as WGS84 longitude/latitude, Lambert-93 x/y, an INSEE code, a
commune name (with or without its postal code), a postal code alone, a former
commune, or a street address with its commune. :class:`Geocoder` resolves all
of them offline from the reference data of :mod:`geo.reference`; only street
addresses may go online, to the Base Adresse Nationale (BAN) through geopy's
``BANFrance``, and only when asked to (crossmap works air-gapped).

Every answer is a :class:`Place` whose ``precision`` says how much the point
is worth:

``point``
    coordinates were given;
``address``
    the street address was located by the BAN;
``commune``
    only the commune is known: the point is its centroid.

Whatever cannot be resolved with certainty raises a :class:`GeocodingError`
whose French message can be shown to an analyst as is, and whose
``candidates`` list the communes that might have been meant. The geocoder
suggests, it never guesses: a misspelt name, a shared postal code or
coordinates that read as two places are errors, each carrying the
candidates. Coordinates are read in every way people write them
(:mod:`geo.coordinates`); the reading that falls in the département wins,
and the answer says which one it was.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from geo.coordinates import READING_LABELS, Reading, pair_readings, readings
from geo.crs import LAMBERT93, to_lambert93, to_wgs84
from geo.names import name_key, nearest
from geo.reference import (
    DEPARTEMENT,
    load_communes,
    load_departements,
    load_former_communes,
    load_former_names,
    load_neighbour_communes,
)

__all__ = [
    "Place",
    "Candidate",
    "GeocodingError",
    "PlaceNotFound",
    "AmbiguousPlace",
    "OutsideArea",
    "OutsideDepartement",
    "Geocoder",
    "PRECISIONS",
]

#: From best to worst.
PRECISIONS = ("point", "address", "commune")

#: A misspelling is suggested within this many edits (one for short names).
MAX_SUGGESTION_DISTANCE = 2

#: Minimum BAN score for an address to be trusted.
BAN_MIN_SCORE = 0.5

#: After the BAN failed to answer, do not ask again for this many seconds:
#: an import of 20,000 addresses must not wait 20,000 timeouts.
BAN_RETRY_AFTER = 60.0

_STREET_WORDS = (
    "rue",
    "avenue",
    "av",
    "bd",
    "boulevard",
    "chemin",
    "ch",
    "route",
    "rte",
    "place",
    "pl",
    "impasse",
    "imp",
    "allee",
    "quai",
    "cours",
    "faubourg",
    "fg",
    "lieu dit",
    "lieudit",
    "lotissement",
    "lot",
    "hameau",
    "residence",
    "square",
    "sentier",
    "voie",
    "zone",
    "za",
    "zi",
    "cite",
    "passage",
    "ruelle",
    "promenade",
    "esplanade",
    "rond point",
    "chaussee",
    "parc",
)
# Digits and what separates them, and nothing else: meant as coordinates.
_LOOKS_NUMERIC = re.compile(
    r"^[\s\d.,;:/|()\[\]°º'\"′″+\-NSEWO]*\d[\s.,;/|°'\"]+\d[\s\d.,;:/|()\[\]°º'\"′″+\-NSEWO]*$", re.IGNORECASE
)
_INSEE_PREFIX = re.compile(r"^\s*(?:code\s+)?insee\s*[:=]?\s*(\w{5})\s*$", re.IGNORECASE)
_POSTAL_PREFIX = re.compile(r"^\s*(?:code\s+postal|cp)\s*[:=]?\s*(\d{5})\s*$", re.IGNORECASE)
_FIVE_DIGITS = re.compile(r"^\s*(\d{5})\s*$")
_POSTAL_IN_NAME = re.compile(r"^\s*(?:(?P<before>\d{5})\s+(?P<name1>.+?)|(?P<name2>.+?)\s*\(?(?P<after>\d{5})\)?)\s*$")
_HOUSE_NUMBER = re.compile(r"^\s*\d+\s*(?:bis|ter|quater|[a-d])?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    """A commune that a place may designate."""

    insee: str
    name: str
    departement: str
    postal_codes: tuple[str, ...]

    def label(self) -> str:
        return f"{self.name} ({self.insee})"


@dataclass(frozen=True)
class Place:
    """A resolved place.

    ``understood_as`` says how the text was read (``wgs84``, ``lambert93``,
    ``insee``, ``name``, ``postal_code``, ``address``); ``reading`` how a
    pair of coordinates was read (a key of
    :data:`geo.coordinates.READING_LABELS`: ``latlon``, ``lonlat``, ``dms``,
    ``xy``, ``yx``); ``former_commune`` names the deleted or renamed commune
    the text designated, if any, and ``former_kind`` says which
    (``absorbed`` or ``renamed``); ``outside`` is True for a place beyond
    the département, accepted on request; ``warnings`` are French sentences
    for the analyst (the place is usable, but look).
    """

    lon: float
    lat: float
    x_l93: float
    y_l93: float
    insee: str
    commune: str
    departement: str
    precision: str
    understood_as: str
    former_commune: str | None = None
    address: str | None = None
    warnings: tuple[str, ...] = ()
    reading: str | None = None
    former_kind: str | None = None
    outside: bool = False

    def as_dict(self) -> dict:
        return asdict(self) | {"warnings": list(self.warnings)}


@dataclass(eq=False)
class GeocodingError(ValueError):
    """A place that cannot be resolved with certainty; ``message`` is French."""

    message: str
    candidates: tuple[Candidate, ...] = ()
    kind: ClassVar[str] = "error"

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        return {
            "error": self.kind,
            "message": self.message,
            "candidates": [asdict(candidate) for candidate in self.candidates],
        }


@dataclass(eq=False)
class PlaceNotFound(GeocodingError):
    """Nothing matches; ``candidates`` are close spellings, if any."""

    kind: ClassVar[str] = "not_found"


@dataclass(eq=False)
class AmbiguousPlace(GeocodingError):
    """Several communes match (a shared postal code, a name borne twice)."""

    kind: ClassVar[str] = "ambiguous"


@dataclass(eq=False)
class OutsideArea(GeocodingError):
    """A point beyond Vosges and its neighbouring départements."""

    kind: ClassVar[str] = "outside"


@dataclass(eq=False)
class OutsideDepartement(GeocodingError):
    """A place in a neighbouring département, refused unless the caller
    allows places outside (``allow_outside``); ``fix`` is the place."""

    fix: Place | None = None
    kind: ClassVar[str] = "outside_departement"

    def as_dict(self) -> dict:
        return super().as_dict() | {"fix": self.fix.as_dict() if self.fix else None}


@dataclass
class _Commune:
    insee: str
    name: str
    departement: str
    postal_codes: tuple[str, ...]
    lon: float
    lat: float
    x: float
    y: float

    def candidate(self) -> Candidate:
        return Candidate(self.insee, self.name, self.departement, self.postal_codes)


@dataclass
class _Former:
    code: str
    name: str
    kind: str
    successor: str

    @property
    def renamed(self) -> bool:
        # A commune déléguée may share its code with the commune nouvelle
        # (Bains-les-Bains, 88029): that is a merger, not a new name.
        return self.kind == "former-name" and self.code == self.successor


@dataclass
class _BanState:
    down_since: float | None = None
    cache: dict = field(default_factory=dict)


def parse_number(text) -> float | None:
    """A float from ``text`` written the French or the English way
    (``"6,4497"``, ``"6.4497"``, ``"1 234,5"``); ``None`` if it is not one.

    Examples
    --------
    >>> parse_number("6,4497"), parse_number(" 1 234,5 "), parse_number("abc")
    (6.4497, 1234.5, None)
    """
    if text is None:
        return None
    if isinstance(text, (int, float, np.number)) and not isinstance(text, bool):
        return None if np.isnan(text) else float(text)
    cleaned = str(text).strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return None if np.isnan(value) else value


class Geocoder:
    """Resolve places in a département (Vosges by default), and on request in
    its neighbouring départements.

    Parameters
    ----------
    departement : str, default :data:`geo.reference.DEPARTEMENT`
        The département served. A place in a neighbouring one is refused
        (:class:`OutsideDepartement`) unless a call allows it.
    ban_enabled : bool, default False
        Ask the Base Adresse Nationale for street addresses. Off, an address
        falls back to its commune's centroid with a warning.
    ban_domain, ban_scheme : str
        Where the BAN answers (``api-adresse.data.gouv.fr`` over ``https``);
        tests point them at a fake server on 127.0.0.1.
    ban_timeout : float
        Seconds to wait for the BAN.
    cache_size : int
        Answers kept in memory; an import resolves the same few hundred
        communes again and again.

    Examples
    --------
    >>> geocoder = Geocoder()
    >>> place = geocoder.geocode("Bresse (La)")
    >>> place.insee, place.commune, place.precision
    ('88075', 'La Bresse', 'commune')
    >>> geocoder.geocode("48.1734, 6.4497").commune
    'Épinal'
    """

    def __init__(
        self,
        *,
        departement=DEPARTEMENT,
        ban_enabled=False,
        ban_domain="api-adresse.data.gouv.fr",
        ban_scheme="https",
        ban_timeout=3.0,
        cache_size=100_000,
    ):
        self.departement = departement
        self.ban_enabled = ban_enabled
        self.ban_domain = ban_domain
        self.ban_scheme = ban_scheme
        self.ban_timeout = ban_timeout
        self.cache_size = cache_size
        self._cache: dict = {}
        self._ban = _BanState()
        self._ban_client = None
        # The gazetteer is read-only and costs a second or two to build: one
        # per process, shared by every geocoder.
        self.__dict__.update(_gazetteer())
        self.departement_name = self._departement_names.get(departement, departement)

    # -- public API -------------------------------------------------------

    def geocode(self, text: str, *, allow_outside: bool = False) -> Place:
        """Resolve free text: coordinates, a code, a name or an address.

        Parameters
        ----------
        text : str
            ``"48.1734, 6.4497"``, ``"6,4497 ; 48,1734"``,
            ``"48°10'21\"N 6°26'59\"E"``, ``"956354 6791494"``,
            ``"insee 88160"``, ``"cp 88250"``, ``"Épinal 88000"``,
            ``"12 rue de la Gare, Épinal"``...
        allow_outside : bool, default False
            Accept a place in a neighbouring département (``outside`` is
            then True and a warning says so).

        Returns
        -------
        Place

        Raises
        ------
        GeocodingError
            With a French message and the candidate communes.

        Examples
        --------
        >>> geocoder = Geocoder()
        >>> geocoder.geocode("Remiremont (88200)").insee
        '88383'
        >>> try:
        ...     geocoder.geocode("cp 88200")
        ... except AmbiguousPlace as error:
        ...     len(error.candidates)
        5
        """
        return self._cached(
            ("text", text, allow_outside), lambda: self._inside(self._geocode_text(text), allow_outside)
        )

    def locate(
        self,
        *,
        lon=None,
        lat=None,
        x=None,
        y=None,
        insee=None,
        postal_code=None,
        commune=None,
        address=None,
        coordinates=None,
        allow_outside: bool = False,
    ) -> Place:
        """Resolve a place given in separate fields, as in an agency file.

        The most precise form given wins: coordinates (two columns, or one
        ``coordinates`` column read like :meth:`geocode` text), then a street
        address (with its commune), then the INSEE code, the commune name
        (checked against the postal code if both are given) and the postal
        code.

        Examples
        --------
        >>> Geocoder().locate(commune="ST DIE DES VOSGES", postal_code="88100").insee
        '88413'
        >>> Geocoder().locate(coordinates="48,1725 ; 6,4497").reading
        'latlon'
        """
        fields = tuple(_blank_to_none(v) for v in (lon, lat, x, y, insee, postal_code, commune, address, coordinates))
        return self._cached(
            ("fields", fields, allow_outside), lambda: self._inside(self._locate(*fields), allow_outside)
        )

    def _inside(self, place: Place, allow_outside: bool) -> Place:
        """``place`` if it lies in the département; marked and warned about
        if it lies outside and that is allowed; refused otherwise."""
        if place.departement == self.departement:
            return place
        where = f"{place.commune} ({place.insee}, département {place.departement})"
        if allow_outside:
            return _replace(
                place,
                outside=True,
                warnings=(*place.warnings, f"Lieu hors du département {self.departement_name} accepté : {where}."),
            )
        raise OutsideDepartement(
            f"Lieu hors du département {self.departement_name} : {where}. Acceptez les lieux hors département "
            "(option --allow-outside ou case à cocher) si c'est voulu.",
            candidates=(self._communes[place.insee].candidate(),),
            fix=place,
        )

    def reverse(self, lon: float, lat: float) -> Place:
        """The commune holding a WGS84 point (precision ``point``).

        Raises
        ------
        OutsideArea
            Beyond Vosges and its neighbouring départements.

        Examples
        --------
        >>> Geocoder().reverse(6.1844, 48.6921).commune  # a neighbour
        'Nancy'
        """
        x, y = to_lambert93(lon, lat)
        return self._point_place(lon, lat, x, y, "wgs84")

    def departements_at(self, insee) -> np.ndarray:
        """The département of each INSEE code of :meth:`communes_at`'s
        answer (``None`` stays ``None``).

        Examples
        --------
        >>> Geocoder().departements_at(["88160", "54395", None]).tolist()
        ['88', '54', None]
        """
        return np.array([None if code is None else self._communes[code].departement for code in insee], dtype=object)

    def communes_at(self, x, y) -> np.ndarray:
        """INSEE codes of the communes holding Lambert-93 points, ``None``
        where a point is outside the covered area (vectorised: one spatial
        index query for a whole file).

        Examples
        --------
        >>> Geocoder().communes_at([956354.0, 0.0], [6791494.0, 0.0]).tolist()
        ['88160', None]
        """
        points = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        result = np.full(len(points), None, dtype=object)
        source, target = self._tree.query(points, predicate="intersects")
        # A point on a shared boundary touches two communes; the first wins,
        # reversed assignment keeps the lowest tree index.
        result[source[::-1]] = self._tree_insee[target[::-1]]
        return result

    def commune(self, insee: str) -> Candidate | None:
        found = self._communes.get(insee)
        return found.candidate() if found else None

    # -- caching ----------------------------------------------------------

    def _cached(self, key, compute):
        try:
            outcome = self._cache[key]
        except KeyError:
            try:
                outcome = compute()
            except GeocodingError as error:
                outcome = error
            transient = isinstance(outcome, Place) and any("injoignable" in w for w in outcome.warnings)
            if not transient:
                if len(self._cache) >= self.cache_size:
                    self._cache.clear()
                self._cache[key] = outcome
        if isinstance(outcome, GeocodingError):
            # A cached error raised again would otherwise grow its traceback
            # with every row that repeats the same bad place.
            raise outcome.with_traceback(None)
        return outcome

    # -- free text --------------------------------------------------------

    def _geocode_text(self, text: str) -> Place:
        text = (text or "").strip()
        if not text:
            raise PlaceNotFound("Lieu vide.")
        found = readings(text)
        if found:
            return self._from_readings(found, text)
        if _LOOKS_NUMERIC.match(text) and not _FIVE_DIGITS.match(text):
            raise PlaceNotFound(
                f"Coordonnées illisibles ou ambiguës : « {text} ». Écrivez par exemple « 48,1725 ; 6,4497 », "
                "« 48.1725, 6.4497 », « 48°10'21\"N 6°26'59\"E » ou « 956354 6791494 » (Lambert-93)."
            )
        if match := _INSEE_PREFIX.match(text):
            return self._from_insee(match[1].upper())
        if match := _POSTAL_PREFIX.match(text):
            return self._from_postal(match[1])
        if match := _FIVE_DIGITS.match(text):
            return self._from_bare_code(match[1])
        if "," in text:
            street, _, rest = text.rpartition(",")
            if _looks_like_street(street):
                name, postal = _split_postal(rest)
                commune = self._from_name(name, postal) if name else self._from_postal(postal)
                return self._from_address(street.strip(), commune)
            name, postal = _split_postal(text.replace(",", " "))
            return self._from_name(name, postal) if name else self._from_postal(postal)
        if _looks_like_street(text):
            # "12 rue de la Gare 88000 Épinal": the postal code ends the street.
            match = re.match(r"^(?P<street>.+?)\s+(?P<postal>\d{5})\s+(?P<name>.+)$", text)
            if match:
                commune = self._from_name(match["name"], match["postal"])
                return self._from_address(match["street"], commune)
        name, postal = _split_postal(text)
        return self._from_name(name, postal) if name else self._from_postal(postal)

    def _locate(self, lon, lat, x, y, insee, postal_code, commune, address, coordinates=None) -> Place:
        if coordinates is not None:
            found = readings(coordinates)
            if not found:
                raise PlaceNotFound(
                    f"Coordonnées illisibles ou ambiguës : « {coordinates} ». Écrivez par exemple « 48,1725 ; 6,4497 », "
                    "« 48°10'21\"N 6°26'59\"E » ou « 956354 6791494 » (Lambert-93)."
                )
            return self._from_readings(found, coordinates)
        if lon is not None or lat is not None:
            if lon is None or lat is None:
                raise PlaceNotFound("Coordonnée incomplète : il faut la longitude et la latitude.")
            return self._from_numbers(lon, lat, order="lonlat")
        if x is not None or y is not None:
            if x is None or y is None:
                raise PlaceNotFound("Coordonnée incomplète : il faut X et Y.")
            return self._from_numbers(x, y, order="xy")
        if address is not None:
            if commune is None and insee is None and postal_code is None:
                return self._geocode_text(address)
            return self._from_address(address, self._locate(None, None, None, None, insee, postal_code, commune, None))
        if commune is not None and (found := readings(commune)):
            # Coordinates typed into the place column ("Lieu").
            return self._from_readings(found, commune)
        if insee is not None:
            place = self._from_insee(insee)
            if commune is not None and name_key(commune) not in {
                name_key(place.commune),
                name_key(place.former_commune or ""),
            }:
                place = _with_warning(
                    place,
                    f"Le nom « {commune} » ne correspond pas au code INSEE {insee} ({place.commune}) ; le code INSEE fait foi.",
                )
            return place
        if commune is not None:
            return self._from_name(commune, postal_code)
        if postal_code is not None:
            return self._from_postal(postal_code)
        raise PlaceNotFound("Aucun lieu : ni coordonnées, ni adresse, ni commune.")

    # -- coordinates ------------------------------------------------------

    def _from_numbers(self, first, second, *, order) -> Place:
        a, b = parse_number(first), parse_number(second)
        if a is None or b is None:
            raise PlaceNotFound(f"Coordonnées illisibles : « {first} », « {second} ».")
        if abs(a) <= 360 and abs(b) <= 360 and order == "xy":
            raise PlaceNotFound(f"X/Y en degrés ({a}, {b}) : attendu des mètres Lambert-93.")
        if abs(a) >= 1000 and abs(b) >= 1000 and order == "lonlat":
            raise PlaceNotFound(f"Longitude/latitude hors des bornes ({a}, {b}) : s'agit-il de X/Y Lambert-93 ?")
        found = pair_readings(a, b)
        if not found:
            raise PlaceNotFound(
                f"Coordonnées non reconnues ({a}, {b}) : ni longitude/latitude WGS84, ni X/Y Lambert-93."
            )
        place = self._from_readings(found, f"{first} ; {second}")
        swapped = {"lonlat": "latlon", "xy": "yx"}.get(order)
        if place.reading == swapped:
            columns = "latitude et longitude" if order == "lonlat" else "X et Y"
            place = _with_warning(place, f"Colonnes {columns} inversées : lu comme {READING_LABELS[swapped]}.")
        return place

    def _from_readings(self, found: list[Reading], text: str) -> Place:
        """The place of the one reading of ``text`` that falls in the
        département, else in a neighbouring one; several: ambiguous."""
        places = []
        for reading in found:
            if reading.crs == "wgs84":
                lon, lat = reading.a, reading.b
                x, y = to_lambert93(lon, lat)
            else:
                x, y = reading.a, reading.b
                lon, lat = to_wgs84(x, y)
            insee = self.communes_at([x], [y])[0]
            if insee is not None:
                understood = "wgs84" if reading.crs == "wgs84" else "lambert93"
                places.append(_replace(self._point_place(lon, lat, x, y, understood), reading=reading.form))
        for pool in ([p for p in places if p.departement == self.departement], places):
            if len(pool) == 1:
                return pool[0]
            if len(pool) > 1:
                raise AmbiguousPlace(
                    f"Coordonnées ambiguës : « {text} » se lit "
                    + " ou ".join(f"{READING_LABELS[p.reading]} ({p.commune})" for p in pool)
                    + ". Précisez l'ordre (colonnes Latitude et Longitude, ou lettres N et E).",
                    candidates=tuple(self._communes[p.insee].candidate() for p in pool),
                )
        shown = ", ".join(f"{READING_LABELS[r.form]} {r.a:g} ; {r.b:g}" for r in found)
        raise OutsideArea(
            f"Point hors de la zone couverte ({self.departement_name} et départements voisins) : « {text} » ({shown})."
        )

    def _point_place(self, lon, lat, x, y, understood_as) -> Place:
        insee = self.communes_at([x], [y])[0]
        if insee is None:
            raise OutsideArea(
                f"Point hors de la zone couverte ({self.departement_name} et départements voisins) : longitude {lon:.5f}, latitude {lat:.5f}."
            )
        commune = self._communes[insee]
        return Place(
            float(lon), float(lat), float(x), float(y), insee, commune.name, commune.departement, "point", understood_as
        )

    # -- codes and names --------------------------------------------------

    def _commune_place(self, insee, understood_as, former=None, warnings=()) -> Place:
        commune = self._communes[insee]
        if former is not None and former.renamed:
            warnings = (f"« {former.name} » est l'ancien nom de {commune.name} ({insee}).", *warnings)
        elif former is not None:
            label = former.name or "ancien code"
            warnings = (f"{label} ({former.code}) n'existe plus : rattachée à {commune.name} ({insee}).", *warnings)
        return Place(
            commune.lon,
            commune.lat,
            commune.x,
            commune.y,
            insee,
            commune.name,
            commune.departement,
            "commune",
            understood_as,
            former_commune=f"{former.name} ({former.code})"
            if former and former.name
            else (former.code if former else None),
            former_kind=None if former is None else ("renamed" if former.renamed else "absorbed"),
            warnings=tuple(warnings),
        )

    def _from_insee(self, code) -> Place:
        code = str(code).strip().upper().zfill(5)
        if code in self._communes:
            return self._commune_place(code, "insee")
        if code in self._formers:
            former = self._formers[code]
            return self._commune_place(former.successor, "insee", former=former)
        raise PlaceNotFound(
            f"Code INSEE inconnu dans le département {self.departement_name} et ses voisins : « {code} »."
        )

    def _from_postal(self, code) -> Place:
        code = str(code).strip().zfill(5)
        insees = self._by_postal.get(code, [])
        if len(insees) == 1:
            return self._commune_place(insees[0], "postal_code")
        if not insees:
            raise PlaceNotFound(
                f"Code postal inconnu dans le département {self.departement_name} et ses voisins : « {code} »."
            )
        raise AmbiguousPlace(
            f"Le code postal {code} est partagé par {len(insees)} communes : précisez la commune.",
            candidates=tuple(self._communes[i].candidate() for i in insees),
        )

    def _from_bare_code(self, code) -> Place:
        as_insee = self._communes.get(code)
        as_postal = self._by_postal.get(code, [])
        if as_insee and as_postal and as_postal != [code]:
            raise AmbiguousPlace(
                f"« {code} » est à la fois le code INSEE de {as_insee.name} et un code postal : "
                f"écrivez « insee {code} » ou « cp {code} ».",
                candidates=tuple(self._communes[i].candidate() for i in dict.fromkeys([code, *as_postal])),
            )
        if as_insee or code in self._formers:
            return self._from_insee(code)
        return self._from_postal(code)

    def _from_name(self, name, postal_code=None) -> Place:
        name = str(name).strip()
        postal_code = str(postal_code).strip().zfill(5) if postal_code is not None else None
        key = name_key(name)
        insees = self._by_key.get(key) or self._by_key_without_article.get(_without_article(key), [])
        formers = [] if insees else self._former_by_key.get(key, [])
        if postal_code is not None:
            in_postal = set(self._by_postal.get(postal_code, []))
            if not in_postal:
                raise PlaceNotFound(
                    f"Code postal inconnu dans le département {self.departement_name} et ses voisins : « {postal_code} »."
                )
            matching = [i for i in insees if i in in_postal]
            matching_formers = [f for f in formers if f.successor in in_postal]
            if not matching and not matching_formers:
                suggestions = self._suggest(key, within=in_postal) or [self._communes[i].candidate() for i in in_postal]
                raise PlaceNotFound(
                    f"Aucune commune « {name} » avec le code postal {postal_code}.",
                    candidates=tuple(suggestions),
                )
            insees, formers = matching, matching_formers
        if len(insees) == 1:
            return self._commune_place(insees[0], "name")
        if len(insees) > 1:
            in_departement = [i for i in insees if self._communes[i].departement == self.departement]
            if len(in_departement) == 1:
                others = ", ".join(
                    f"{self._communes[i].name} ({self._communes[i].departement})"
                    for i in insees
                    if i not in in_departement
                )
                return self._commune_place(
                    in_departement[0],
                    "name",
                    warnings=(
                        f"Homonyme hors du département {self.departement_name} ignoré : {others} ; "
                        "précisez le code postal au besoin.",
                    ),
                )
            raise AmbiguousPlace(
                f"Plusieurs communes s'appellent « {name} » : précisez le code postal ou le code INSEE.",
                candidates=tuple(self._communes[i].candidate() for i in insees),
            )
        successors = {f.successor for f in formers}
        if len(successors) > 1:
            # A name borne in several départements: the one served wins.
            here = {f.successor for f in formers if self._communes[f.successor].departement == self.departement}
            if len(here) == 1:
                formers = [f for f in formers if f.successor in here]
                successors = here
        if len(successors) == 1:
            return self._commune_place(formers[0].successor, "name", former=formers[0])
        if len(successors) > 1:
            raise AmbiguousPlace(
                f"Plusieurs anciennes communes s'appelaient « {name} » : précisez le code postal.",
                candidates=tuple(self._communes[s].candidate() for s in sorted(successors)),
            )
        suggestions = self._suggest(key)
        hint = " Vouliez-vous dire : " + ", ".join(c.label() for c in suggestions) + " ?" if suggestions else ""
        raise PlaceNotFound(f"Commune inconnue : « {name} ».{hint}", candidates=tuple(suggestions))

    def _suggest(self, key, within=None, limit=5) -> list[Candidate]:
        """Communes whose current or former name is a few edits away from
        ``key`` (rapidfuzz), those of the département first."""
        allowed = MAX_SUGGESTION_DISTANCE if len(key) > 5 else 1
        scored = []
        for known, distance in nearest(key, self._suggestion_keys, max_distance=allowed, limit=50):
            insees = self._by_key.get(known) or [f.successor for f in self._former_by_key.get(known, [])]
            scored.extend((distance, insee) for insee in insees if within is None or insee in within)
        scored.sort(key=lambda pair: (pair[0], self._communes[pair[1]].departement != self.departement, pair[1]))
        return [self._communes[insee].candidate() for insee in dict.fromkeys(i for _, i in scored)][:limit]

    # -- street addresses -------------------------------------------------

    def _from_address(self, street: str, commune: Place) -> Place:
        street = street.strip()
        if not self.ban_enabled:
            return _with_warning(
                _replace(commune, understood_as="address"),
                f"Géocodeur d'adresses désactivé : « {street} » placée au centre de {commune.commune}.",
            )
        if self._ban.down_since is not None and time.monotonic() - self._ban.down_since < BAN_RETRY_AFTER:
            return self._ban_unreachable(street, commune)
        postal = self._communes[commune.insee].postal_codes
        query = f"{street} {postal[0] if len(postal) == 1 else ''} {commune.commune}".replace("  ", " ")
        try:
            location = self._ban_geocode(query)
        except Exception:  # geopy raises many kinds (timeouts, refused, bad JSON): all mean "not now".
            self._ban.down_since = time.monotonic()
            return self._ban_unreachable(street, commune)
        self._ban.down_since = None
        if location is not None:
            properties = location.raw.get("properties", {})
            citycode = properties.get("citycode")
            same_commune = citycode == commune.insee or (
                citycode in self._formers and self._formers[citycode].successor == commune.insee
            )
            if (
                properties.get("type") in ("housenumber", "street", "locality")
                and same_commune
                and float(properties.get("score", 0)) >= BAN_MIN_SCORE
            ):
                x, y = to_lambert93(location.longitude, location.latitude)
                try:
                    place = self._point_place(location.longitude, location.latitude, x, y, "address")
                except OutsideArea:
                    place = None
                if place is not None:
                    return _replace(
                        place,
                        precision="address",
                        address=properties.get("label") or location.address,
                        former_commune=commune.former_commune,
                        warnings=commune.warnings,
                    )
        return _with_warning(
            _replace(commune, understood_as="address"),
            f"Adresse introuvable dans la Base Adresse Nationale : « {street} » placée au centre de {commune.commune}.",
        )

    def _ban_unreachable(self, street, commune):
        return _with_warning(
            _replace(commune, understood_as="address"),
            f"Géocodeur d'adresses injoignable : « {street} » placée au centre de {commune.commune}.",
        )

    def _ban_geocode(self, query):
        if query in self._ban.cache:
            return self._ban.cache[query]
        if self._ban_client is None:
            from geopy.geocoders import BANFrance

            self._ban_client = BANFrance(
                domain=self.ban_domain, scheme=self.ban_scheme, timeout=self.ban_timeout, user_agent="crossmap"
            )
        location = self._ban_client.geocode(query, exactly_one=True)
        self._ban.cache[query] = location
        return location


@functools.lru_cache(maxsize=None)
def _gazetteer() -> dict:
    """Indexes of the communes of Vosges and its neighbours by INSEE code,
    name key and postal code, and a spatial index of their boundaries in
    Lambert-93."""
    g = SimpleNamespace()
    frame = pd.concat([load_communes(), load_neighbour_communes()], ignore_index=True)
    projected = frame.geometry.to_crs(LAMBERT93)
    centroids = projected.centroid
    # A crescent-shaped commune's centroid may fall outside it; the
    # representative point never does.
    inside = centroids.within(projected)
    points = centroids.where(inside, projected.representative_point())
    lon, lat = to_wgs84(points.x.to_numpy(), points.y.to_numpy())
    g._communes = {}
    g._by_key = {}
    g._by_key_without_article = {}
    g._by_postal = {}
    for i, row in enumerate(frame.itertuples(index=False)):
        commune = _Commune(
            row.insee,
            row.name,
            row.departement,
            tuple(row.postal_codes),
            float(lon[i]),
            float(lat[i]),
            float(points.x.iloc[i]),
            float(points.y.iloc[i]),
        )
        g._communes[commune.insee] = commune
        key = name_key(commune.name)
        g._by_key.setdefault(key, []).append(commune.insee)
        g._by_key_without_article.setdefault(_without_article(key), []).append(commune.insee)
        for code in commune.postal_codes:
            g._by_postal.setdefault(code, []).append(commune.insee)
    g._formers = {}
    g._former_by_key = {}
    for row in load_former_communes().itertuples(index=False):
        if row.successor_code not in g._communes:
            continue
        former = _Former(row.code, row.name, row.type, row.successor_code)
        g._formers.setdefault(row.code, former)
        if row.name:
            g._former_by_key.setdefault(name_key(row.name), []).append(former)
    # Names borne in the 2018 reference and since changed or absorbed
    # ("Capavenir Vosges", the name of 88465 until 2019).
    for row in load_former_names().itertuples(index=False):
        if row.successor_code in g._communes:
            former = _Former(row.code, row.name, "former-name", row.successor_code)
            g._former_by_key.setdefault(name_key(row.name), []).append(former)
    g._suggestion_keys = sorted({*g._by_key, *g._former_by_key})
    g._departement_names = dict(zip(*[load_departements()[c] for c in ("code", "name")]))
    g._tree_insee = frame["insee"].to_numpy()
    g._tree = STRtree(projected.to_numpy())
    return vars(g)


def _blank_to_none(value):
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def _without_article(key: str) -> str:
    first, _, rest = key.partition(" ")
    return rest if first in ("la", "le", "les", "l") and rest else key


def _within(value, bounds) -> bool:
    return bounds[0] <= value <= bounds[1]


def _split_postal(text: str) -> tuple[str, str | None]:
    match = _POSTAL_IN_NAME.match(text)
    if match and not _FIVE_DIGITS.match(text):
        if match["before"]:
            return match["name1"].strip(" ,-"), match["before"]
        return match["name2"].strip(" ,-("), match["after"]
    if _FIVE_DIGITS.match(text):
        return "", text.strip()
    return text.strip(), None


def _looks_like_street(text: str) -> bool:
    if _HOUSE_NUMBER.match(text):
        return True
    key = name_key(text)
    return any(key == word or key.startswith(word + " ") for word in _STREET_WORDS)


def _replace(place: Place, **changes) -> Place:
    from dataclasses import replace

    return replace(place, **changes)


def _with_warning(place: Place, warning: str) -> Place:
    return _replace(place, warnings=(*place.warnings, warning))
