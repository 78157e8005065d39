"""The sign-in and sign-out pages. Sign-in attempts are limited per account
and per address; failures are audited."""

import secrets
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_user, logout_user

from webmap.db import get_session
from webmap.extensions import limiter
from webmap.security.actor import current_actor
from webmap.security.passwords import authenticate, existing_username
from webmap.services import audit as audit_trail

bp = Blueprint("auth", __name__)


def init_app(app):
    app.register_blueprint(bp)


def _address_key():
    return f"address:{request.remote_addr}"


def _account_key():
    return f"account:{request.form.get('username', '').strip().lower()}"


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _address_limit():
    # Higher than an account's: one user's mistakes must not lock out the
    # other accounts behind the same address (an office's NAT).
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def _failed(response):
    # Only failed attempts count towards the limit.
    return response.status_code == 401


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(_address_limit, key_func=_address_key, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login():
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(target)
        return render_template("auth/login.html", next=target)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    db_session = get_session()
    user = authenticate(db_session, username, password)
    if user is None:
        audit_trail.audit(db_session, "login_failed", username=username[:80] or None, agency=None)
        db_session.commit()
        return render_template(
            "auth/login.html", next=target, username=username, error=_("Unknown user name or wrong password.")
        ), 401
    # A new session on sign-in: nothing set before it survives.
    session.clear()
    login_user(user)
    stamp = datetime.now(timezone.utc).timestamp()
    session["signed_in_at"] = session["seen_at"] = stamp
    session.permanent = True
    audit_trail.audit(db_session, "login", username=user.username, agency=user.agency)
    db_session.commit()
    return redirect(target)


#: One "login_blocked" entry per address and account in this many seconds:
#: 300 blocked attempts wrote 300 permanent rows (issue #16). Checked in the
#: audit trail itself, so that several server processes write one entry,
#: not one each.
BLOCK_AUDIT_SECONDS = 600


@bp.app_errorhandler(RateLimitExceeded)
def too_many_attempts(error):
    db_session = get_session()
    typed = request.form.get("username", "").strip()
    account = existing_username(db_session, typed)
    address = current_actor().address
    if not audit_trail.recorded_since(
        db_session, "login_blocked", username=account, address=address, seconds=BLOCK_AUDIT_SECONDS
    ):
        audit_trail.audit(
            db_session,
            "login_blocked",
            username=account,
            agency=None,
            limit=str(error.description),
            aggregated_seconds=BLOCK_AUDIT_SECONDS,
        )
        db_session.commit()
    return render_template(
        "auth/login.html",
        next=_safe_next(request.values.get("next")),
        error=_("Too many failed attempts: wait a few minutes before trying again."),
    ), 429


@bp.post("/deconnexion")
def logout():
    if current_user.is_authenticated:
        audit_trail.audit(get_session(), "logout")
        # Server-side end of the session: the user loader keys on this
        # token, so a cookie copied before signing out no longer opens
        # anything (every session of the user ends with it).
        current_user.session_token = secrets.token_hex(32)
        get_session().commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))


def _safe_next(target):
    """Only a path on this site: ``next`` must not send anyone elsewhere.
    Browsers drop tabs and line breaks and read a backslash as a slash, so
    ``/%09/evil.example`` (a tab) would be ``//evil.example``: any control character,
    backslash, scheme or host refuses it."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    ):
        return url_for("map.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith("//"):
        return url_for("map.index")
    return target
