"""Signed-in test clients and browsers: every app built by ``make_app``
holds a test admin of agency GN, and ``app.test_client()`` comes signed in
as that admin, so that tests of other features need not sign in first.

``app.test_client(user=None)`` gives an anonymous client, and
``app.test_client(user="name")`` a client signed in as another user (see
:func:`add_user`).
"""

import secrets
from datetime import datetime, timezone

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from webmap import db
from webmap.db.models import User

TEST_ADMIN = "test-admin"
TEST_AGENCY = "GN"
TEST_PASSWORD = "Essai-Carte-2026!"
# scrypt is slow on purpose: hash once for the whole session.
_PASSWORD_HASH = generate_password_hash(TEST_PASSWORD, method="scrypt")


def add_user(app, username, *, role="admin", agency=TEST_AGENCY, active=True):
    """Add a user with the test password (if absent); return its session token."""
    with app.app_context():
        session = db.get_session()
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(
                username=username,
                password_hash=_PASSWORD_HASH,
                role=role,
                agency=agency,
                active=active,
                session_token=secrets.token_hex(32),
            )
            session.add(user)
            session.commit()
        return user.session_token


def add_test_users(app):
    add_user(app, TEST_ADMIN)


def session_cookie(app, username=TEST_ADMIN):
    """The value of a session cookie signed in as ``username``, as the login
    page would have set it."""
    with app.app_context():
        token = db.get_session().scalar(select(User.session_token).where(User.username == username))
    stamp = datetime.now(timezone.utc).timestamp()
    data = {"_user_id": token, "_fresh": True, "signed_in_at": stamp, "seen_at": stamp}
    return app.session_interface.get_signing_serializer(app).dumps(data)


class SignedInClient(FlaskClient):
    def __init__(self, *args, user=TEST_ADMIN, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.set_cookie(
                self.application.config["SESSION_COOKIE_NAME"],
                session_cookie(self.application, user),
                domain="localhost",
            )
