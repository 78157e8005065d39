"""Who may do what: one table from endpoint to permission, applied to every
request by one hook, so that no view needs a decorator and a route missing
from the table is refused (and fails ``tests/webmap/test_access.py``).

Need-to-know (who sees which report in detail) is
:mod:`webmap.security.need_to_know`.
"""

from flask import abort, current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webmap.security.sessions import enforce_session_limits

ROLES = ("admin", "analyst", "commander", "viewer")

#: Permission -> roles holding it. The admin holds every permission, so that
#: one account can run a small cell.
PERMISSIONS = {
    "view": {"admin", "analyst", "commander", "viewer"},
    "export": {"admin", "analyst", "commander"},
    "import": {"admin", "analyst"},  # import, roll back batches, edit
    "zones": {"admin", "commander"},  # plan operation zones
    "admin": {"admin"},  # users, settings, audit trail
}
PUBLIC = "public"

#: Endpoint -> permission, or {method: permission} when reading and writing
#: differ. Every endpoint of the app must appear here.
RULES = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": "view",
    "map.index": "view",
    "table.index": "view",
    "api.openapi": "view",
    "api.reports": "view",
    "api.reports_table": "view",
    "api.hotspots": "view",
    "api.hotspot": "view",
    "api.emerging": "view",
    "api.communes": "view",
    "api.backtest": "view",
    "imports.upload_form": "import",
    "imports.upload": "import",
    "imports.preview": "import",
    "imports.recheck": "import",
    "imports.confirm": "import",
    "imports.preview_rejections": "import",
    "imports.batches": "import",
    "imports.rollback": "import",
    "imports.batch_rejections": "import",
    "imports.batch_decisions": "import",
    "exports.export_form": "export",
    "exports.export_file": "export",
    "zones.index": "view",
    "zones.contents": "view",
    "zones.export": "export",
    "zones.create": "zones",
    "zones.update": "zones",
    "zones.delete": "zones",
    # Map data, not intelligence: whoever sees the map sees its tiles.
    "tiles.tile": "view",
    "exports.snapshot": "export",
    "exports.briefing_pack": "export",
    "audit.index": "admin",
    "audit.export_csv": "admin",
}


def rule_for(endpoint, method):
    rule = RULES.get(endpoint)
    if isinstance(rule, dict):
        return rule.get(method, rule.get("*"))
    return rule


def allowed(role, permission):
    return permission == PUBLIC or (permission is not None and role in PERMISSIONS.get(permission, ()))


def check_access():
    """The ``before_request`` hook: sign out expired sessions, send anonymous
    visitors to the sign-in page (401 for the API), refuse the rest (403)."""
    if request.endpoint is None:
        return None  # no such route: the 404 says nothing about access
    permission = rule_for(request.endpoint, request.method)
    if permission == PUBLIC:
        return None
    expired = enforce_session_limits()
    if not current_user.is_authenticated:
        if _wants_json():
            return jsonify(error=_("Sign-in required.")), 401
        if expired or request.method != "GET":
            return redirect(url_for("auth.login"))
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if permission is None:
        # Refused, whoever asks: a route nobody gave a rule to.
        current_app.logger.error("no access rule for endpoint %s", request.endpoint)
    if not allowed(current_user.role, permission):
        if _wants_json():
            return jsonify(error=_("You are not allowed to do this.")), 403
        abort(403)  # the French, marked error page (webmap.views.errors)
    return None


def _wants_json():
    # Tiles are fetched by scripts and images: a status, not a sign-in page.
    return request.path.startswith(("/api/", "/tiles/"))


def can(permission):
    """Whether the signed-in user holds ``permission``: templates show only
    the links and controls the user may use."""
    return bool(current_user and current_user.is_authenticated and allowed(current_user.role, permission))


def init_app(app):
    app.before_request(check_access)
    app.context_processor(lambda: {"can": can})
