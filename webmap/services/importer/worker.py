"""Reading an uploaded file once, in a worker process with a CPU-time and
a memory limit, so that a hostile file costs the web server nothing: the
worker is killed at the limit and the upload refused in French. The table
read is kept beside the upload (``table.pickle``) for the preview, every
re-check and the confirmation, which never parse the file again."""

from __future__ import annotations

import multiprocessing
import pickle
import resource
import shutil
import time
from pathlib import Path

from webmap.services.importer.base import ImportFileError, Table
from webmap.services.importer.readers import read_table

TABLE_FILE = "table.pickle"
#: Seconds of CPU the worker may use; a 200,000-row workbook needs ~15.
CPU_SECONDS = 60
MEMORY_BYTES = 3 * 1024**3


def _address_space():
    """Bytes of address space this process already holds (a forked worker
    inherits the server's: numpy and its thread pools reserve gigabytes)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _lower(limit, soft, hard):
    """Set a limit, never above the hard limit already in force."""
    _, current = resource.getrlimit(limit)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(limit, (soft, hard))


def _work(connection, path, filename, max_bytes, max_rows, out, cpu_seconds, memory_bytes):
    # The CPU limit counts from the fork; the memory limit is what the
    # reading may add to what the worker inherited.
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime) + cpu_seconds
    _lower(resource.RLIMIT_CPU, cpu, cpu + 1)
    space = _address_space() + memory_bytes
    _lower(resource.RLIMIT_AS, space, space)
    try:
        table = read_table(path, filename=filename, max_bytes=max_bytes, max_rows=max_rows)
        with open(out, "wb") as handle:
            pickle.dump(table, handle, protocol=pickle.HIGHEST_PROTOCOL)
        connection.send(("ok", len(table.rows)))
    except ImportFileError as error:
        connection.send(("refused", str(error)))
    except MemoryError:
        connection.send(("memory", ""))
    finally:
        connection.close()


def read_upload(
    path, *, filename, max_bytes=None, max_rows=None, cpu_seconds=CPU_SECONDS, memory_bytes=MEMORY_BYTES
) -> Path:
    """Read ``path`` in a worker process and keep its :class:`Table` beside
    it; return the kept table's path. Raises :class:`ImportFileError` (French)
    when the file is refused or the worker goes beyond its limits."""
    path = Path(path)
    out = path.parent / TABLE_FILE
    # fork: the worker starts in milliseconds with the modules already
    # loaded (spawn would import pandas, shapely... again, seconds on a busy
    # server). It only reads a file: no lock another thread may hold matters
    # to it, and the import lock is taken around fork by CPython itself.
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(
        target=_work,
        daemon=True,
        args=(sender, str(path), filename, max_bytes, max_rows, str(out), cpu_seconds, memory_bytes),
    )
    worker.start()
    sender.close()
    try:
        # Wall time bounds a worker blocked on anything but the CPU.
        outcome = receiver.recv() if receiver.poll(cpu_seconds * 3 + 10) else ("time", "")
    except EOFError:
        outcome = ("killed", "")
    finally:
        receiver.close()
        worker.join(timeout=5)
        if worker.is_alive():
            worker.kill()
            worker.join()
    kind, detail = outcome
    if kind == "ok":
        return out
    out.unlink(missing_ok=True)
    if kind == "refused":
        raise ImportFileError(detail)
    raise ImportFileError(
        f"« {filename} » : lecture interrompue, le fichier demandait plus de {cpu_seconds} s de calcul "
        f"ou plus de {memory_bytes // 1024**2} Mo de mémoire. Découpez-le ou enregistrez-le à nouveau."
    )


def purge_uploads(folder, older_than_seconds, now=None) -> int:
    """Remove the uploads (one sub-folder each) left unconfirmed for longer
    than ``older_than_seconds``; return how many went."""
    now = time.time() if now is None else now
    removed = 0
    for upload in Path(folder).iterdir():
        if upload.is_dir() and now - upload.stat().st_mtime > older_than_seconds:
            shutil.rmtree(upload, ignore_errors=True)
            removed += 1
    return removed


def load_table(path) -> Table:
    """The table :func:`read_upload` kept (a file this server wrote)."""
    with open(path, "rb") as handle:
        return pickle.load(handle)  # noqa: S301 - written by read_upload in the instance folder
