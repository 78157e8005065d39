"""The map page in a real browser (Debian's chromium through Playwright),
every request outside 127.0.0.1 aborted. Counts on the page are checked
against what the JSON API answers for the same question."""

import json
import re
from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from PIL import Image

from tests.apps import make_app
from tests.browser import browser_page, serve, wait_ready

pytestmark = pytest.mark.browser


def api(app, path, **params):
    with app.test_client() as client:
        response = client.get(path + ("?" + urlencode(params) if params else ""))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()


def assert_clean(browser):
    assert browser.external_requests == []
    assert browser.failed_requests == []
    assert browser.console_errors == []


def test_map_draws_communes_and_reports_offline(demo_app, artifacts):
    agencies = demo_app.config["AGENCIES"]
    with serve(demo_app) as url, browser_page() as browser:
        page = browser.page
        page.goto(url + "/")
        wait_ready(page)
        path = artifacts / "map.png"
        page.screenshot(path=str(path))
        # One step out, so that every point is in view whatever the window.
        page.evaluate("""() => new Promise(done => {
            const map = window.crossmap.map;
            map.once("moveend", () => requestAnimationFrame(() => done()));
            map.setZoom(map.getZoom() - 1, {animate: false});
        })""")
        census = page.evaluate("() => window.crossmap.census")
        overlays = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        communes = page.evaluate("() => window.crossmapHandles.communes.getLayers().length")
        band = page.locator(".fictitious").inner_text()

        # Switching one agency off hides exactly its points.
        page.uncheck("#agency-GN")
        after = wait_ready(page, census["refreshes"])
        page.screenshot(path=str(artifacts / "map-without-gn.png"))
        assert_clean(browser)

    reports = api(demo_app, "/api/reports")["features"]
    expected = {a["code"]: sum(f["properties"]["agency"] == a["code"] for f in reports) for a in agencies}
    assert communes == 506
    assert census["total"] == len(reports)
    for agency in agencies:
        assert census["shown"].get(agency["code"], 0) == expected[agency["code"]], agency["code"]
        assert census["drawn"].get(agency["code"], 0) == expected[agency["code"]], agency["code"]
        assert any(agency["name"] in label for label in overlays), agency["name"]
    assert "GN" not in after["drawn"]
    assert after["drawn"] == {code: n for code, n in expected.items() if code != "GN" and n}
    assert band == "DONNÉES FICTIVES"
    # The screenshot shows a map, not a blank page: many distinct colours.
    colours = Image.open(path).convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 50


def test_filters_follow_the_api_and_the_url_keeps_them(demo_app, artifacts):
    with serve(demo_app) as url, browser_page() as browser:
        page = browser.page
        page.goto(url + "/")
        census = wait_ready(page)

        page.fill("#start", "2026-01-01")
        census = wait_ready(page, census["refreshes"])
        page.fill("#end", "2026-06-30")
        census = wait_ready(page, census["refreshes"])
        in_range = api(demo_app, "/api/reports", start="2026-01-01", end="2026-06-30")["features"]
        assert census["total"] == len(in_range) > 0

        # Days and hours filter in the page (Paris time, as the API writes it).
        page.uncheck("[data-weekday='6']")
        page.fill("#hour-from", "20")
        page.press("#hour-from", "Tab")
        times = [datetime.fromisoformat(f["properties"]["observed_at"]) for f in in_range]
        night = [t for t in times if t.weekday() != 6 and t.hour >= 20]
        page.wait_for_function("n => window.crossmap.census.total === n", arg=len(night))
        assert 0 < len(night) < len(in_range)
        page.check("[data-weekday='6']")
        page.fill("#hour-from", "0")
        page.press("#hour-from", "Tab")
        page.wait_for_function("n => window.crossmap.census.total === n", arg=len(in_range))

        default_hotspots = api(demo_app, "/api/hotspots", start="2026-01-01", end="2026-06-30")["features"]
        assert census["hotspots"] == len(default_hotspots)
        page.fill("#eps", "600")
        page.press("#eps", "Tab")
        census = wait_ready(page, census["refreshes"])
        wide = api(demo_app, "/api/hotspots", start="2026-01-01", end="2026-06-30", eps="600")["features"]
        assert census["hotspots"] == len(wide) != len(default_hotspots)
        assert page.locator("#hotspot-count").inner_text() == str(len(wide))

        # The charts count what the filters keep.
        page.click("#charts summary")
        page.wait_for_selector("#chart-hours td")
        cells = page.locator("#chart-hours td").evaluate_all("cells => cells.map(c => Number(c.title))")
        weeks = page.locator("#chart-weeks rect").evaluate_all(
            "bars => new Set(bars.map(b => b.getAttribute('x'))).size"
        )
        assert len(cells) == 7 * 24 and sum(cells) == census["total"]
        # 1 January to 30 June 2026: 27 weeks, from Monday 29 December.
        assert weeks == 27

        page.select_option("#choropleth", "rate")
        page.wait_for_selector(".legend")
        page.screenshot(path=str(artifacts / "map-filtered.png"))
        state = parse_qs(urlsplit(page.url).query)
        assert state["start"] == ["2026-01-01"] and state["end"] == ["2026-06-30"]
        assert state["eps"] == ["600"] and state["choro"] == ["rate"]
        view = state["view"][0]

        link = page.url

        # Back undoes the last changes, one at a time.
        page.go_back()
        page.wait_for_function("() => document.querySelector('#choropleth').value === ''")
        page.go_back()
        back = wait_ready(page, census["refreshes"])
        assert page.input_value("#eps") == "250"
        assert back["hotspots"] == len(default_hotspots)

        # A copied link shows the same map.
        page.goto(url + "/")
        wait_ready(page)
        page.goto(link)
        copied = wait_ready(page)
        assert copied["total"] == census["total"] and copied["hotspots"] == census["hotspots"]
        assert page.input_value("#start") == "2026-01-01"
        assert page.input_value("#eps") == "600"
        assert page.input_value("#choropleth") == "rate"
        assert parse_qs(urlsplit(page.url).query)["view"] == [view]
        assert_clean(browser)


