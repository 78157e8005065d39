"""Building apps for tests: a migrated app on its own instance folder, with
the test users signed in. Used by the fixtures of ``conftest.py`` and by
tests that need an app with particular settings."""

from pathlib import Path

from sqlalchemy import select, text

from tests import databases, signin
from webmap import create_app, db
from webmap.db.models import Report


def make_app(instance_path, monkeypatch, **config):
    """A migrated app holding the test admin (``tests.signin``), whose
    ``test_client()`` is already signed in as that admin; pass
    ``user=None`` (or another user name) to ``test_client`` for others."""
    monkeypatch.setenv("CROSSMAP_INSTANCE_PATH", str(instance_path))
    url = databases.database_url(instance_path)
    if url and "DATABASE_URL" not in config:
        # In the environment too, for the CLI run as a subprocess.
        monkeypatch.setenv("CROSSMAP_DATABASE_URL", url)
        config["DATABASE_URL"] = url
    app = create_app({"TESTING": True, **config})
    with app.app_context():
        db.migrate(db.get_engine())
        databases.keep_engine(instance_path, db.get_engine())
    signin.add_test_users(app)
    app.test_client_class = signin.SignedInClient
    return app


def demo_cell(instance_path, monkeypatch, *, seed, years=2):
    """:func:`make_app` with the demo's reports, customs having restricted
    half of theirs (need-to-know: one agency sees more than the others)."""
    app = make_app(instance_path, monkeypatch)
    result = app.test_cli_runner().invoke(args=["demo", "--seed", str(seed), "--years", str(years)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = db.get_session()
        session.execute(text("UPDATE report SET handling = 'restricted' WHERE agency = 'DOUANE' AND id % 2 = 0"))
        session.commit()
    return app


def counting_runs(monkeypatch):
    """A list that gets an item for each clustering run made from now on
    (``webmap.services.runs``)."""
    import webmap.services.runs as runs

    calls = []
    real = runs.service.hotspots

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(runs.service, "hotspots", counted)
    return calls


#: Small agency files written the way agencies export them.
DATA = Path(__file__).parent / "data"


def stored_reports(app):
    """Every stored report, by agency reference."""
    with app.app_context():
        return {r.agency_ref: r for r in db.get_session().scalars(select(Report))}
