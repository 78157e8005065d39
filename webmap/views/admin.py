"""Admin pages: the audit trail (journal), filtered and exported as CSV.
Also the hook that records the endpoints worth a line in the trail."""

from datetime import date

from flask import Blueprint, Response, render_template, request

from webmap.db import get_session
from webmap.db.models import now
from webmap.services.audit import ACTIONS, PAGE_SIZE, audit, entries_csv, search

bp = Blueprint("audit", __name__, url_prefix="/admin")


def _filters(args):
    def day(name):
        try:
            value = date.fromisoformat(args.get(name, "").strip())
        except ValueError:
            return None  # empty or unreadable: no limit
        return value if 1900 <= value.year <= 2999 else None

    action = args.get("action", "").strip()
    return {
        "action": action if action in ACTIONS else None,
        "username": args.get("username", "").strip() or None,
        "start": day("start"),
        "end": day("end"),
        "text": args.get("text", "").strip() or None,
    }


@bp.get("/journal")
def index():
    filters = _filters(request.args)
    entries = search(get_session(), **filters)
    return render_template("admin/audit.html", entries=entries, actions=ACTIONS, args=request.args, page_size=PAGE_SIZE)


@bp.get("/journal.csv")
def export_csv():
    filters = _filters(request.args)
    session = get_session()
    entries = search(session, **filters, limit=None)
    body = entries_csv(entries)
    # Reading the trail is itself worth a line in it.
    # The filters go under one key: spread as keywords, "username" would
    # name the filtered user as the actor and "action" collide (issue #16).
    audit(session, "export", what="audit_trail", filters={k: v for k, v in filters.items() if v})
    session.commit()
    response = Response(body, mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f"attachment; filename=journal-audit-{now():%Y%m%d-%H%M}.csv"
    return response


#: Endpoints recorded after a successful response, so that their views need
#: no audit code: endpoint -> action.
AUDITED_ENDPOINTS = {
    "zones.create": "zone_change",
    "zones.update": "zone_change",
    "zones.delete": "zone_change",
    # A hotspot's card lists its reports in detail.
    "api.hotspot": "report_viewed",
}


def record_audited_endpoint(response):
    action = AUDITED_ENDPOINTS.get(request.endpoint)
    if action is None or response.status_code >= 400:
        return response
    details = {"endpoint": request.endpoint, "method": request.method, **(request.view_args or {})}
    details.update({key: ",".join(request.args.getlist(key)) for key in request.args})
    if request.endpoint == "zones.create" and response.is_json:
        details["zone_id"] = (response.get_json(silent=True) or {}).get("id")
    session = get_session()
    audit(session, action, **details)
    session.commit()
    return response


def init_app(app):
    app.register_blueprint(bp)
    app.after_request(record_audited_endpoint)
