"""Answers kept between requests: a small least-recently-used memory keyed
by the question and the data version, which database triggers raise on
any change to reports, so that no answer outlives the data it was made of.
Flask-free."""

from collections import OrderedDict
from threading import Lock

from sqlalchemy import select

from webmap.db.models import DataVersion

CACHE_SIZE = 64

_cache = OrderedDict()
_cache_lock = Lock()


def data_version(session):
    """The version of the reports, raised by the database on every change."""
    return session.scalar(select(DataVersion.version).where(DataVersion.id == 1))


def memo(key, compute):
    """The value kept under ``key``, computed (and kept) if absent; a
    ``None`` result is not kept."""
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = compute()
    if value is not None:
        with _cache_lock:
            _cache[key] = value
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return value
