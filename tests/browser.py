"""Helpers for browser tests: a real waitress server on a free local port, and
Debian's chromium driven by Playwright, cut off from everything but 127.0.0.1."""

import socket
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

import waitress
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Without these, chromium phones home at start-up; on a closed network that
# is noise at best and a leak at worst.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serve(app):
    """Serve ``app`` with waitress on 127.0.0.1 and yield its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = waitress.create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        thread.join(timeout=5)


class Browser:
    """A chromium page that records console errors, failed requests and every
    request that tried to leave the machine (those are aborted)."""

    def __init__(self, page):
        self.page = page
        self.console_errors = []
        self.failed_requests = []
        self.external_requests = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed_requests.append(f"{r.url} {r.failure}"))
        page.route("**/*", self._only_local)

    def _only_local(self, route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.external_requests.append(route.request.url)
            route.abort()


@contextmanager
def browser_page(width=1366, height=768):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield Browser(page)
        finally:
            browser.close()
