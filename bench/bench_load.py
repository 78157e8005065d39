"""Load test: concurrent simulated users on the demo data while an import of
10,000 rows runs, against a real server on 127.0.0.1.

Run (SQLite, one waitress process with threads):
    .venv/bin/python bench/bench_load.py --engine sqlite
Run (PostgreSQL/PostGIS, gunicorn with several workers; the URL is any
database of a server where the user may CREATE DATABASE, e.g. the one
``.ci/pg-cluster start`` prints; the bench makes its own ``crossmap_load``):
    .venv/bin/python bench/bench_load.py --engine postgres \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:54329/crossmap --workers 4

Each user signs in, then loops: a filter change (random period, agencies,
categories) loads the page's data as the page asks for it (``/api/reports``
with the page's own query: compact, every agency, aggregated above
MAP_POINTS_MAX; ``/api/hotspots``, ``/api/communes``), opens a hotspot card
half the time and exports a PNG map one time in twenty, then reads the map
for ``--think`` seconds (default 4-12: a person looks at what changed
before the next click; ``--think 0.2-1`` is the stress variant). After a warm-up,
``crossmap import`` loads 10,000 new rows. Bounded in time (``--duration``).
Prints p50/p95/p99 per request type, errors, and the server's resident
memory (all its processes) after the warm-up and at the end.
"""

import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
AGENCIES = ["GN", "PN-SP", "PJ", "PAF", "DOUANE", "GIR"]
CATEGORIES = ["deal_point", "seizure", "tip", "arrest", "surveillance"]


