"""Database engine, sessions and migrations.

The engine lives in ``app.extensions``; a view gets its session with
``get_session()``, closed when the request ends (as in Flask's tutorial).
"""

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import current_app, g
from sqlalchemy import create_engine, event, exists, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from webmap.db.models import Report

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url):
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets the map keep reading while an import writes; SQLite leaves
    # foreign keys off unless asked on every connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def migrate(engine, revision="head"):
    """Create the database or bring it to ``revision`` with Alembic."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def is_migrated(engine):
    return inspect(engine).has_table("alembic_version")


def has_fictitious_reports(session):
    return session.scalar(select(exists().where(Report.fictitious)))


def _fictitious_context():
    # Every page says so while demo data is loaded, the sign-in page included.
    return {"fictitious": has_fictitious_reports(get_session())}


def init_app(app):
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["crossmap.engine"] = engine
    app.extensions["crossmap.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)
    app.context_processor(_fictitious_context)


def get_engine():
    return current_app.extensions["crossmap.engine"]


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["crossmap.sessionmaker"]()
    return g.db_session


def close_session(exception=None):
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
