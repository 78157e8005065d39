"""Default settings. The instance folder's ``config.py`` and ``CROSSMAP_*``
environment variables override them, in that order (see ``create_app``)."""

from analysis.calendar import TIMEZONE
from analysis.clustering import DEFAULT_EPS, DEFAULT_MIN_SAMPLES
from analysis.hotspot_history import DORMANT_WEEKS
from analysis.hotspots import DEFAULT_GRADING_WEIGHTS
from analysis.risk import DEFAULT_RISK

# The agencies of the cell, as the 2026 organisation of the Vosges names
# them. `code` is what reports store (keep it once data exist); `name` is
# shown everywhere; `aliases` are the other ways agency files write the
# agency, matched like every other vocabulary (case, accents, punctuation,
# word order and small words do not matter). A cell elsewhere replaces this
# list in its instance config.py.
# Colours: Okabe & Ito's palette, distinguishable with the common
# colour-vision deficiencies, which matters when six agencies share one map.
AGENCIES = [
    {
        "code": "GN",
        "name": "Gendarmerie nationale",
        "colour": "#0072B2",
        "aliases": [
            "Gendarmerie",
            "GN",
            "Groupement de gendarmerie des Vosges",
            "GGD 88",
            "GGD des Vosges",
            "Groupement de gendarmerie départementale",
            "Compagnie de gendarmerie",
            "Brigade de gendarmerie",
            "Brigade territoriale autonome",
            "BTA",
            "COB",
            "Communauté de brigades",
            "Brigade de recherches",
            "BR",
            "Brigade départementale de renseignements et d'investigations judiciaires",
            "BDRIJ",
            "PSIG",
            "Section de recherches",
            "SR Nancy",
        ],
    },
    # Since the 2024 reform the police of a département is one direction
    # (DDPN, within the DIPN framework); its commissariats (CSP) export under
    # their own names.
    {
        "code": "PN-SP",
        "name": "Police nationale (DDPN)",
        "colour": "#E69F00",
        "aliases": [
            "Police nationale",
            "PN",
            "DDPN",
            "DDPN 88",
            "DDPN des Vosges",
            "DIPN",
            "DIPN 88",
            "Direction départementale de la police nationale",
            "Direction interdépartementale de la police nationale",
            "Sécurité publique",
            "DDSP",
            "DDSP 88",
            "Police nationale – sécurité publique",
            "PN-SP",
            "CSP Épinal",
            "Commissariat d'Épinal",
            "Commissariat de police d'Épinal",
            "CSP Saint-Dié-des-Vosges",
            "CSP Saint-Dié",
            "Commissariat de Saint-Dié",
            "Commissariat de Saint-Dié-des-Vosges",
            "CSP Remiremont",
            "Commissariat de Remiremont",
            "Commissariat de Gérardmer",
            "Commissariat de Neufchâteau",
            "BAC",
            "Brigade anticriminalité",
            "Sûreté départementale",
            "SD 88",
            "Service de sécurité de proximité",
        ],
    },
    {
        "code": "PJ",
        "name": "Police judiciaire (OFAST)",
        "colour": "#CC79A7",
        "aliases": [
            "Police judiciaire",
            "PJ",
            "Filière judiciaire",
            "DCOS",
            "Division de la criminalité organisée et spécialisée",
            "DIPJ",
            "DZPJ",
            "DZPJ Est",
            "SRPJ",
            "Antenne PJ",
            "Antenne de police judiciaire",
            "OFAST",
            "Antenne OFAST",
            "Office anti-stupéfiants",
            "Office antistupéfiants",
        ],
    },
    {
        "code": "PAF",
        "name": "Police aux frontières",
        "colour": "#56B4E9",
        "aliases": [
            "PAF",
            "Police aux frontières",
            "DDPAF",
            "SPAF",
            "Filière frontières",
            "BPAF",
        ],
    },
    {
        "code": "DOUANE",
        "name": "Douane",
        "colour": "#009E73",
        "aliases": [
            "Douanes",
            "Douane",
            "DGDDI",
            "DNRED",
            "Brigade des douanes",
            "Brigade de surveillance intérieure",
            "BSI",
            "Direction régionale des douanes",
            "Douanes de Nancy",
            "Douane Épinal",
        ],
    },
    {
        "code": "GIR",
        "name": "GIR",
        "colour": "#D55E00",
        "aliases": [
            "GIR",
            "Groupe interministériel de recherches",
            "GIR Lorraine",
            "GIR Nancy",
            "GIR Grand Est",
        ],
    },
]


def agency_codes(config):
    """The codes of the configured agencies, in order."""
    return [agency["code"] for agency in config["AGENCIES"]]


