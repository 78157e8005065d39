"""Scale: 1,000,000 fictitious reports in PostgreSQL/PostGIS, then the
page's first view and ``/api/hotspots`` for the whole département and
period, against a real server (gunicorn) on 127.0.0.1.

Run (the URL is any database of a server where the user may CREATE
DATABASE, e.g. the one ``.ci/pg-cluster start`` prints; the bench makes its
own ``crossmap_scale``, and keeps it for the next run unless ``--reload``):
    .venv/bin/python bench/bench_scale.py \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:54329/crossmap

The reports are the demo generator's seven years (seed 88, about 10,000
reports), copied ``--copies`` times, each copy moved by up to 400 m and up
to 30 days and given its own references: the same places and rhythms, a
hundred times denser. Every one is marked fictitious. They are written with
PostgreSQL's COPY in one transaction.

Each request is timed twice: cold (first answer after the load, nothing
cached) and warm (the same question again: the cached answer). With
``--warm``, ``crossmap warm`` runs first, as an import of that size does:
the first answers are then those it computed ahead.
"""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
BIN = Path(sys.executable).parent

from bench_load import free_port, rss_kib, wait_for_server  # noqa: E402

DATABASE = "crossmap_scale"
JITTER_M = 400
JITTER_DAYS = 30


def scale_database(server_url, reload):
    """The URL of ``crossmap_scale`` on the server of ``server_url``, and
    whether it must be filled (absent, or ``reload``)."""
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": DATABASE})
        if reload and exists:
            connection.execute(text(f"DROP DATABASE {DATABASE} WITH (FORCE)"))
            exists = False
        if not exists:
            connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    admin.dispose()
    url = make_url(server_url).set(database=DATABASE)
    if not exists:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION postgis"))
        engine.dispose()
    return url.render_as_string(hide_password=False), not exists


def million(copies, seed=88):
    """The demo's reports copied ``copies`` times, each copy moved a little
    in place and time, with its own references. A DataFrame of the store's
    report columns."""
    from analysis.demo import generate_reports
    from geo.crs import to_wgs84
    from geo.reference import load_communes

    base, _truth = generate_reports(load_communes(), seed=seed, years=7)
    rng = np.random.default_rng(seed)
    n = len(base)
    frame = pd.concat([base] * copies, ignore_index=True)
    copy = np.repeat(np.arange(copies), n)
    moved = copy > 0  # the first copy is the demo itself
    frame["x_l93"] = frame["x_l93"] + np.where(moved, rng.uniform(-JITTER_M, JITTER_M, len(frame)), 0)
    frame["y_l93"] = frame["y_l93"] + np.where(moved, rng.uniform(-JITTER_M, JITTER_M, len(frame)), 0)
    frame["lon"], frame["lat"] = to_wgs84(frame["x_l93"].to_numpy(), frame["y_l93"].to_numpy())
    shift = np.where(moved, rng.integers(-JITTER_DAYS * 1440, 1, len(frame)), 0)
    frame["observed_at"] = frame["observed_at"] + pd.to_timedelta(shift, unit="min")
    frame["agency_ref"] = frame["agency_ref"] + np.where(moved, "-C" + pd.Series(copy).astype(str), "")
    return frame