def wait_for_server(base):
    """Return once the sign-in page answers (five minutes at most)."""
    for _ in range(600):
        try:
            if requests.get(base + "/connexion", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.5)
    raise SystemExit("the server did not start")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    """Resident memory of a process and all its descendants, in KiB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, AttributeError, ProcessLookupError):
            pass
    return total


def postgres_database(server_url):
    """A fresh ``crossmap_load`` database with PostGIS on the server of ``server_url``."""
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS crossmap_load WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE crossmap_load"))
    admin.dispose()
    url = make_url(server_url).set(database="crossmap_load")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION postgis"))
    engine.dispose()
    return url.render_as_string(hide_password=False)


def prepare(env, users):
    run = lambda *args: subprocess.run([BIN / "crossmap", *args], env=env, check=True, capture_output=True)  # noqa: E731
    run("init-db")
    # Seven years of the demo generator: about 10,000 reports.
    run("demo", "--seed", "88", "--years", "7")
    os.environ.update(env)
    from tests import signin
    from webmap import create_app, db
    from webmap.services.store import count_reports

    app = create_app()
    for i in range(users):
        signin.add_user(app, f"charge{i}", role="analyst" if i % 2 else "admin", agency=AGENCIES[i % len(AGENCIES)])
    with app.app_context():
        print(f"{count_reports(db.get_session())} demo reports", flush=True)
        db.get_engine().dispose()
    return signin.TEST_PASSWORD


def import_file(folder, rows):
    lines = ["Référence;Service;Date des faits;Nature;Cotation;Latitude;Longitude"]
    rng = random.Random(7)
    for i in range(rows):
        lines.append(
            f"CHARGE-{i};GN;{rng.randint(1, 28):02d}/{rng.randint(1, 11):02d}/2026 {rng.randint(0, 23):02d}:10;"
            f"Point de deal;B2;48,{1500 + rng.randint(0, 2000)};6,{2000 + rng.randint(0, 4000)}"
        )
    path = Path(folder) / "import-charge.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class User(threading.Thread):
    def __init__(self, base, username, password, deadline, record, seed, think=(4.0, 12.0)):
        super().__init__(daemon=True)
        self.think = think
        self.base, self.username, self.password = base, username, password
        self.deadline, self.record, self.rng = deadline, record, random.Random(seed)

    def timed(self, kind, session, path):
        start = time.perf_counter()
        try:
            response = session.get(self.base + path, timeout=60)
            ok, why = response.status_code == 200, f"HTTP {response.status_code}"
            if kind == "hotspot card" and response.status_code == 404:
                # The import changed the data between the list and the card:
                # that hotspot is no more, as the answer says. Not an error.
                kind, ok = "card gone", True
        except requests.RequestException as error:
            response, ok, why = None, False, type(error).__name__
        self.record(kind, time.perf_counter() - start, ok, f"{why} {path}")
        return response if ok and kind != "card gone" else None

    def filters(self):
        year = self.rng.choice([2024, 2025, 2026])
        month = self.rng.randint(1, 6)
        params = [f"start={year}-{month:02d}-01", f"end={year}-{month + 6:02d}-28"]
        if self.rng.random() < 0.5:
            params.append("agencies=" + ",".join(self.rng.sample(AGENCIES, self.rng.randint(2, 5))))
        if self.rng.random() < 0.3:
            params.append("categories=" + ",".join(self.rng.sample(CATEGORIES, 2)))
        return "&".join(params)

    @staticmethod
    def reports_query(query):
        """The page's question for the same filter (state.js reportsQuery):
        every agency, compact columns, squares above MAP_POINTS_MAX."""
        kept = [p for p in query.split("&") if not p.startswith("agencies=")]
        return "&".join([*kept, "format=compact", "aggregate=auto"])

    def run(self):
        session = requests.Session()
        page = session.get(self.base + "/connexion").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        signed = session.post(
            self.base + "/connexion",
            data={"username": self.username, "password": self.password, "csrf_token": token},
            allow_redirects=False,
        )
        self.record("sign-in", 0.0, signed.status_code == 302, f"HTTP {signed.status_code}")
        while time.monotonic() < self.deadline:
            query = self.filters()
            self.timed("reports", session, f"/api/reports?{self.reports_query(query)}")
            spots = self.timed("hotspots", session, f"/api/hotspots?{query}")
            self.timed("communes", session, f"/api/communes?{query}")
            features = spots.json()["features"] if spots is not None else []
            if features and self.rng.random() < 0.5:
                code = self.rng.choice(features)["properties"]["code"]
                self.timed("hotspot card", session, f"/api/hotspots/{code}?{query}")
            if self.rng.random() < 0.05:
                self.timed("PNG export", session, f"/export/snapshot.png?{query}&size=1280x720")
            time.sleep(self.rng.uniform(*self.think))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres", help="URL of a PostgreSQL database on the server to use (--engine postgres)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (postgres)")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (sqlite)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=120, help="seconds of load after the warm-up")
    parser.add_argument("--warmup", type=float, default=20)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument(
        "--think", default="4-12", help="seconds a user reads the map between actions, MIN-MAX (stress: 0.2-1)"
    )
    args = parser.parse_args()
    think = tuple(float(v) for v in args.think.split("-"))

    folder = tempfile.mkdtemp(prefix="crossmap-load-")
    env = {**os.environ, "CROSSMAP_INSTANCE_PATH": str(Path(folder) / "instance"), "PYTHONPATH": str(ROOT)}
    if args.engine == "postgres":
        env["CROSSMAP_DATABASE_URL"] = postgres_database(args.postgres)
        env["CROSSMAP_RATELIMIT_STORAGE_URI"] = "database"
    print(f"Preparing the demo data ({args.engine})...", flush=True)
    password = prepare(env, args.users)
    csv_path = import_file(folder, args.import_rows)

    port = free_port()
    if args.engine == "postgres":
        command = [
            BIN / "gunicorn",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
            "webmap.wsgi:app",
        ]
        server_words = f"gunicorn, {args.workers} workers"
    else:
        command = [BIN / "crossmap", "serve", "--port", str(port), "--threads", str(args.threads)]
        server_words = f"waitress, {args.threads} threads"
    log = open(Path(folder) / "server.log", "w")
    server = subprocess.Popen(command, env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(base)

        times, errors, failures, lock = {}, {}, [], threading.Lock()

        def record(kind, seconds, ok, why=""):
            with lock:
                if ok:
                    times.setdefault(kind, []).append(seconds)
                else:
                    errors[kind] = errors.get(kind, 0) + 1
                    failures.append(why)

        uptime_before = os.popen("uptime").read().strip()
        started = time.monotonic()
        deadline = started + args.warmup + args.duration
        users = [User(base, f"charge{i}", password, deadline, record, seed=i, think=think) for i in range(args.users)]
        for user in users:
            user.start()
        time.sleep(args.warmup)
        with lock:
            # Warm-up answers (first clustering of each filter, caches) are
            # not what a user sees once the server runs.
            for kind in list(times):
                if kind != "sign-in":
                    times[kind] = []
        memory_start = rss_kib(server.pid)
        memory = []

        def sample():
            # Every 10 s: a plateau, a step when the import's reports
            # arrive, or a slope that would be a leak.
            while time.monotonic() < deadline:
                memory.append((time.monotonic() - started, rss_kib(server.pid)))
                time.sleep(10)

        threading.Thread(target=sample, daemon=True).start()
        import_start = time.monotonic()
        imported = subprocess.run([BIN / "crossmap", "import", str(csv_path)], env=env, capture_output=True, text=True)
        import_seconds = time.monotonic() - import_start
        for user in users:
            user.join()
        memory_end = rss_kib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    print(f"\nuptime before: {uptime_before}\nuptime after:  {os.popen('uptime').read().strip()}")
    print(
        f"{args.engine}, {server_words}: {args.users} users for {args.duration:.0f} s after a "
        f"{args.warmup:.0f} s warm-up, {args.think} s of thought; import of {args.import_rows} rows "
        f"{'done' if imported.returncode == 0 else 'FAILED'} in {import_seconds:.1f} s"
    )
    if imported.returncode:
        print(imported.stderr[-2000:])
    print(f"{'request':<14} {'count':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind in ["reports", "hotspots", "communes", "hotspot card", "PNG export", "sign-in", "card gone"]:
        values = np.array(times.get(kind, [])) * 1000
        if kind in ("sign-in", "card gone"):
            print(f"{kind:<14} {len(values):>6} {errors.get(kind, 0):>6}")
            continue
        p50, p95, p99 = np.percentile(values, [50, 95, 99]) if len(values) else (float("nan"),) * 3
        print(f"{kind:<14} {len(values):>6} {errors.get(kind, 0):>6} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f}")
    for why in failures[:5]:
        print("error:", why)
    if failures:
        print(f"server log: {Path(folder) / 'server.log'}")
    print("server memory every 10 s: " + ", ".join(f"{t:.0f} s {kib / 1024:.0f}" for t, kib in memory) + " MiB")
    print(
        f"server memory (RSS, all processes): {memory_start / 1024:.0f} MiB after warm-up, "
        f"{memory_end / 1024:.0f} MiB at the end ({(memory_end / memory_start - 1) * 100:+.0f} %)"
    )


if __name__ == "__main__":
    main()
