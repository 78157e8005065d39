"""The OpenAPI 3.1 description of ``/api``, served at ``/api/openapi.json``."""

from analysis.clustering import DEFAULT_EPS, DEFAULT_MIN_SAMPLES
from analysis.vocabulary import CATEGORIES, SUBSTANCES
from webmap.api.base import bp, json_response
from webmap.services.hotspots import MIN_EPS, MIN_SAMPLES

FILTER_PARAMETERS = [
    ("start", "First day kept (ISO date, Europe/Paris).", {"type": "string", "format": "date"}),
    ("end", "Last day kept, inclusive (ISO date).", {"type": "string", "format": "date"}),
    ("agencies", "Agency codes, comma-separated.", {"type": "string"}),
    ("categories", f"Category codes, comma-separated ({', '.join(CATEGORIES)}).", {"type": "string"}),
    ("substances", f"Substance codes, comma-separated ({', '.join(SUBSTANCES)}).", {"type": "string"}),
    (
        "min_grading",
        "Minimum grading, e.g. B2 (reliability A-B and credibility 1-2).",
        {"type": "string", "pattern": "^[A-F][1-6]$"},
    ),
    ("bbox", "west,south,east,north in WGS84 degrees.", {"type": "string"}),
    ("zone", "A GeoJSON Polygon or MultiPolygon in WGS84.", {"type": "string"}),
    (
        "weekdays",
        "Days of the week kept, Monday = 0, comma-separated (Europe/Paris days).",
        {"type": "string", "pattern": "^[0-6](,[0-6])*$"},
    ),
    (
        "hours",
        "Hours kept, FROM-TO inclusive (Europe/Paris); 22-3 wraps past midnight.",
        {"type": "string", "pattern": "^([0-9]|1[0-9]|2[0-3])-([0-9]|1[0-9]|2[0-3])$"},
    ),
]
CLUSTER_PARAMETERS = [
    (
        "eps",
        "DBSCAN radius in metres (Lambert-93).",
        {"type": "number", "minimum": MIN_EPS, "maximum": 50000, "default": DEFAULT_EPS},
    ),
    (
        "min_samples",
        "Minimum reports for a core point.",
        {"type": "integer", "minimum": MIN_SAMPLES, "default": DEFAULT_MIN_SAMPLES},
    ),
    ("time_eps", "Optional time window in days (spatio-temporal DBSCAN).", {"type": "number", "minimum": 0.01}),
    ("weighted", "Weigh reports by their grading (GRADING_WEIGHTS).", {"type": "boolean", "default": False}),
    (
        "beyond_expected",
        "Keep only the hotspots holding more reports than their communes' rates predict "
        "(Poisson excess, HOTSPOT_RISK); dormant places stay listed.",
        {"type": "boolean", "default": False},
    ),
]

#: Parameters one endpoint takes besides the shared ones.
OWN_PARAMETERS = {
    "/api/reports/table": [
        ("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "default": 1}),
        ("page_size", "Rows per page.", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}),
        (
            "sort",
            "Column to sort by, '-' first for descending: observed_at, agency, agency_ref, category, grading, "
            "commune, place, precision, id.",
            {"type": "string", "default": "-observed_at"},
        ),
        ("insee", "A commune's INSEE code: its reports only.", {"type": "string"}),
        ("hotspot", "A hotspot's code: its reports only.", {"type": "string"}),
        ("zone_id", "A saved operation zone: the reports inside it.", {"type": "integer", "minimum": 1}),
        ("ref", "Text the agency's reference contains.", {"type": "string"}),
        ("place", "Text the place contains.", {"type": "string"}),
    ],
    "/api/reports": [
        (
            "format",
            "geojson: a FeatureCollection of points (the default). compact: one array per field (count, id, "
            "lon and lat to 5 decimals, observed_at in epoch seconds with utc_offset in minutes, agency, category, "
            "grading and precision as indexes into lookup, insee, place), for the map page.",
            {"type": "string", "enum": ["geojson", "compact"], "default": "geojson"},
        ),
        (
            "aggregate",
            "auto: when the filter (with its bbox, the map's view) keeps more than MAP_POINTS_MAX reports the "
            "viewer may see, answer with counts per square of a Lambert-93 grid instead of points: "
            "{aggregated: true, cell_m, count, cells: [{i, j, bounds: [south, west, north, east], count, "
            "by_agency}]}, squares numbered floor(x / cell_m), floor(y / cell_m).",
            {"type": "string", "enum": ["auto"]},
        ),
    ],
}

ENDPOINTS = {
    "/api/reports": "Reports matching the filter, as GeoJSON points (WGS84) or compact columns.",
    "/api/reports/table": "One page of the table of reports: the filter's reports the viewer may see, narrowed "
    "by a selection (insee, hotspot, zone_id, ref, place), sorted (sort) and paged "
    "(page, page_size).",
    "/api/hotspots": "DBSCAN hotspots of the period: outlines (WGS84) with their summaries; status, first_seen and "
    "last_seen told from the whole history up to the period's end; then the dormant places.",
    "/api/hotspots/{code}": "One hotspot: summary, member reports and weekly history.",
    "/api/emerging": "Cells of the space-time cube (inside the département) whose recent weeks depart from their own history, with their emerging-hotspot category and the commune containing the cell's centre (insee, commune); judged on the whole history up to the end of the period, listed when the period holds reports in them.",
    "/api/communes": "Counts and rates per commune (rate per 1,000 inhabitants, smoothed), and the trend: reports of the last 13 weeks up to the end of the period and of the 13 before, from the whole history.",
    "/api/backtest": "Mean hit rate, PAI and PEI of the hotspots of the last weeks against the following weeks' "
    "reports, and of a kernel density baseline, with a sentence.",
}


def _parameter(name, description, schema):
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def openapi_document():
    paths = {}
    for path, summary in ENDPOINTS.items():
        # Every endpoint takes the same parameters, so that one URL state
        # serves them all; only hotspots use the clustering ones.
        parameters = [_parameter(*p) for p in FILTER_PARAMETERS + CLUSTER_PARAMETERS + OWN_PARAMETERS.get(path, [])]
        if "{code}" in path:
            parameters.append({"name": "code", "in": "path", "required": True, "schema": {"type": "string"}})
        responses = {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
            "400": {
                "description": "A bad parameter, named in the answer.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        }
        if "{code}" in path:
            responses["404"] = {"description": "No such hotspot under these filters."}
        paths[path] = {"get": {"summary": summary, "parameters": parameters, "responses": responses}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "crossmap API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "parameter": {"type": "string"}},
                    "required": ["error", "parameter"],
                }
            }
        },
    }


@bp.get("/openapi.json")
def openapi():
    return json_response(openapi_document())
