"""Building apps for tests: a migrated app on its own instance folder, with
the test users signed in. Used by the fixtures of ``conftest.py`` and by
tests that need an app with particular settings."""

from pathlib import Path

from sqlalchemy import select

from tests import signin
from webmap import create_app, db
from webmap.db.models import Report


def make_app(instance_path, monkeypatch, **config):
    """A migrated app holding the test admin (``tests.signin``), whose
    ``test_client()`` is already signed in as that admin; pass
    ``user=None`` (or another user name) to ``test_client`` for others."""
    monkeypatch.setenv("CROSSMAP_INSTANCE_PATH", str(instance_path))
    app = create_app({"TESTING": True, **config})
    with app.app_context():
        db.migrate(db.get_engine())
    signin.add_test_users(app)
    app.test_client_class = signin.SignedInClient
    return app


#: Small agency files written the way agencies export them.
DATA = Path(__file__).parent / "data"


def stored_reports(app):
    """Every stored report, by agency reference."""
    with app.app_context():
        return {r.agency_ref: r for r in db.get_session().scalars(select(Report))}
