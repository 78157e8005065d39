"""The map page in headless chromium: time to a usable page and to a filter
change reflected on the map, with 10,000 and 100,000 reports.

Run: .venv/bin/python bench/bench_map_browser.py [--sizes 10000 100000]

For each size, builds a throw-away instance (the demo generator repeated with
jitter, as bench/bench_api.py does), serves it with waitress on 127.0.0.1 and
drives Debian's chromium through Playwright (every other host aborted).

"usable" is the page script's own signal: reports and hotspots fetched and
drawn (``<html data-state="ready">``). "cold" is the first visit after the
server started (every API cache empty); "warm" a reload. Filter changes are
timed from the user's action to the map redrawn: a new date range (a
question the server has not been asked), a clustering radius, an agency
switched off.

Targets (issue 5): usable within 1.5 s and any filter change within 0.5 s at
10,000 reports; at 100,000 the page must stay responsive (points grouped).
Issue 12: the table's first page under 300 ms at 100,000 reports
(bench/bench_table.py times the API alone, cold and warm).
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_api import build  # noqa: E402  (the same scaled demo data)

READY = (
    "n => window.crossmap && window.crossmap.census.refreshes > n && document.documentElement.dataset.state === 'ready'"
)


# The forecast sentence under the hotspots' count, which the map does not
# wait for, is written.
FORECAST = "() => document.documentElement.dataset.forecast !== 'pending'"


def settle(page):
    """Let the forecast sentence arrive, as it does while a user reads the
    map: the next action would otherwise abort its request."""
    page.wait_for_function(FORECAST, timeout=120_000)


def timed(page, action):
    """Seconds from ``action()`` to the map redrawn after the next refresh."""
    before = page.evaluate("() => window.crossmap.census.refreshes")
    start = time.perf_counter()
    action()
    page.wait_for_function(READY, arg=before, timeout=120_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
    seconds = time.perf_counter() - start
    settle(page)
    return seconds


def measure(app):
    from tests.browser import browser_page, serve

    figures = {}
    with serve(app) as url, browser_page() as browser:
        page = browser.page
        start = time.perf_counter()
        page.goto(url + "/", wait_until="commit")
        page.wait_for_function(READY, arg=0, timeout=120_000)
        figures["usable, cold"] = time.perf_counter() - start
        settle(page)
        figures["  cold: forecast sentence written"] = time.perf_counter() - start
        cold = page.evaluate("() => window.crossmap.census")
        figures["  cold: page script starts"] = cold["scriptStart"] / 1000
        for name, ms in cold["timings"].items():
            figures[f"  cold: {name}"] = ms / 1000
        start = time.perf_counter()
        page.reload(wait_until="commit")
        page.wait_for_function(READY, arg=0, timeout=120_000)
        figures["usable, warm"] = time.perf_counter() - start
        settle(page)
        census = page.evaluate("() => window.crossmap.census")
        figures["  warm: page script starts"] = census["scriptStart"] / 1000
        figures["hotspots"] = census["hotspots"]
        for name, ms in census["timings"].items():
            figures[f"  warm: {name}"] = ms / 1000
        figures["grouped at start"] = census["grouped"]
        last_day = page.evaluate("() => JSON.parse(document.getElementById('crossmap-config').textContent).last_day")
        year = int(last_day[:4])
        figures["date range (new question)"] = timed(page, lambda: page.fill("#start", f"{year - 1}-01-01"))
        figures["same range again (cached)"] = timed(page, lambda: page.click("[data-preset=all]"))
        figures["date range again"] = timed(page, lambda: page.fill("#start", f"{year - 1}-01-01"))

        def radius():
            page.fill("#eps", "400")
            page.press("#eps", "Tab")

        figures["clustering radius"] = timed(page, radius)
        figures["agency off"] = timed(page, lambda: page.uncheck("#agency-GN"))
        # The table of reports reached from the map with its filters (the
        # server holds those reports already), then its next page.
        page.goto(url + "/signalements?" + page.url.split("?", 1)[1], wait_until="commit")
        page.wait_for_function(
            "() => window.crossmapTable && document.documentElement.dataset.state === 'ready'", timeout=120_000
        )
        figures["table: first page (fetch)"] = page.evaluate("() => window.crossmapTable.ms") / 1000
        start = time.perf_counter()
        page.click("#table-next")
        page.wait_for_function(
            "() => window.crossmapTable.answer.page === 2 && document.documentElement.dataset.state === 'ready'",
            timeout=120_000,
        )
        figures["table: next page"] = time.perf_counter() - start
        figures["errors"] = len(browser.console_errors) + len(browser.failed_requests) + len(browser.external_requests)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as instance:
            app = build(size, instance)
            figures = measure(app)
        print(f"--- {size:,} reports".replace(",", " "))
        for name, value in figures.items():
            shown = f"{value:.2f} s" if isinstance(value, float) else str(value)
            print(f"  {name:<28} {shown}")


if __name__ == "__main__":
    main()
