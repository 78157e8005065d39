"""Helpers for browser tests: a real waitress server on a free local port, and
Debian's chromium driven by Playwright, cut off from everything but 127.0.0.1."""

import os
import socket
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

import waitress
from playwright.sync_api import sync_playwright
from waitress import wasyncore

from tests.signin import TEST_ADMIN, TEST_PASSWORD, session_cookie

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
    "--lang=fr-FR",
]
# The users' chromium speaks French: date fields read dd/mm/yyyy. The
# context's locale alone leaves them in the build's own language; the
# process's language, with Debian's chromium-l10n, does not.
CHROMIUM_ENV = {**os.environ, "LANG": "fr_FR.UTF-8", "LANGUAGE": "fr_FR:fr", "LC_ALL": "fr_FR.UTF-8"}


# The session cookie of the last app served: browser pages start signed in
# with it (cookies do not depend on the port).
_signed_in = {}


@contextmanager
def serve(app, user=TEST_ADMIN):
    """Serve ``app`` with waitress on 127.0.0.1 and yield its base URL.
    Browser pages opened afterwards are signed in as ``user`` (the test
    admin); ``user=None`` leaves them anonymous."""
    _signed_in.clear()
    if user is not None:
        _signed_in.update(name=app.config["SESSION_COOKIE_NAME"], value=session_cookie(app, user))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sockets = {}
    server = waitress.create_server(app, map=sockets, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{port}"
        if _signed_in:
            # A host-only cookie, as the sign-in page sets it (the server's
            # later cookies then replace it instead of shadowing it).
            _signed_in["url"] = base_url + "/"
        yield base_url
    finally:
        # Every socket is closed by the server's own thread, between two
        # select() calls: closed from here, one could vanish under select()
        # and the thread die of a bad file descriptor.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(sockets))
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()


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
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=CHROMIUM_ENV
        )
        try:
            # As the users' chromium: French, Paris time, whatever the
            # machine running the tests says.
            page = browser.new_page(
                viewport={"width": width, "height": height}, locale="fr-FR", timezone_id="Europe/Paris"
            )
            if _signed_in:
                page.context.add_cookies([dict(_signed_in)])
            yield Browser(page)
        finally:
            browser.close()


def sign_in(page, base_url, username=TEST_ADMIN, password=TEST_PASSWORD):
    """Sign in through the login page, as a user would."""
    page.context.clear_cookies()
    page.goto(base_url + "/connexion")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


#: The page has drawn the answers of its ``n``-th refresh or a later one, and
#: the forecast sentence, which the map does not wait for, is written too.
READY = (
    "n => window.crossmap && window.crossmap.census.refreshes > n"
    " && document.documentElement.dataset.state === 'ready'"
    " && document.documentElement.dataset.forecast !== 'pending'"
)


def wait_ready(page, after=0, timeout=30000):
    """Wait for :data:`READY` after ``after`` refreshes; the page's census."""
    page.wait_for_function(READY, arg=after, timeout=timeout)
    return page.evaluate("() => window.crossmap.census")
