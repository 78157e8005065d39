"""Error pages: every error answers in French and carries the handling
marking, as a styled page (``templates/errors/error.html``) or, under ``/api/``, as
JSON. Registered by ``create_app`` after the blueprints, whose own handlers
(the API's 400s and 404s, the import page's 413) keep precedence."""

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

#: Status -> (title, explanation), read through the catalogue at render time.
MESSAGES = {
    400: ("Bad request", "The request could not be understood: check the parameters and try again."),
    401: ("Sign-in required", "Sign in to see this page."),
    403: ("Access refused", "You are not allowed to do this."),
    404: ("Page not found", "This page does not exist or is no longer available."),
    405: ("Method not allowed", "This page cannot be used this way."),
    413: ("Request too large", "The request is larger than the server accepts."),
    429: ("Too many requests", "Too many requests: wait a few minutes before trying again."),
    500: (
        "Server error",
        "An unexpected error occurred. It has been recorded; try again or contact the administrator.",
    ),
}


def error_page(status, detail=None):
    """The answer to an error of ``status``: JSON under ``/api/``, else the
    page. ``detail``: the application's own (French) explanation, if any."""
    title, text = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    text = detail or _(text)
    if request.path.startswith("/api/"):
        return jsonify(error=text), status
    try:
        return render_template("errors/error.html", status=status, title=_(title), text=text), status
    except Exception:  # noqa: BLE001 - the page itself failed (e.g. the database): still French and marked
        current_app.logger.exception("error page %s could not be rendered", status)
        marking = current_app.config.get("MARKING", "")
        return (
            f'<!doctype html><html lang="fr"><meta charset="utf-8"><title>{status}</title>'
            f'<p role="note">{marking}</p><h1>{status}</h1><p>{escape(text)}</p><p><a href="/">{_("Back to the map")}</a></p>'
            f"</html>"
        ), status


def handle_http(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    # werkzeug's own descriptions are English: only one the application
    # gave (abort(400, _("..."))) is shown.
    detail = error.description if error.description != type(error).description else None
    return error_page(error.code, detail if isinstance(detail, str) else None)


def init_app(app):
    app.register_error_handler(HTTPException, handle_http)
    # Flask turns any unhandled exception into an InternalServerError (unless
    # PROPAGATE_EXCEPTIONS, as in tests, re-raises it).
    app.register_error_handler(InternalServerError, handle_http)
