"""Answers kept between requests: a small least-recently-used memory keyed
by the question and the data version, which database triggers raise on
any change to reports, so that no answer outlives the data it was made of.
Flask-free."""

import ctypes
import gc
import hashlib
import os
import threading
import time
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
    ``None`` result is not kept.

    Every key ends with its question: the database URL, the words of the
    question, and the data version (``key[-3]``, ``key[-1]``). The first
    key of a newer version of a database drops everything kept for its
    older ones: after an import, answers of the data before it would only
    wait, holding memory, to be pushed out."""
    with _cache_lock:
        forgot = _forget_older(key[-3], key[-1])
    if forgot:
        _release_memory()

    def kept():
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        return None

    def keep(value):
        if value is not None:
            _cache[key] = value
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)

    return _once(key, kept, compute, keep)


_gates = {}


def _once(key, kept, compute, keep):
    """``kept()``, or ``compute()`` for ``key`` by one thread at a time:
    the others asking the same meanwhile wait for its result instead of
    computing it again. After an import, eight server threads would each
    read every report at once. ``kept`` and ``keep`` run under the cache's
    lock; a ``None`` from ``kept`` means "not kept"."""
    with _cache_lock:
        value = kept()
        if value is not None:
            return value
        gate = _gates.setdefault(key, Lock())
    try:
        with gate:
            with _cache_lock:
                value = kept()
            if value is None:
                value = compute()
                with _cache_lock:
                    keep(value)
                _trim_now_and_then()
    finally:
        with _cache_lock:
            if _gates.get(key) is gate:
                del _gates[key]
    return value


_newest = {}


def _forget_older(url, version):
    """Drop what is kept for older versions of ``url``'s data; whether
    there was an older version."""
    if version <= _newest.get(url, version):
        _newest.setdefault(url, version)
        return False
    _newest[url] = version
    for key in [k for k in _cache if k[-3] == url and k[-1] < version]:
        del _cache[key]
    for key in [k for k, (held, _) in _latest.items() if k[-1] == url and held < version]:
        del _latest[key]
    return True


def _release_memory():
    """Hand freed memory back to the system: glibc keeps what Python frees
    in its arenas, and a server process would otherwise keep the size of
    its largest moment for good."""
    gc.collect()
    trim_memory()


_last_trim = [0.0]


def _trim_now_and_then():
    now = time.monotonic()
    if now - _last_trim[0] > TRIM_EVERY:
        _last_trim[0] = now
        trim_memory()


TRIM_EVERY = 5.0


def trim_memory():
    """Return the free memory at the top of glibc's heaps to the system (a
    few milliseconds); nothing elsewhere."""
    if _libc is not None:
        _libc.malloc_trim(0)


def limit_arenas(arenas=2):
    """Have glibc's malloc use at most ``arenas`` heaps, before a server
    starts its threads: by default each thread may get its own, and each
    keeps the high-water mark of the largest answer computed in it."""
    if _libc is not None:
        _libc.mallopt(M_ARENA_MAX, arenas)


M_ARENA_MAX = -8
try:
    _libc = ctypes.CDLL("libc.so.6")
    _libc.malloc_trim  # noqa: B018 - glibc only
except (OSError, AttributeError):
    _libc = None


#: Answers kept on disk for the other processes of the server, at most.
SHARED_FILES = 512


def shared_memo(key, compute, folder):
    """Bytes kept under ``key`` in this process (:func:`memo`) and in
    ``folder``, where every worker process of the server finds them: with
    four gunicorn workers, a question answered by one is not computed again
    by the three others. ``key`` holds the data version, so no file outlives
    the data it was made of: stale files are simply never asked for again,
    and the oldest go when there are more than :data:`SHARED_FILES`. A
    ``None`` result is not kept."""

    def from_disk():
        path = folder / hashlib.sha256(repr(key).encode()).hexdigest()
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        value = compute()
        if value is None:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then renamed: a reader in
        # another process never sees half an answer.
        temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}")
        temporary.write_bytes(value)
        os.replace(temporary, path)
        _prune(folder)
        return value

    return memo(("shared", *key), from_disk)


def _prune(folder):
    files = list(folder.iterdir())
    if len(files) <= SHARED_FILES:
        return

    def age(path):
        try:
            return path.stat().st_mtime
        except FileNotFoundError:
            return 0

    for path in sorted(files, key=age)[: len(files) - SHARED_FILES // 2]:
        path.unlink(missing_ok=True)


_latest = {}


def latest(key, version, compute):
    """The value of ``key`` for data ``version``, computed if absent; only
    the newest version is kept for each key, so that what a process holds
    for the whole data (every report, for :func:`memo`'s questions to be
    filtered from) is replaced, not doubled, when an import raises the
    version. ``key`` ends with the database URL (``key[-1]``): a newer
    version seen by :func:`memo` drops the older value at once."""

    def kept():
        held = _latest.get(key)
        return held[1] if held is not None and held[0] == version else None

    def keep(value):
        held = _latest.get(key)
        if held is None or held[0] <= version:
            _latest[key] = (version, value)

    return _once(("latest", *key, version), kept, compute, keep)
