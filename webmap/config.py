"""Default settings. The instance folder's ``config.py`` and ``CROSSMAP_*``
environment variables override them, in that order (see ``create_app``)."""

# Okabe & Ito's palette: distinguishable with the common colour-vision
# deficiencies, which matters when six agencies share one map.
AGENCIES = [
    {"code": "GN", "name": "Gendarmerie nationale", "colour": "#0072B2"},
    {"code": "PN-SP", "name": "Police nationale – sécurité publique", "colour": "#E69F00"},
    {"code": "PJ", "name": "Police judiciaire", "colour": "#CC79A7"},
    {"code": "PAF", "name": "Police aux frontières", "colour": "#56B4E9"},
    {"code": "DOUANE", "name": "Douane", "colour": "#009E73"},
    {"code": "GIR", "name": "GIR", "colour": "#D55E00"},
]

DEFAULTS = {
    # None means "the SQLite file crossmap.sqlite in the instance folder".
    "DATABASE_URL": None,
    "AGENCIES": AGENCIES,
    "MARKING": "DIFFUSION RESTREINTE",
    "CELL_NAME": "CROSS des Vosges",
    # xyzservices names, e.g. ["GeoportailFrance.plan"]; empty keeps the map
    # air-gapped with the communes as the only basemap.
    "TILE_LAYERS": [],
    "BABEL_DEFAULT_LOCALE": "fr",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
}
