"""Hostile uploads against the web import (issue #16, finding 5): how fast
each is refused, the server's memory before and after, and how the API
answers while four are read at once.

Run: .venv/bin/python bench/bench_hostile_uploads.py

Builds a throw-away instance holding a few hundred reports, then posts
through Flask's test client (the same views waitress serves): the review's
1.7 KB workbook declaring A1:XFD20000, one with a cell on row 1,048,576, a
zip bomb (200 MB of blanks), and a workbook of 1,000,000 rows. Then four
threads post the 1,000,000-row workbook at once while the main thread asks
``/api/reports?format=compact`` again and again. Targets: each refusal
under 5 s, resident memory back within 20 % of its level before, the API's
slowest answer meanwhile under 1 s.
"""

import io
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main():
    import pytest

    from tests.apps import make_app
    from tests.hostile_files import declared, last_row_filled, many_rows, zip_bomb

    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as monkeypatch:
        app = make_app(Path(folder) / "instance", monkeypatch, WTF_CSRF_ENABLED=False)
        source = Path(folder) / "gn.csv"
        source.write_text(
            "Référence;Service;Date des faits;Nature;Cotation;Latitude;Longitude\n"
            + "".join(f"GN-{i};GN;01/03/2026 10:00;Saisie;B2;48,{170 + i % 30};6,{440 + i % 40}\n" for i in range(300)),
            encoding="utf-8",
        )
        assert app.test_cli_runner().invoke(args=["import", str(source)]).exit_code == 0
        client = app.test_client()
        client.get("/api/reports?format=compact")
        print("building the hostile files…", flush=True)
        files = {
            "A1:XFD20000 declared (review: 24 s)": declared("A1:XFD20000"),
            "cell on row 1,048,576 (review: > 60 s)": last_row_filled(),
            "zip bomb, 200 MB of blanks (review: +2 GB)": zip_bomb(),
            "1,000,000 rows (review: 341 s)": many_rows(1_000_000),
        }
        before = rss_mb()
        print(f"resident memory before: {before:.0f} MB")
        for name, data in files.items():
            started = time.perf_counter()
            response = client.post(
                "/signalements/import",
                data={"file": (io.BytesIO(data), "fichier.xlsx")},
                content_type="multipart/form-data",
            )
            seconds = time.perf_counter() - started
            page = response.get_data(as_text=True)
            message = page.split('role="alert">')[1].split("<")[0] if 'role="alert">' in page else ""
            print(f"{name:45s} {len(data) / 1e3:9.0f} KB  {response.status_code}  {seconds:5.2f} s  {message[:90]}")
        after = rss_mb()
        print(f"resident memory after: {after:.0f} MB ({(after - before) / before:+.0%})")

        big = files["1,000,000 rows (review: 341 s)"]
        done = []

        def hostile():
            own = app.test_client()
            own.post(
                "/signalements/import",
                data={"file": (io.BytesIO(big), "fichier.xlsx")},
                content_type="multipart/form-data",
            )
            done.append(1)

        threads = [threading.Thread(target=hostile) for _ in range(4)]
        for thread in threads:
            thread.start()
        latencies = []
        while len(done) < 4:
            started = time.perf_counter()
            assert client.get("/api/reports?format=compact").status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.05)
        for thread in threads:
            thread.join()
        print(
            f"/api/reports during four concurrent hostile uploads: {len(latencies)} answers, median "
            f"{statistics.median(latencies) * 1000:.0f} ms, slowest {max(latencies) * 1000:.0f} ms"
        )
        print(f"resident memory at the end: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
