"""Which database engine the tests run on.

Without ``CROSSMAP_TEST_DATABASE_URL`` every app gets the SQLite file of its
instance folder, as in production's default. With it (a PostgreSQL URL with
PostGIS, e.g. from ``.ci/pg-cluster start``; see ``make test-postgres``)
every instance folder gets its own PostgreSQL database instead, so that
tests stay as independent as with one SQLite file each: a copy of a
template migrated once per session, emptied and handed to the next test
when its test ends (emptying is far quicker than CREATE DATABASE).
"""

import hashlib
import os

from sqlalchemy import create_engine, make_url, text

from webmap import db
from webmap.db.models import Base

TEST_DATABASE_URL = os.environ.get("CROSSMAP_TEST_DATABASE_URL")
# Names carry the process id: two test runs may share a cluster.
PREFIX = f"crossmap_test_{os.getpid()}_"
TEMPLATE = PREFIX + "template"
ON_POSTGRES = bool(TEST_DATABASE_URL)

_databases = {}  # instance path -> database name
_engines = {}  # instance path -> engines of the apps built on it
_tags = {}  # instance path -> its number, for a URL of its own
_free = []  # emptied databases ready for the next instance folder
_admin = None


def _server():
    global _admin
    if _admin is None:
        _admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        _make_template(_admin)
    return _admin


def _url(name, tag=None):
    url = make_url(TEST_DATABASE_URL).set(database=name)
    if tag:
        url = url.update_query_dict({"application_name": tag})
    return url.render_as_string(hide_password=False)


def _is_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _make_template(admin):
    with admin.connect() as connection:
        # What earlier runs left behind (their databases stay for inspection
        # until the next run).
        for (name,) in connection.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'crossmap_test_%'")):
            pid = name.split("_")[2]
            if pid.isdigit() and not _is_running(int(pid)):
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{TEMPLATE}"'))
    engine = create_engine(_url(TEMPLATE))
    with engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    db.migrate(engine)
    engine.dispose()


def database_url(instance_path):
    """The URL of the database of ``instance_path`` (None: its SQLite file)."""
    if not ON_POSTGRES:
        return None
    key = str(instance_path)
    if key not in _databases:
        admin = _server()
        if _free:
            _databases[key] = _free.pop()
        else:
            name = PREFIX + hashlib.sha1(key.encode()).hexdigest()[:12]
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}" STRATEGY WAL_LOG'))
            _databases[key] = name
    # A URL of its own for every instance folder, though the database is
    # reused: the app keeps state per URL in the process (caches, blocked
    # sign-ins already audited), as it would for another SQLite file.
    return _url(_databases[key], f"crossmap_test_{_tags.setdefault(key, len(_tags))}")


def keep_engine(instance_path, engine):
    """Remember an app's engine, to close its connections on release."""
    if ON_POSTGRES:
        _engines.setdefault(str(instance_path), []).append(engine)


def instance_paths():
    return set(_databases)


def release(instance_paths):
    """Empty the databases of these instance folders for later tests."""
    for key in instance_paths:
        name = _databases.pop(key)
        for app_engine in _engines.pop(key, []):
            app_engine.dispose()
        engine = create_engine(_url(name), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            # Connections an app left open would hold locks TRUNCATE waits for.
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            tables = [t for t in Base.metadata.tables if t != "data_version"]
            # Replica mode skips the triggers: the audit trail's refuses
            # TRUNCATE. The data version must still move on, never back:
            # answers cached in this process are keyed by URL and version.
            connection.execute(text("SET session_replication_role = replica"))
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            connection.execute(text("UPDATE data_version SET version = version + 1"))
        engine.dispose()
        _free.append(name)


def close_connections():
    """Close the connections of every app built so far; an engine used
    again opens new ones. Apps outlive their test, their pools would not."""
    for engines in _engines.values():
        for app_engine in engines:
            app_engine.dispose()


def close():
    """Close the session's connections (the databases stay for inspection)."""
    close_connections()
    if _admin is not None:
        _admin.dispose()