def load(url, copies):
    """Schema by ``crossmap init-db``, then the reports by COPY."""
    import psycopg
    from sqlalchemy import make_url

    from webmap.services.store import REPORT_COLUMNS

    env = {**os.environ, "CROSSMAP_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    subprocess.run([BIN / "crossmap", "init-db"], env=env, check=True, capture_output=True)
    t0 = time.perf_counter()
    frame = million(copies)
    print(f"generated {len(frame):,} reports in {time.perf_counter() - t0:.1f} s", flush=True)
    frame["observed_at"] = frame["observed_at"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M:%S+00")
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    t0 = time.perf_counter()
    with psycopg.connect(plain) as connection:
        batch = connection.execute(
            "INSERT INTO import_batch (kind, created_by, added, updated, rejected, unchanged, created_at) "
            "VALUES ('demo', 'bench_scale', %s, 0, 0, 0, now()) RETURNING id",
            (len(frame),),
        ).fetchone()[0]
        frame["batch_id"] = batch
        frame["imported_at"] = "now"
        frame["fictitious"] = "t"
        frame["handling"] = "shared"
        columns = [*REPORT_COLUMNS, "batch_id", "imported_at", "fictitious", "handling"]
        buffer = io.StringIO()
        frame[columns].to_csv(buffer, index=False, header=False, na_rep="\\N", sep="\t")
        buffer.seek(0)
        with connection.cursor().copy(
            f"COPY report ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\t', NULL '\\N')"
        ) as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        connection.commit()
        connection.execute("ANALYZE report")
    print(f"written by COPY in {time.perf_counter() - t0:.1f} s", flush=True)
    return env


def add_user(env):
    os.environ.update(env)
    from tests import signin
    from webmap import create_app, db

    app = create_app()
    signin.add_user(app, "bench-scale", role="analyst", agency="GN")
    with app.app_context():
        db.get_engine().dispose()


def signed_in(base):
    from tests import signin

    session = requests.Session()
    page = session.get(base + "/connexion").text
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    session.post(
        base + "/connexion",
        data={"username": "bench-scale", "password": signin.TEST_PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    return session


def timed(session, base, path):
    start = time.perf_counter()
    response = session.get(base + path, timeout=900, headers={"Accept-Encoding": "gzip"})
    seconds = time.perf_counter() - start
    return seconds, response


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", required=True, help="URL of a database on the PostgreSQL server to use")
    parser.add_argument("--copies", type=int, default=96, help="copies of the demo's ~10,400 reports")
    parser.add_argument("--reload", action="store_true", help="drop and fill crossmap_scale again")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--skip-hotspots", action="store_true", help="do not ask /api/hotspots")
    parser.add_argument(
        "--warm", action="store_true", help="run `crossmap warm` first, as an import of that size does (timed)"
    )
    args = parser.parse_args()

    url, empty = scale_database(args.postgres, args.reload)
    env = {**os.environ, "CROSSMAP_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    if empty:
        env = load(url, args.copies)
    folder = tempfile.mkdtemp(prefix="crossmap-scale-")
    env["CROSSMAP_INSTANCE_PATH"] = str(Path(folder) / "instance")
    env["CROSSMAP_RATELIMIT_STORAGE_URI"] = "database"

    add_user(env)
    if args.warm:
        start = time.perf_counter()
        warmed = subprocess.run([BIN / "crossmap", "warm"], env=env, capture_output=True, text=True, check=True)
        print(f"crossmap warm: {time.perf_counter() - start:.1f} s ({warmed.stdout.strip()})", flush=True)

    port = free_port()
    command = [BIN / "gunicorn", "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}"]
    command += ["--timeout", "900", "--log-level", "warning", "webmap.wsgi:app"]
    log = open(Path(folder) / "server.log", "w")
    server = subprocess.Popen(command, env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    print(f"uptime before: {os.popen('uptime').read().strip()}", flush=True)
    try:
        wait_for_server(base)
        session = signed_in(base)
        # Another question than the first view's (same answer), so that the
        # first view is timed cold.
        count = session.get(base + "/api/reports?format=compact&aggregate=auto&start=1900-01-01").json()
        total = count.get("count")
        print(f"{total:,} reports in the database; server {args.workers} gunicorn workers", flush=True)
        # The page's first view: what prefetch.js and main.js ask on load
        # (default filters, the reports and hotspots layers).
        # The page's first view, in the order it asks (prefetch.js, then
        # main.js): reports and hotspots, then emerging cells, the forecast
        # line, the zones; the choropleth's communes when it is switched on;
        # then the reports of a view zoomed in on Épinal.
        first_view = [("page", "/"), ("reports (first view)", "/api/reports?format=compact&aggregate=auto")]
        if not args.skip_hotspots:
            first_view.append(("hotspots, whole département and period", "/api/hotspots?"))
        first_view += [("emerging cells", "/api/emerging?"), ("zones", "/api/zones")]
        if not args.skip_hotspots:
            first_view.append(("forecast line (backtest)", "/api/backtest?"))
        first_view.append(("communes (choropleth)", "/api/communes?"))
        zoomed = "/api/reports?format=compact&aggregate=auto&bbox=6.40,48.15,6.50,48.20"
        first_view.append(("reports (zoomed to a town)", zoomed))
        print(f"\n{'request':<40} {'cold s':>8} {'warm s':>8} {'status':>6} {'KiB':>8}  shape")
        for name, path in first_view:
            cold, response = timed(session, base, path)
            warm, again = timed(session, base, path)
            shape = ""
            if response.headers.get("Content-Type", "").startswith("application/json") and response.ok:
                body = response.json()
                if "cells" in body and "cell_m" in body:
                    shape = f"{len(body['cells'])} cells of {body['cell_m']} m, {body['count']:,} reports"
                elif "id" in body:
                    shape = f"{body['count']:,} points"
                elif "features" in body and path.startswith("/api/hotspots"):
                    shape = f"{len(body['features'])} hotspots"
                elif "communes" in body:
                    shape = f"{len(body['communes'])} communes"
            size = len(response.content) / 1024
            print(f"{name:<40} {cold:>8.2f} {warm:>8.2f} {response.status_code:>6} {size:>8.0f}  {shape}", flush=True)
        print(f"\nserver memory (RSS, all processes): {rss_kib(server.pid) / 1024:.0f} MiB")
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    print(f"uptime after: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
