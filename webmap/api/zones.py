"""Operation zones over JSON, under ``/api/zones``. Thin views: parse the
body, call ``webmap.services.zones``, serialize. State-changing requests carry the
CSRF token in the ``X-CSRFToken`` header (Flask-WTF checks it)."""

from flask import Blueprint, Response, abort, request

from geo.reference import load_communes
from webmap.api.base import (
    BadParameter,
    bad_parameter,
    cached_answer,
    hotspot_run,
    json_response,
)
from webmap.db import get_session
from webmap.db.models import Zone
from webmap.security.actor import current_actor
from webmap.services import zones as domain
from webmap.services.filters import FilterError

bp = Blueprint("zones", __name__, url_prefix="/api/zones")


@bp.errorhandler(domain.ZoneError)
def bad_zone(error):
    return json_response({"error": str(error)}, status=400)


@bp.get("")
def index():
    return json_response(
        {"type": "FeatureCollection", "features": [domain.zone_feature(z) for z in domain.list_zones(get_session())]}
    )


@bp.post("")
def create():
    session = get_session()
    actor = current_actor()
    zone = domain.save_zone(
        session, domain.parse_zone(request.get_json(silent=True)), user=actor.username, agency=actor.agency
    )
    session.commit()
    return json_response(domain.zone_feature(zone), status=201)


@bp.put("/<int:zone_id>")
def update(zone_id):
    session = get_session()
    zone = _own_zone(zone_id)
    domain.save_zone(
        session, domain.parse_zone(request.get_json(silent=True)), user=current_actor().username, zone=zone
    )
    session.commit()
    return json_response(domain.zone_feature(zone))


@bp.delete("/<int:zone_id>")
def delete(zone_id):
    session = get_session()
    session.delete(_own_zone(zone_id))
    session.commit()
    return Response(status=204)


@bp.get("/export.geojson")
def export():
    document = {
        "type": "FeatureCollection",
        "features": [domain.zone_feature(z) for z in domain.list_zones(get_session())],
    }
    response = json_response(document)
    response.headers["Content-Disposition"] = 'attachment; filename="zones-operation.geojson"'
    return response


@bp.get("/<int:zone_id>/contents")
def contents(zone_id):
    """What lies inside the zone under the page's filter (same parameters as
    ``/api/reports``) and clustering parameters (as ``/api/hotspots``)."""
    zone = _zone(zone_id)
    geometry = domain.zone_geometry(zone)
    feature = domain.zone_feature(zone)

    def build(frame, params):
        # Need-to-know: the frame holds only what the viewer may see, so a
        # tiny zone neither lists nor counts another agency's restricted report.
        result = domain.zone_contents(geometry, frame, hotspot_run(frame, params), load_communes())
        result["zone"] = feature
        return result

    # Through the API's cache: the same filtered reports and clustering run
    # as /api/reports and /api/hotspots with these parameters, which the
    # page has usually just asked for.
    return cached_answer(f"zone:{zone.id}:{zone.updated_at.isoformat()}", build)


bp.register_error_handler(BadParameter, bad_parameter)
bp.register_error_handler(FilterError, bad_parameter)


def _zone(zone_id):
    zone = get_session().get(Zone, zone_id)
    if zone is None:
        abort(404)
    return zone


def _own_zone(zone_id):
    """The zone, if the user's agency owns it (admins: any); else 403."""
    zone = _zone(zone_id)
    actor = current_actor()
    if not domain.may_change(zone, actor.agency, actor.role == "admin"):
        abort(403)
    return zone
