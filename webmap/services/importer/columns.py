"""How agency files name report fields and values, in French and English.

This is file-format data, not interface text: agencies' software writes
``Date des faits``, ``Nature``, ``Résine`` and crossmap must recognise them.
The import maps headers and values through these tables; the spreadsheet
exports write the first French header of each field, so that an export can
be imported back unchanged. Flask-free.
"""

from analysis.vocabulary import Vocabulary
from geo.names import name_key

#: Report fields an agency file may carry, each with the headers that name it
#: (compared through :func:`geo.names.name_key`: case, accents and
#: punctuation do not matter). The first header is the one exports write.
FIELDS = {
    "agency_ref": (
        "Référence",
        "ref",
        "reference",
        "référence agence",
        "n° procédure",
        "numero",
        "numéro",
        "n°",
        "id",
        "identifiant",
        "agency_ref",
        "reference number",
    ),
    "agency": ("Service", "agence", "unité", "unite", "agency", "service saisissant"),
    "observed_at": (
        "Date des faits",
        "date",
        "date heure",
        "date et heure",
        "date/heure",
        "date faits",
        "observed_at",
        "datetime",
        "date of facts",
    ),
    "time": ("Heure", "heure des faits", "time"),
    "category": ("Catégorie", "nature", "type", "category", "nature des faits"),
    "substances": ("Produit", "produits", "substance", "substances", "stupéfiant", "stupefiants", "drogue", "product"),
    "quantity": ("Quantité", "qte", "qté", "quantity", "poids"),
    "unit": ("Unité", "unit", "unite de mesure"),
    "grading": ("Cotation", "grading", "cote", "évaluation"),
    "reliability": ("Fiabilité", "fiabilite de la source", "reliability", "source reliability"),
    "credibility": ("Crédibilité", "credibilite de l information", "credibility", "information credibility"),
    "commune": ("Commune", "ville", "localité", "localite", "city", "town", "municipality", "lieu"),
    "insee": ("Code INSEE", "insee", "code commune", "cog", "insee code"),
    "postal_code": ("Code postal", "cp", "postal code", "zip", "postcode"),
    "address": ("Adresse", "adresse des faits", "voie", "rue", "address", "street"),
    "lat": ("Latitude", "lat", "y wgs84", "latitude wgs84"),
    "lon": ("Longitude", "lon", "lng", "long", "x wgs84", "longitude wgs84"),
    "coordinates": (
        "Coordonnées",
        "coordonnees gps",
        "gps",
        "coords",
        "position",
        "position gps",
        "lat lon",
        "latitude longitude",
        "coordinates",
        "point gps",
        "localisation gps",
    ),
    "x": ("X", "x l93", "x lambert 93", "x lambert93", "coord x", "x_l93"),
    "y": ("Y", "y l93", "y lambert 93", "y lambert93", "coord y", "y_l93"),
    "summary": (
        "Résumé",
        "resume",
        "observations",
        "description",
        "commentaire",
        "commentaires",
        "summary",
        "details",
        "détails",
        "texte",
    ),
    "handling": ("Diffusion", "handling", "code de diffusion", "marquage", "partage", "handling code"),
}

_HEADER_TO_FIELD = {name_key(header): field for field, headers in FIELDS.items() for header in headers}


def field_for_header(header: str) -> str | None:
    """The report field a file header names, or ``None``.

    >>> field_for_header("DATE DES FAITS"), field_for_header("Code Insee"), field_for_header("Couleur")
    ('observed_at', 'insee', None)
    """
    return _HEADER_TO_FIELD.get(name_key(str(header)))


def guess_mapping(headers) -> dict[str, str]:
    """``{header: field}`` for every recognised header, the first header of
    a field winning when two name the same one."""
    mapping, taken = {}, set()
    for header in headers:
        field = field_for_header(header)
        if field and field not in taken:
            mapping[header] = field
            taken.add(field)
    return mapping


#: Values of ``category``: stored code -> words agencies use. Matched by
#: meaning (:class:`analysis.vocabulary.Vocabulary`): "Point de deal",
#: "deal (point)" and "points de deal" are one phrase.
CATEGORY_WORDS = {
    "deal_point": ("Point de deal", "deal", "point de vente", "deal point", "lieu de deal", "point de trafic"),
    "seizure": ("Saisie", "seizure"),
    "arrest": ("Interpellation", "arrestation", "arrest", "garde à vue"),
    "tip": ("Renseignement", "rens", "rensgt", "rgt", "information", "tip"),
    "surveillance": ("Surveillance", "observation", "filature"),
    "other": ("Autre", "divers", "other"),
    # "Trafic" alone used to be read as a deal point; it names a trafficking
    # case, which has a code of its own (see analysis.vocabulary).
    "trafficking": (
        "Trafic de stupéfiants",
        "trafic",
        "trafic de drogue",
        "trafic stups",
        "trafficking",
        "réseau",
        "go fast",
    ),
}

