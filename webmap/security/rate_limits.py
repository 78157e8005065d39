"""Sign-in rate limit counters shared by every server process, in the
application's own database: no Redis to run in an air-gapped cell.

A storage for the ``limits`` library behind Flask-Limiter (fixed-window
strategy, the one crossmap uses). ``RATELIMIT_STORAGE_URI = "database"``
selects it (see :func:`webmap.extensions.init_app`); ``memory://`` (the
default, right for one process) and ``redis://…`` work as Flask-Limiter
documents them.
"""

import time

from limits.storage import Storage
from sqlalchemy import text

SCHEME = "crossmap+db"

# One statement, atomic in SQLite (3.35+) and PostgreSQL alike: start a new
# window when the old one has expired, otherwise count one more hit.
_INCREMENT = text(
    "INSERT INTO rate_limit_counter (key, hits, expires_at) VALUES (:key, :amount, :now + :expiry) "
    "ON CONFLICT (key) DO UPDATE SET "
    "hits = CASE WHEN rate_limit_counter.expires_at <= :now THEN :amount "
    "ELSE rate_limit_counter.hits + :amount END, "
    "expires_at = CASE WHEN rate_limit_counter.expires_at <= :now THEN :now + :expiry "
    "ELSE rate_limit_counter.expires_at END "
    "RETURNING hits"
)


class DatabaseStorage(Storage):
    """Counters in the ``rate_limit_counter`` table of the database at
    ``url`` (a storage option)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri=None, wrap_exceptions=False, url=None, **options):
        from sqlalchemy.pool import NullPool

        from webmap.db import make_engine

        if not url:
            raise ValueError("the database storage needs the database URL (storage option 'url')")
        # No pool: sign-ins are rare, and a storage dropped with its app
        # then leaves no connection open.
        self.engine = make_engine(url, poolclass=NullPool)
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        from sqlalchemy.exc import SQLAlchemyError

        return SQLAlchemyError

    def incr(self, key, expiry, amount=1):
        with self.engine.begin() as connection:
            return connection.scalar(_INCREMENT, {"key": key, "amount": amount, "now": time.time(), "expiry": expiry})

    def get(self, key):
        with self.engine.connect() as connection:
            hits = connection.scalar(
                text("SELECT hits FROM rate_limit_counter WHERE key = :key AND expires_at > :now"),
                {"key": key, "now": time.time()},
            )
        return hits or 0

    def get_expiry(self, key):
        with self.engine.connect() as connection:
            expiry = connection.scalar(text("SELECT expires_at FROM rate_limit_counter WHERE key = :key"), {"key": key})
        return expiry if expiry is not None else time.time()

    def check(self):
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - check() answers, it does not raise
            return False

    def reset(self):
        with self.engine.begin() as connection:
            return connection.execute(text("DELETE FROM rate_limit_counter")).rowcount

    def clear(self, key):
        with self.engine.begin() as connection:
            connection.execute(text("DELETE FROM rate_limit_counter WHERE key = :key"), {"key": key})