DEFAULTS = {
    # The département the cell serves (INSEE code): geocoding, reference
    # layers and figures are limited to it.
    "DEPARTEMENT": "88",
    # Clustering defaults of the map panel, the API, the CLI and the OpenAPI
    # document: DBSCAN radius in metres (Lambert-93) and minimum reports.
    "CLUSTERING": {"eps": DEFAULT_EPS, "min_samples": DEFAULT_MIN_SAMPLES},
    # Weights of the grading when clustering with weighted=true: reliability
    # A-F and credibility 1-6, multiplied (A1 = 1.0).
    "GRADING_WEIGHTS": DEFAULT_GRADING_WEIGHTS,
    # A former hotspot with no report for this many weeks is "en sommeil"
    # (analysis.hotspot_history).
    "HOTSPOT_DORMANT_WEEKS": DORMANT_WEEKS,
    # Judge each hotspot against what its communes predict (analysis.risk):
    # "smoothed" (each commune's empirical-Bayes rate), "population" (the
    # département's rate per inhabitant) or None (no judgement).
    "HOTSPOT_RISK": DEFAULT_RISK,
    # None means "the SQLite file crossmap.sqlite in the instance folder".
    "DATABASE_URL": None,
    "AGENCIES": AGENCIES,
    # Extra wordings of coded values, by field: {"substances": {"came":
    # "heroin"}, "category": {...}, "unit": {...}, "handling": {...}}.
    "VOCABULARY_SYNONYMS": {},
    "MARKING": "DIFFUSION RESTREINTE",
    # Printed on pages and exports while fictitious (demo) data is shown.
    "FICTITIOUS_MARKING": "DONNÉES FICTIVES",
    # Default size of a PNG map snapshot, WIDTHxHEIGHT in pixels (slides).
    "SNAPSHOT_SIZE": "1920x1080",
    "CELL_NAME": "CROSS des Vosges",
    # xyzservices names, e.g. ["GeoportailFrance.plan"]; empty keeps the map
    # air-gapped with the communes as the only basemap.
    "TILE_LAYERS": [],
    # Street addresses through the Base Adresse Nationale (geopy BANFrance).
    # Off by default: crossmap must work air-gapped; an address then falls
    # back to its commune's centroid, with a warning.
    "GEOCODER_BAN_ENABLED": False,
    "GEOCODER_BAN_DOMAIN": "api-adresse.data.gouv.fr",
    "GEOCODER_BAN_SCHEME": "https",
    "GEOCODER_BAN_TIMEOUT": 3.0,
    # Above this many reports in view, the map page gets counts per square
    # of a grid instead of points (/api/reports?aggregate=auto): zooming in
    # brings the points back.
    "MAP_POINTS_MAX": 50_000,
    # Up to this many reports, each server process keeps them all in memory
    # (per data version) and filters them there rather than asking the
    # database for every question; above, every question goes to the
    # database (see README "PostgreSQL").
    "FRAME_IN_MEMORY_MAX": 200_000,
    # Above this many reports, an import computes the map page's first view
    # (hotspots, emerging cells, forecast line, commune figures, no filter)
    # for each agency before its first visitor asks (``crossmap warm``):
    # at a million reports the hotspots take seconds.
    "WARM_ABOVE": 100_000,
    # Need-to-know (README, "Besoin d'en connaître"): another agency's
    # restricted reports add to a commune's count only in groups of at
    # least this many in the same commune, ISO week and agency.
    "NEED_TO_KNOW_K": 5,
    # Limits of one imported file (web upload and command line).
    "IMPORT_MAX_BYTES": 50 * 1024 * 1024,
    "IMPORT_MAX_ROWS": 200_000,
    # CPU seconds the worker reading an uploaded file may use before it is
    # stopped and the file refused.
    "IMPORT_CPU_SECONDS": 60,
    # Uploads not confirmed within this many hours are deleted (at the next
    # upload).
    "UPLOAD_RETENTION_HOURS": 24,
    # Sessions end after this many minutes whatever happens, or after this
    # many minutes without a request.
    "SESSION_ABSOLUTE_MINUTES": 600,
    "SESSION_IDLE_MINUTES": 30,
    # None: the cookie is Secure whenever the request came over HTTPS.
    "SESSION_COOKIE_SECURE": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "crossmap_session",
    # Failed sign-ins allowed per account and per address (Flask-Limiter).
    "LOGIN_RATE_LIMIT": "5 per minute;20 per hour",
    # Failed sign-ins allowed per address, whatever the accounts: higher, so
    # that one user's mistakes do not lock out their colleagues behind the
    # same address, low enough to slow password spraying.
    "LOGIN_ADDRESS_RATE_LIMIT": "30 per minute;100 per hour",
    # Where those attempts are counted: "memory://" is right for one process
    # (`crossmap serve`); with several (gunicorn workers, see README
    # "PostgreSQL") use "database" (the cell's own database) or "redis://…".
    "RATELIMIT_STORAGE_URI": "memory://",
    # Number of reverse proxies in front (see README, "Déploiement"); 0 when
    # waitress faces the users directly.
    "PROXY_FIX_HOPS": 0,
    # Reports observed longer ago than this many years may be purged
    # (`crossmap purge-reports`); None keeps everything.
    "REPORT_RETENTION_YEARS": None,
    "BABEL_DEFAULT_LOCALE": "fr",
    "BABEL_DEFAULT_TIMEZONE": TIMEZONE,
}
