"""How agency files name report fields and values, in French and English.

This is file-format data, not interface text: agencies' software writes
``Date des faits``, ``Nature``, ``Résine`` and crossmap must recognise them.
The import maps headers and values through these tables; the spreadsheet
exports write the first French header of each field, so that an export can
be imported back unchanged. Flask-free.
"""

from geo.names import name_key

#: Report fields an agency file may carry, each with the headers that name it
#: (compared through :func:`geo.names.name_key`: case, accents and
#: punctuation do not matter). The first header is the one exports write.
FIELDS = {
    "agency_ref": ("Référence", "ref", "reference", "référence agence", "n° procédure", "numero", "numéro",
                   "n°", "id", "identifiant", "agency_ref", "reference number"),
    "agency": ("Service", "agence", "unité", "unite", "agency", "service saisissant"),
    "observed_at": ("Date des faits", "date", "date heure", "date et heure", "date/heure", "date faits",
                    "observed_at", "datetime", "date of facts"),
    "time": ("Heure", "heure des faits", "time"),
    "category": ("Catégorie", "nature", "type", "category", "nature des faits"),
    "substances": ("Produit", "produits", "substance", "substances", "stupéfiant", "stupefiants", "drogue",
                   "product"),
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
    "x": ("X", "x l93", "x lambert 93", "x lambert93", "coord x", "x_l93"),
    "y": ("Y", "y l93", "y lambert 93", "y lambert93", "coord y", "y_l93"),
    "summary": ("Résumé", "resume", "observations", "description", "commentaire", "commentaires", "summary",
                "details", "détails", "texte"),
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


#: Values of ``category``: stored code -> words agencies use.
CATEGORY_WORDS = {
    "deal_point": ("Point de deal", "deal", "point deal", "trafic", "point de vente", "deal point"),
    "seizure": ("Saisie", "saisies", "seizure"),
    "arrest": ("Interpellation", "interpellations", "arrestation", "arrest"),
    "tip": ("Renseignement", "rens", "rensgt", "information", "tip"),
    "surveillance": ("Surveillance", "observation", "filature"),
    "other": ("Autre", "autres", "divers", "other"),
}

#: Values of ``substances``.
SUBSTANCE_WORDS = {
    "cannabis_resin": ("Résine de cannabis", "résine", "resine cannabis", "haschich", "haschisch", "hashish",
                       "hasch", "shit", "cannabis resin", "cannabis_resin"),
    "cannabis_herb": ("Herbe de cannabis", "herbe", "cannabis herbe", "marijuana", "beuh", "cannabis herb",
                      "cannabis_herb", "pieds de cannabis"),
    "cocaine": ("Cocaïne", "coke", "cocaine"),
    "crack": ("Crack",),
    "heroin": ("Héroïne", "heroine", "heroin", "hero"),
    "synthetic": ("Drogues de synthèse", "drogue de synthèse", "synthèse", "mdma", "ecstasy", "amphétamines",
                  "amphetamines", "lsd", "kétamine", "ketamine", "synthetic"),
    "other": ("Autre", "autres", "other"),
}

#: Values of ``unit``.
UNIT_WORDS = {
    "g": ("g", "gr", "gramme", "grammes", "grams"),
    "kg": ("kg", "kilo", "kilos", "kilogramme", "kilogrammes"),
    "plants": ("pieds", "plants", "plant", "pied", "plants de cannabis"),
    "doses": ("doses", "dose", "cachets", "comprimés", "comprimes", "pilules", "pills"),
    "l": ("l", "litre", "litres", "liter", "liters"),
}

#: Values of ``handling``: who may see the report in detail.
HANDLING_WORDS = {
    "shared": ("Partagé", "partage cellule", "cellule", "shared", "partagé cross"),
    "restricted": ("Restreint", "restreint au service", "restricted", "service seul", "diffusion restreinte au service"),
}

#: French labels the spreadsheet exports write for the stored codes.
PRECISION_WORDS = {"point": ("Point exact",), "address": ("Adresse",), "commune": ("Commune seule",)}


def _index(words_by_code):
    return {name_key(word): code for code, words in words_by_code.items() for word in (code, *words)}


CATEGORY_INDEX = _index(CATEGORY_WORDS)
SUBSTANCE_INDEX = _index(SUBSTANCE_WORDS)
UNIT_INDEX = _index(UNIT_WORDS)
HANDLING_INDEX = _index(HANDLING_WORDS)


def label(words_by_code, code):
    """The French word a spreadsheet export writes for ``code``.

    >>> label(CATEGORY_WORDS, "deal_point")
    'Point de deal'
    """
    return words_by_code[code][0] if code in words_by_code else code
