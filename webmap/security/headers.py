"""Serving safely: security headers, a Content-Security-Policy with a nonce
per response for the inline scripts folium writes, cookies marked Secure
over HTTPS, the reverse proxy's headers, and a refusal to start with a
default secret key."""

import re
import secrets

from flask import g, request
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix

#: Secret keys found in tutorials and sample configurations.
DEFAULT_SECRET_KEYS = {
    "",
    "dev",
    "development",
    "secret",
    "secret-key",
    "secret_key",
    "changeme",
    "change-me",
    "change_me",
    "please-change",
    "crossmap",
    "default",
    "test",
    "testing",
}
MIN_SECRET_LENGTH = 24
#: Endpoints whose answers the browser may keep.
CACHEABLE_ENDPOINTS = {"static", "tiles.tile"}

_SCRIPT_TAG = re.compile(r"<script(?![^>]*\bnonce=)(?![^>]*\bsrc=)", re.IGNORECASE)


def csp_nonce():
    """This response's nonce (one per request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def with_nonce(html):
    """Give every inline ``<script>`` of ``html`` (folium's header, say) this
    response's nonce; scripts loaded from /static need none."""
    return Markup(_SCRIPT_TAG.sub(f'<script nonce="{csp_nonce()}"', str(html)))


def content_security_policy():
    # Styles stay 'unsafe-inline': Leaflet positions every marker and tile
    # with style attributes. Scripts never do.
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{csp_nonce()}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    # Data, exports and pages carry intelligence: no copy in any cache.
    # Static assets and basemap tiles (which set their own) are the only
    # exceptions.
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        headers["Cache-Control"] = "no-store"
    return response


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS
    (directly or through the proxy's ``X-Forwarded-Proto``), unless
    ``SESSION_COOKIE_SECURE`` says otherwise."""

    def get_cookie_secure(self, app):
        configured = app.config["SESSION_COOKIE_SECURE"]
        if configured is None or configured == "auto":
            return request.is_secure
        return bool(configured)


class SecretKeyError(RuntimeError):
    pass


def check_secret_key(app, demo_mode):
    """Refuse a missing or well-known secret key, except in demo mode (on
    fictitious data) where it only warns."""
    key = app.config.get("SECRET_KEY") or ""
    key = key.decode() if isinstance(key, bytes) else str(key)
    weak = key.strip().lower() in DEFAULT_SECRET_KEYS or len(key) < MIN_SECRET_LENGTH
    if not weak:
        return
    message = (
        "SECRET_KEY manquante, trop courte ou par défaut : définissez CROSSMAP_SECRET_KEY "
        f"(au moins {MIN_SECRET_LENGTH} caractères aléatoires) ou effacez-la pour utiliser "
        "la clé générée dans le dossier d'instance."
    )
    if demo_mode():
        app.logger.warning("%s (toléré : données fictives)", message)
        return
    raise SecretKeyError(message)


def _has_fictitious_reports(app):
    from webmap import db

    engine = db.make_engine(app.config["DATABASE_URL"])
    try:
        if not db.is_migrated(engine):
            return False
        with Session(engine) as session:
            return db.has_fictitious_reports(session)
    finally:
        engine.dispose()


def init_app(app):
    check_secret_key(app, lambda: _has_fictitious_reports(app))
    app.permanent_session_lifetime = app.config["SESSION_ABSOLUTE_MINUTES"] * 60
    app.session_interface = SessionInterface()
    app.after_request(set_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["with_nonce"] = with_nonce
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops:
        # Behind a TLS reverse proxy: trust its X-Forwarded-For/-Proto/-Host
        # (and only that many hops), so addresses in the audit trail and
        # Secure cookies are right.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