def test_defaults_from_the_configuration_and_early_questions_are_the_pages(demo_instance, monkeypatch):
    app = make_app(demo_instance, monkeypatch, CLUSTERING={"eps": 400, "min_samples": 7})
    with serve(app) as url, browser_page() as browser:
        page = browser.page
        page.goto(url + "/?agencies=DOUANE,GN&start=2026-01-01")
        census = wait_ready(page)
        # The questions asked while the page loaded were the page's own:
        # reports and hotspots were not asked twice.
        assert census["prefetched"] == 2
        # The page and the API agree on the defaults it leaves out.
        expected = api(app, "/api/hotspots", agencies="GN,DOUANE", start="2026-01-01")["features"]
        assert census["hotspots"] == len(expected)
        assert page.input_value("#eps") == "400" and page.input_value("#min-samples") == "7"
        state = parse_qs(urlsplit(page.url).query)
        assert "eps" not in state and "min_samples" not in state
        assert state["agencies"] == ["GN,DOUANE"]
        page.fill("#eps", "250")
        page.press("#eps", "Tab")
        wait_ready(page, census["refreshes"])
        assert parse_qs(urlsplit(page.url).query)["eps"] == ["250"]
        assert_clean(browser)


def test_commune_search_and_operation_zone(demo_app, artifacts):
    with serve(demo_app) as url, browser_page() as browser:
        page = browser.page
        page.goto(url + "/")
        wait_ready(page)

        # Accent-insensitive: "epinal" finds Épinal.
        page.fill("#commune-search", "epinal")
        page.wait_for_selector("#commune-options li")
        assert page.locator("#commune-options li").first.inner_text().startswith("Épinal")
        page.press("#commune-search", "Enter")
        page.wait_for_selector("#card .commune-count")
        assert "Épinal" in page.locator("#card h2").inner_text()
        centre = page.evaluate("() => window.crossmap.map.getCenter()")
        assert 6.40 < centre["lng"] < 6.52 and 48.13 < centre["lat"] < 48.21
        communes = api(demo_app, "/api/communes")["communes"]
        epinal = next(c for c in communes if c["insee"] == "88160")
        assert page.locator("#card .commune-count").inner_text().replace("\u202f", "") == str(epinal["count"])
        # The trend is the server's, counted on the whole history.
        assert f"{epinal['trend']['recent']} / {epinal['trend']['previous']}" in page.locator("#card").inner_text()
        page.screenshot(path=str(artifacts / "map-commune.png"))

        # Draw a rectangle over the town centre, name it, save it.
        page.click("[data-draw=rectangle]")
        box = page.locator("#map-container").bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x - 120, y - 90)
        page.mouse.down()
        page.mouse.move(x + 30, y + 10, steps=5)
        page.mouse.move(x + 120, y + 90, steps=5)
        # leaflet-draw speaks French, numbers included (a French
        # chromium: "5,26 km²", not "5.26 km²").
        drawing_tip = page.locator(".leaflet-draw-tooltip").inner_text()
        page.mouse.up()
        page.fill("#zone-name", "Opération Moselle")
        page.click(".zone-form button[type=submit]")
        page.wait_for_selector("#card .zone-count")
        shown = int(page.locator("#card .zone-count").inner_text().replace("\u202f", ""))
        page.screenshot(path=str(artifacts / "map-zone.png"))
        listed = page.locator("#zones li").all_inner_texts()
        zones = [z for z in api(demo_app, "/api/zones")["features"] if z["properties"]["name"] == "Opération Moselle"]

        # Rename it, then delete it (after confirming).
        page.fill("#zone-name", "Opération Moselle 2")
        page.click(".zone-form button[type=submit]")
        page.wait_for_function("() => document.querySelector('#zones').innerText.includes('Opération Moselle 2')")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#card >> text=Supprimer")
        page.wait_for_function("() => !document.querySelector('#zones').innerText.includes('Opération Moselle')")
        assert_clean(browser)

    assert "Relâcher la souris" in drawing_tip
    assert re.search(r"\d,\d\d (km²|ha)", drawing_tip), drawing_tip
    assert len(zones) == 1
    assert any("Opération Moselle" in item for item in listed)
    inside = api(demo_app, "/api/reports", zone=json.dumps(zones[0]["geometry"]))["features"]
    assert shown == len(inside) > 0
    assert all(z["properties"]["name"] != "Opération Moselle 2" for z in api(demo_app, "/api/zones")["features"])


