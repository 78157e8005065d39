"""Signed-in sessions: the user loader and the idle and absolute limits."""

from datetime import datetime, timezone

from flask import current_app, flash, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import select

from webmap.db import get_session
from webmap.db.models import User
from webmap.extensions import login_manager


@login_manager.user_loader
def load_user(session_token):
    return get_session().scalar(select(User).where(User.session_token == session_token, User.active))


def enforce_session_limits():
    """Sign out a session older than the absolute limit or idle longer than
    the idle limit; return True when it did."""
    if not current_user.is_authenticated:
        return False
    config = current_app.config
    stamp = datetime.now(timezone.utc).timestamp()
    signed_in = session.get("signed_in_at", 0)
    seen = session.get("seen_at", 0)
    if (
        stamp - signed_in > config["SESSION_ABSOLUTE_MINUTES"] * 60
        or stamp - seen > config["SESSION_IDLE_MINUTES"] * 60
    ):
        logout_user()
        session.clear()
        flash(_("Your session has expired: please sign in again."))
        return True
    # Rewriting the cookie on every request would be wasteful: once a minute
    # is precise enough for an idle limit counted in minutes.
    if stamp - seen > 60:
        session["seen_at"] = stamp
    return False
