"""``/api/reports``: the filtered reports the viewer may see."""

from flask import request

from webmap.api.base import BadParameter, bp, cached_answer
from webmap.api.serialize import REPORT_FORMATS


@bp.get("/reports")
def reports():
    name = request.args.get("format") or "geojson"
    if name not in REPORT_FORMATS:
        raise BadParameter("format", f"format inconnu « {name} » (attendus : {', '.join(REPORT_FORMATS)})")
    serialize = REPORT_FORMATS[name]
    # Need-to-know: cached_answer hands in only what the viewer may see.
    return cached_answer("reports", lambda frame, params: serialize(frame), own=("format",))