def test_playback_advances_week_by_week_and_stops(demo_app):
    with serve(demo_app) as url, browser_page() as browser:
        page = browser.page
        page.goto(url + "/")
        wait_ready(page)
        page.select_option("#play-speed", "400")
        page.click("#play")
        page.wait_for_function("() => window.crossmap.census.playStep >= 3", timeout=15000)
        first_end = page.input_value("#end")
        page.wait_for_function("() => window.crossmap.census.playStep >= 4", timeout=15000)
        assert page.input_value("#end") > first_end
        page.click("#play")
        assert page.get_attribute("#play", "aria-pressed") == "false"
        stopped_at = page.evaluate("() => window.crossmap.census.playStep")
        page.wait_for_timeout(1200)
        assert page.evaluate("() => window.crossmap.census.playStep") == stopped_at
        start, end = page.input_value("#start"), page.input_value("#end")
        state = parse_qs(urlsplit(page.url).query)
        assert state["start"] == [start] and state["end"] == [end]
        assert_clean(browser)


def test_empty_database_draws_the_basemap_without_errors(app):
    with serve(app) as url, browser_page() as browser:
        browser.page.goto(url + "/")
        census = wait_ready(browser.page)
        assert browser.page.locator("#emerging li").all_inner_texts() == [
            "Rien de nouveau ni en hausse avec ces filtres."
        ]
        assert_clean(browser)
    assert census["total"] == 0 and census["hotspots"] == 0


def test_hotspot_card_tells_its_life_and_the_panel_its_forecast(demo_app):
    # Over 90 days, the card says since when the place is active (from its
    # whole history), what the period holds and its status.
    start, end = "2026-09-01", "2026-11-29"
    features = api(demo_app, "/api/hotspots", start=start, end=end)["features"]
    spot = max((f for f in features if not f["properties"]["dormant"]), key=lambda f: f["properties"]["period_count"])
    props = spot["properties"]
    with serve(demo_app) as url, browser_page() as browser:
        page = browser.page
        page.goto(f"{url}/?start={start}&end={end}&card=hotspot:{props['code']}")
        wait_ready(page)
        page.wait_for_selector("#card .life")
        first = datetime.fromisoformat(props["first_seen"]).strftime("%d/%m/%Y")
        assert page.locator("#card .life").inner_text().startswith(f"actif depuis le {first} · ")
        assert "signalements sur la période" in page.locator("#card .life").inner_text()
        page.wait_for_function(
            "() => document.getElementById('backtest-line').textContent.startsWith('Les points chauds des 12 dernières')"
        )
        assert_clean(browser)


def test_back_from_a_second_commune_card_returns_to_the_first(demo_app):
    # Issue 12: "a second commune card replaces the first one's history
    # entry". Each card is one entry: Back shows the first card again (its
    # view too), then the map as it was before either.
    def card(page):
        return page.evaluate("() => new URLSearchParams(location.search).get('card') || ''")

    with serve(demo_app) as url, browser_page() as browser:
        page = browser.page
        # No points or hotspots over the communes: a click reaches them.
        page.goto(url + "/?view=10/48.18/6.45&layers=")
        wait_ready(page)
        before = page.url
        page.fill("#commune-search", "epinal")
        page.wait_for_selector("#commune-options li")
        page.press("#commune-search", "Enter")
        page.wait_for_selector("#card h2:has-text('Épinal')")
        page.wait_for_function("() => new URLSearchParams(location.search).get('view') !== '10/48.18000/6.45000'")
        page.wait_for_timeout(500)  # the end of the flight, written in place
        first = page.url
        # A click on Golbey, north of Épinal.
        box = page.locator("#map-container").bounding_box()
        point = page.evaluate("() => window.crossmap.map.latLngToContainerPoint([48.20, 6.43])")
        page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        page.wait_for_selector("#card h2:has-text('Golbey')")
        assert card(page) == "commune:88209"

        page.go_back()
        page.wait_for_selector("#card h2:has-text('Épinal')")
        assert card(page) == "commune:88160" and page.url == first
        page.go_back()
        page.wait_for_function("() => document.querySelector('#card').hidden")
        assert card(page) == "" and page.url == before
        assert_clean(browser)
