"""``/api/reports``: the filtered reports the viewer may see, or, with
``aggregate=auto`` (the map page), their counts per square of a grid when
there are more than ``MAP_POINTS_MAX``: a million points would not reach
the browser in a usable time, nor be drawn."""

import orjson
from flask import current_app, request

from webmap.api.base import BadParameter, bp, cached_answer, check_known, cluster_params, json_body, shared_answer
from webmap.api.serialize import REPORT_FORMATS
from webmap.config import agency_codes
from webmap.db import get_session
from webmap.security.need_to_know import viewer_agency
from webmap.services.filters import parse_filter
from webmap.services.report_grid import cell_size_for, count_visible, grid_counts, grid_json, view_bounds_l93

OWN = ("format", "aggregate")


@bp.get("/reports")
def reports():
    name = request.args.get("format") or "geojson"
    if name not in REPORT_FORMATS:
        raise BadParameter("format", f"format inconnu « {name} » (attendus : {', '.join(REPORT_FORMATS)})")
    aggregate = request.args.get("aggregate") or None
    if aggregate not in (None, "auto"):
        raise BadParameter("aggregate", f"valeur inconnue « {aggregate} » (attendu : auto)")
    if aggregate:
        grid = _grid_answer()
        if grid:
            return json_body(grid)
    serialize = REPORT_FORMATS[name]
    # Need-to-know: cached_answer hands in only what the viewer may see.
    return cached_answer("reports", lambda frame, params: serialize(frame), own=OWN)


def _grid_answer():
    """The squares' JSON when the view holds more than ``MAP_POINTS_MAX``
    reports the viewer may see, else empty bytes (send the points).
    Counted in the database, never by reading the reports: that is the
    point at a million."""
    check_known(request.args, OWN)
    cluster_params()  # not read here, but a bad one is a 400 on every route
    report_filter = parse_filter(request.args, known_agencies=agency_codes(current_app.config))
    agency = viewer_agency()
    session = get_session()
    limit = current_app.config["MAP_POINTS_MAX"]

    def compute():
        if count_visible(session, report_filter, agency) <= limit:
            return b""
        size = cell_size_for(view_bounds_l93(report_filter, session, agency))
        return orjson.dumps(grid_json(grid_counts(session, report_filter, agency, size)))

    return shared_answer(f"grid above {limit}", compute)