#: Values of ``substances``.
SUBSTANCE_WORDS = {
    "cannabis_resin": (
        "Résine de cannabis",
        "résine",
        "haschich",
        "haschisch",
        "hashish",
        "hasch",
        "hash",
        "shit",
        "pollen",
        "cannabis resin",
        "cannabis_resin",
        "barrette",
        "savonnette",
    ),
    "cannabis_herb": (
        "Herbe de cannabis",
        "herbe",
        "marijuana",
        "marihuana",
        "beuh",
        "weed",
        "skunk",
        "cannabis herb",
        "cannabis_herb",
        "pied de cannabis",
        "plant de cannabis",
        "feuille de cannabis",
    ),
    "cocaine": ("Cocaïne", "coke", "chlorhydrate de cocaïne", "cocaine"),
    "crack": ("Crack", "cocaïne base", "free base", "freebase", "caillou"),
    "heroin": ("Héroïne", "heroin", "hero", "héro", "brown", "brune"),
    "synthetic": (
        "Drogues de synthèse",
        "synthèse",
        "drogue de synthèse",
        "mdma",
        "ecstasy",
        "xtc",
        "amphétamine",
        "speed",
        "méthamphétamine",
        "lsd",
        "kétamine",
        "ghb",
        "cathinone",
        "3 mmc",
        "synthetic",
    ),
    "other": ("Autre", "divers", "other"),
}

#: Values of ``unit``.
UNIT_WORDS = {
    "g": ("g", "gr", "gramme", "grams"),
    "kg": ("kg", "kilo", "kilogramme"),
    "plants": ("pieds", "plant", "pied", "plant de cannabis", "pied de cannabis"),
    "doses": ("doses", "dose", "cachet", "comprimé", "pilule", "pill", "cp"),
    "l": ("l", "litre", "liter"),
}

#: Values of ``handling``: who may see the report in detail.
HANDLING_WORDS = {
    "shared": ("Partagé", "partage cellule", "cellule", "shared", "partagé cross"),
    "restricted": (
        "Restreint",
        "restreint au service",
        "restricted",
        "service seul",
        "diffusion restreinte au service",
    ),
}

#: French labels the spreadsheet exports write for the stored codes.
PRECISION_WORDS = {"point": ("Point exact",), "address": ("Adresse",), "commune": ("Commune seule",)}


#: Where each vocabulary's words are, by the name the configuration's
#: ``VOCABULARY_SYNONYMS`` uses.
WORDS = {"category": CATEGORY_WORDS, "substances": SUBSTANCE_WORDS, "unit": UNIT_WORDS, "handling": HANDLING_WORDS}


def vocabularies(synonyms: dict | None = None) -> dict[str, Vocabulary]:
    """One :class:`~analysis.vocabulary.Vocabulary` per coded field, with
    the configured synonyms (``{"substances": {"came": "heroin"}, ...}``).

    >>> vocabularies({"substances": {"came": "heroin"}})["substances"].match("Came").code
    'heroin'
    """
    synonyms = synonyms or {}
    unknown = sorted(set(synonyms) - set(WORDS))
    if unknown:
        raise ValueError(f"VOCABULARY_SYNONYMS names unknown fields {unknown}; known: {sorted(WORDS)}.")
    return {name: Vocabulary(words, synonyms.get(name)) for name, words in WORDS.items()}


def agency_vocabulary(agencies) -> Vocabulary:
    """The configured agencies (``AGENCIES``) as a vocabulary: code, name
    and ``aliases`` of each, matched by meaning.

    >>> agencies = [{"code": "PN-SP", "name": "Police nationale (DDPN)", "aliases": ["DDPN 88", "CSP Épinal"]}]
    >>> agency_vocabulary(agencies).match("csp d'Epinal").code
    'PN-SP'
    """
    return Vocabulary({agency["code"]: (agency["name"], *agency.get("aliases", ())) for agency in agencies})


#: The vocabularies without configured synonyms.
VOCABULARIES = vocabularies()


def label(words_by_code, code):
    """The French word a spreadsheet export writes for ``code``.

    >>> label(CATEGORY_WORDS, "deal_point")
    'Point de deal'
    """
    return words_by_code[code][0] if code in words_by_code else code
