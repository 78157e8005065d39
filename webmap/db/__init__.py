"""Database engine, sessions and migrations.

The engine lives in ``app.extensions``; a view gets its session with
``get_session()``, closed when the request ends (as in Flask's tutorial).
"""

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import current_app, g
from sqlalchemy import create_engine, event, exists, inspect, make_url, select
from sqlalchemy.orm import Session, sessionmaker

from analysis.calendar import PARIS
from webmap.db.models import Report

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url, **options):
    """The engine of a database URL (``options`` go to ``create_engine``).
    ``postgresql://`` means psycopg (v3), the driver crossmap ships with."""
    url = make_url(url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _sqlite_functions)
    return engine


def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets the map keep reading while an import writes; SQLite leaves
    # foreign keys off unless asked on every connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_functions(dbapi_connection, connection_record):
    # SQLite has no time zones: the weekday and hour filters in SQL
    # (webmap.services.filters.time_conditions) ask Python's zoneinfo.
    dbapi_connection.create_function("paris_weekday", 1, paris_weekday, deterministic=True)
    dbapi_connection.create_function("paris_hour", 1, paris_hour, deterministic=True)


def paris_weekday(stored):
    """Weekday in Paris (Monday = 0) of a time as SQLite stores it (naive
    UTC text, ``AwareDateTime``).

    >>> paris_weekday("2026-03-29 22:30:00.000000"), paris_hour("2026-03-29 22:30:00.000000")
    (0, 0)
    """
    return None if stored is None else _paris_time(stored)[0]


def paris_hour(stored):
    """Hour in Paris of a time as SQLite stores it (see :func:`paris_weekday`)."""
    return None if stored is None else _paris_time(stored)[1]


def _paris_time(stored):
    # Paris has been a whole number of hours from UTC since 1911: the hour
    # decides, and 100,000 reports fall in a few tens of thousands of hours.
    if stored[:4] < "1912":
        return _local(stored[:19])
    return _local(stored[:13] + ":00:00")


@lru_cache(maxsize=1 << 16)
def _local(text):
    local = datetime.fromisoformat(text).replace(tzinfo=timezone.utc).astimezone(PARIS)
    return local.weekday(), local.hour


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
