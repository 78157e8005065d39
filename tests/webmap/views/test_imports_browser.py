"""The upload page in a real browser: upload, preview, confirm."""

from pathlib import Path

import pytest

from tests.browser import browser_page, serve

pytestmark = pytest.mark.browser

DATA = Path(__file__).parents[2] / "data"


def test_upload_preview_and_confirm_in_a_browser(app, artifacts):
    with serve(app) as url, browser_page(width=1366, height=900) as browser:
        page = browser.page
        page.goto(url + "/signalements/import")
        page.set_input_files("#file", str(DATA / "reports-gn-cp1252.csv"))
        page.click("button[type=submit]")
        page.wait_for_selector("#mapping")
        page.screenshot(path=str(artifacts / "import-preview.png"), full_page=True)
        counts = page.locator(".counts").inner_text()
        selected = page.locator("#mapping select").evaluate_all("selects => selects.map(s => s.value)")
        page.click("text=Confirmer l'import")
        page.wait_for_selector("#batches")
        flash = page.locator(".flash").inner_text()

    assert "7 valides" in counts
    assert selected[:3] == ["agency_ref", "agency", "observed_at"]
    assert flash.startswith("Lot 1 : 7 ajoutés")
    assert browser.external_requests == [] and browser.console_errors == []
