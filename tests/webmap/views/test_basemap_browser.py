"""The cell's own basemaps in a real browser (Debian's chromium through
Playwright), every request outside 127.0.0.1 aborted: the raster MBTiles
drawn by Leaflet, the vector PMTiles by the vendored protomaps-leaflet, and
the export control sending the base layer shown."""

from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image

from tests.basemap_archives import (  # noqa: F401 - archive_files is a fixture
    EPINAL,
    RASTER_GROUND,
    RASTER_NAME,
    RASTER_STREET,
    VECTOR_NAME,
    archive_files,
    install,
)
from tests.browser import browser_page, serve, wait_ready
from webmap.render.tiles import VECTOR_STYLE

pytestmark = pytest.mark.browser

# Tile layers still loading: a zoom would abort their requests (no error,
# but it would hide a real one among the failed requests). Tiles the
# archive lacks (204) count as done.
# Loaded, and faded in: Leaflet fades each new tile from transparent, and a
# screenshot taken mid-fade shows paler colours than the archive's.
TILES_LOADED = (
    "() => { let busy = false; window.crossmap.map.eachLayer(l => {"
    " if (l instanceof L.GridLayer && l.isLoading()) busy = true; });"
    " return !busy && [...document.querySelectorAll('img.leaflet-tile')]"
    ".every(t => getComputedStyle(t).opacity === '1'); }"
)
# Painted vector tiles: canvases holding the style's earth and road colours.
VECTOR_PAINTED = """([earth, road]) => {
    const canvases = [...document.querySelectorAll('canvas.leaflet-tile')];
    let found = [0, 0];
    for (const canvas of canvases) {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < data.length; i += 4) {
            if (data[i] === earth[0] && data[i + 1] === earth[1] && data[i + 2] === earth[2]) found[0]++;
            if (data[i] === road[0] && data[i + 1] === road[1] && data[i + 2] === road[2]) found[1]++;
        }
    }
    return found[0] > 10000 && found[1] > 50 ? found : null;
}"""


def rgb(colour):
    return [int(colour[i : i + 2], 16) for i in (1, 3, 5)]


def share_of(path, colour, tolerance=0):
    pixels = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3).astype(int)
    return float((np.abs(pixels - np.array(colour)) <= tolerance).all(axis=1).mean())


def go_to_epinal(page, zoom):
    page.evaluate(
        """([lat, lon, zoom]) => new Promise(done => {
        const map = window.crossmap.map;
        map.once("moveend", () => requestAnimationFrame(() => done()));
        map.setView([lat, lon], zoom, {animate: false});
    })""",
        [EPINAL[1], EPINAL[0], zoom],
    )


def snapshot_of_the_view(page, base_url, artifacts, name):
    """The PNG snapshot the export control asks for (the page's view and
    base layer), saved as an artefact; returns its address and path."""
    page.evaluate("() => { window.opened = []; window.open = (u) => { window.opened.push(u); return null; }; }")
    page.click("#export-form button[type=submit]")
    (address,) = page.evaluate("() => window.opened")
    response = page.request.get(base_url + address)
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    path = artifacts / name
    path.write_bytes(response.body())
    return address, path


def choose_base_layer(page, name):
    page.evaluate(
        """name => {
        for (const label of document.querySelectorAll('.leaflet-control-layers-base label')) {
            if (label.textContent.trim() === name) label.querySelector('input').click();
        }
    }""",
        name,
    )


def test_page_draws_the_installed_basemaps_offline(app, archive_files, artifacts):  # noqa: F811
    install(app, archive_files)
    tile_answers = []
    with serve(app) as url, browser_page(1920, 1080) as browser:
        page = browser.page
        page.on("response", lambda r: "/tiles/" in r.url and tile_answers.append((urlsplit(r.url).path, r.status)))
        page.goto(url + "/")
        wait_ready(page)
        bases = page.locator(".leaflet-control-layers-base label").all_inner_texts()
        shown_first = page.evaluate("() => window.crossmapBasemap")
        page.wait_for_function(TILES_LOADED, timeout=20000)

        # The raster archive, default, at a street zoom over Épinal.
        go_to_epinal(page, 14)
        page.wait_for_function(TILES_LOADED, timeout=20000)
        raster_shot = artifacts / "basemap-raster.png"
        page.screenshot(path=str(raster_shot))
        raster_address, raster_snapshot = snapshot_of_the_view(page, url, artifacts, "basemap-raster-snapshot.png")

        # The vector archive, chosen in the layer control.
        choose_base_layer(page, VECTOR_NAME)
        painted = page.wait_for_function(
            VECTOR_PAINTED, arg=[rgb(VECTOR_STYLE["earth"]), [255, 255, 255]], timeout=20000
        ).json_value()
        vector_shot = artifacts / "basemap-vector.png"
        page.screenshot(path=str(vector_shot))
        shown_after = page.evaluate("() => window.crossmapBasemap")

        vector_address, vector_snapshot = snapshot_of_the_view(page, url, artifacts, "basemap-vector-snapshot.png")

        assert browser.external_requests == []
        assert browser.console_errors == []
        assert browser.failed_requests == []

    assert [label.strip() for label in bases] == [RASTER_NAME, VECTOR_NAME, "Communes seules"]
    assert shown_first == RASTER_NAME and shown_after == VECTOR_NAME
    raster = [status for path, status in tile_answers if path.startswith("/tiles/plan-test/14/")]
    vector = [status for path, status in tile_answers if path.startswith("/tiles/osm-test/13/")]
    assert raster.count(200) >= 8 and vector.count(200) >= 4
    assert {status for _, status in tile_answers} <= {200, 204, 304}
    # Over the basemap the communes are outlines only: the tiles' own
    # colours reach the screen unchanged.
    assert share_of(raster_shot, RASTER_GROUND) > 0.3
    assert share_of(raster_shot, RASTER_STREET) > 0.001
    assert painted[0] > 10000
    # The canvas shades the style's earth colour slightly from tile to tile.
    assert share_of(vector_shot, rgb(VECTOR_STYLE["earth"]), tolerance=6) > 0.3
    assert share_of(vector_shot, RASTER_GROUND) == 0
    # The snapshot of the same view draws the same basemap (server-side).
    assert parse_qs(urlsplit(raster_address).query)["basemap"] == [RASTER_NAME]
    assert parse_qs(urlsplit(vector_address).query)["basemap"] == [VECTOR_NAME]
    assert share_of(raster_snapshot, RASTER_GROUND) > 0.2
    assert share_of(raster_snapshot, RASTER_STREET) > 0.0005
    assert share_of(vector_snapshot, rgb(VECTOR_STYLE["earth"])) > 0.2
    assert share_of(vector_snapshot, RASTER_GROUND) == 0
