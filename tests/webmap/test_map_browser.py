"""The map page in a real browser (Debian's chromium through Playwright)."""

import pytest
from PIL import Image

from tests.browser import browser_page, serve

pytestmark = pytest.mark.browser

# Leaflet draws on canvas here (prefer_canvas), so the page's own map object
# is asked what it holds.
LAYER_CENSUS = """() => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    const census = {polygons: 0, points: 0, pointsByColour: {}};
    map.eachLayer(layer => {
        if (layer instanceof L.Polygon) census.polygons += 1;
        else if (layer instanceof L.CircleMarker) {
            census.points += 1;
            const colour = layer.options.fillColor;
            census.pointsByColour[colour] = (census.pointsByColour[colour] || 0) + 1;
        }
    });
    return census;
}"""


def test_map_draws_communes_and_reports_offline(demo_app, artifacts):
    agencies = demo_app.config["AGENCIES"]
    with serve(demo_app) as url, browser_page() as browser:
        browser.page.goto(url + "/", wait_until="load")
        browser.page.wait_for_selector(".leaflet-control-layers-overlays")
        census = browser.page.evaluate(LAYER_CENSUS)
        overlays = browser.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        band = browser.page.locator(".fictitious").inner_text()
        path = artifacts / "map.png"
        browser.page.screenshot(path=str(path))

    assert census["polygons"] == 506
    with demo_app.app_context():
        from webmap.db import get_session
        from webmap.store import reports_frame

        reports = reports_frame(get_session())
    assert census["points"] == len(reports)
    for agency in agencies:
        expected = int((reports["agency"] == agency["code"]).sum())
        assert census["pointsByColour"].get(agency["colour"], 0) == expected, agency["code"]
        assert any(agency["name"] in label for label in overlays), agency["name"]
    assert band == "DONNÉES FICTIVES"
    assert browser.external_requests == []
    assert browser.failed_requests == []
    assert browser.console_errors == []
    # The screenshot shows a map, not a blank page: many distinct colours.
    colours = Image.open(path).convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 50
