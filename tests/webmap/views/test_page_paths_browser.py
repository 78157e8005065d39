"""The paths of issue 12 in a real browser (Debian's chromium through
Playwright): a commander's (30 days → hotspot card → hours, choropleth,
zones → PNG and PDF → briefing → Back until the page is left) and an
analyst's (Émergents → convergent filter → playback → choropleth → search
"St Dié" → Back ×3 → reload). What the exports print is read back with
pypdf and compared with what the page shows."""

import io
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pypdf
import pytest
from PIL import Image

from tests.browser import browser_page, serve, wait_ready
from tests.webmap.views.test_page_state import saved_zone  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[3] / "docs"


def refreshes(page):
    return page.evaluate("() => window.crossmap.census.refreshes")


def query(page):
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def pdf_words(body):
    reader = pypdf.PdfReader(io.BytesIO(body))
    return reader, " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def legend_counts(text, agencies):
    return {
        a["code"]: int(m.group(1).replace("\u202f", "").replace(" ", ""))
        for a in agencies
        if (m := re.search(re.escape(a["name"]) + r" \(([\d\u202f ]+)\)", text))
    }


def test_commanders_path(demo_app, saved_zone, artifacts):  # noqa: F811
    agencies = demo_app.config["AGENCIES"]
    with serve(demo_app) as url, browser_page() as browser:
        page = browser.page
        page.goto(url + "/signalements")
        page.wait_for_selector("html[data-state='ready']")
        entries = page.evaluate("() => history.length")
        page.goto(url + "/")
        census = wait_ready(page)
        # Loading the map is no user action (the agency layers it switches
        # on push nothing): one entry, the map's.
        assert page.evaluate("() => history.length") == entries + 1

        page.click("[data-preset='30']")
        census = wait_ready(page, census["refreshes"])
        thirty = query(page)
        assert "start" in thirty

        page.locator(".leaflet-crossmap-hotspots-pane path").first.dispatch_event("click")
        page.wait_for_selector("#card h2:has-text('Point chaud')")
        assert query(page)["card"].startswith("hotspot:")
        page.click("#card .close")

        page.fill("#hour-from", "18")
        page.press("#hour-from", "Tab")
        census = wait_ready(page, census["refreshes"])
        page.select_option("#choropleth", "rate")
        page.wait_for_selector(".legend strong:has-text('Signalements pour 1 000 habitants')")
        # Every layer drawn has its legend: the zone saved for this test too.
        page.wait_for_selector(".map-legend [data-legend='zones']")
        page.screenshot(path=str(artifacts / "commander-map.png"))
        state = query(page)
        assert state["hours"] == "18-23" and state["choro"] == "rate" and state["start"] == thirty["start"]
        shown = census["total"]
        assert shown > 0

        # The export asks for the page's whole state.
        png_url = page.evaluate("() => document.getElementById('export-form').snapshotUrl()")
        asked = {k: v[0] for k, v in parse_qs(urlsplit(png_url).query).items()}
        for key in ("start", "hours", "choro"):
            assert asked[key] == state[key], key
        assert set(asked["layers"].split(",")) >= {"communes", "reports", "hotspots", "zones"}
        assert "bounds" in asked
        png = page.request.get(url + png_url)
        assert png.ok and Image.open(io.BytesIO(png.body())).size == (1920, 1080)
        (artifacts / "commander-snapshot.png").write_bytes(png.body())

        page.select_option("#export-form select[name=format]", "pdf:A4:landscape")
        pdf_url = page.evaluate("() => document.getElementById('export-form').snapshotUrl()")
        pdf = page.request.get(url + pdf_url)
        assert pdf.ok
        _, text = pdf_words(pdf.body())
        assert "de 18:00 à 23:59" in text and "Signalements pour 1 000 habitants" in text
        assert "Zones d'opération" in text
        # The whole département is in view: the legend counts every report
        # the page draws, agency by agency.
        counts = legend_counts(text, agencies)
        assert sum(counts.values()) == shown, (counts, shown)

        briefing = page.request.get(url + "/export/briefing.pdf?" + urlsplit(pdf_url).query)
        assert briefing.ok
        reader, text = pdf_words(briefing.body())
        assert len(reader.pages) >= 3 and "de 18:00 à 23:59" in text
        (artifacts / "commander-briefing.pdf").write_bytes(briefing.body())

        # Back: one step per action (choropleth, hours, card closed, card,
        # 30 days), then out of the map.
        page.go_back()
        page.wait_for_function("() => document.querySelector('#choropleth').value === ''")
        page.go_back()
        page.wait_for_function("() => document.querySelector('#hour-from').value === '0'")
        assert query(page).get("start") == thirty["start"]
        page.go_back()
        page.wait_for_function("() => new URLSearchParams(location.search).get('card')?.startsWith('hotspot:')")
        page.go_back()
        page.wait_for_function("() => !new URLSearchParams(location.search).get('card')")
        page.go_back()
        page.wait_for_function("() => !new URLSearchParams(location.search).get('start')")
        page.go_back()
        page.wait_for_url(url + "/signalements")
        assert browser.external_requests == [] and browser.console_errors == []


def test_analysts_path(demo_app, artifacts):
    with serve(demo_app) as url, browser_page() as browser:
        page = browser.page
        page.goto(url + "/")
        census = wait_ready(page)

        # Émergents: each cell names the commune containing it, as the API
        # (and the briefing pack) does.
        cells = page.request.get(url + "/api/emerging").json()["cells"]
        items = page.locator("#emerging li").all_inner_texts()
        listed = [text for text in items if "Cellule" in text]
        assert listed
        named = {c["commune"] for c in cells}
        assert all(any(text.endswith(" · " + name) for name in named) for text in listed)
        assert not any(re.search(r"\b1 services\b", text) for text in items)

        page.check("#convergent-only")
        page.wait_for_function("() => new URLSearchParams(location.search).get('convergent') === '1'")

        # Playback inside the chosen period, sliding then cumulative.
        page.click("[data-preset='90']")
        census = wait_ready(page, census["refreshes"])
        ninety = query(page)
        page.select_option("#play-speed", "400")
        for mode in ("sliding", "cumulative"):
            page.select_option("#play-mode", mode)
            page.click("#play")
            page.wait_for_function(
                "() => document.querySelector('#play').getAttribute('aria-pressed') === 'false'", timeout=60000
            )
            period, steps = page.evaluate("() => [window.crossmap.census.playPeriod, window.crossmap.census.playSteps]")
            assert len(steps) >= 3
            assert all(period[0] <= start <= end <= period[1] for start, end in steps), (mode, period, steps)
            assert steps[-1][1] == period[1]
            if mode == "cumulative":
                assert {start for start, _ in steps} == {period[0]}
                assert [end for _, end in steps] == sorted(end for _, end in steps)
            s0, s1 = page.evaluate(
                "() => [+document.querySelector('#slider-start').value, +document.querySelector('#slider-end').value]"
            )
            assert s0 <= s1
            wait_ready(page, 0)
            assert query(page).get("start") == ninety.get("start")
        # Each playback was one entry: Back undoes it, then the preset.
        census = page.evaluate("() => window.crossmap.census")

        page.fill("#eps", "400")
        page.press("#eps", "Tab")
        census = wait_ready(page, census["refreshes"])
        page.select_option("#choropleth", "count")
        page.wait_for_selector(".legend strong:has-text('Signalements par commune')")

        # Search: abbreviations, accents optional, postal and INSEE codes.
        for typed, expected in (
            ("St Dié", "Saint-Dié-des-Vosges"),
            ("st die", "Saint-Dié-des-Vosges"),
            ("88100", "Saint-Dié-des-Vosges"),
            ("88160", "Épinal"),
        ):
            page.fill("#commune-search", typed)
            page.wait_for_selector(f"#commune-options li:has-text('{expected}')")
        page.fill("#commune-search", "Zzyzx")
        page.wait_for_selector("#commune-options li:has-text('aucun résultat')")
        page.fill("#commune-search", "St Dié")
        page.press("#commune-search", "Enter")
        page.wait_for_selector("#card h2:has-text('Saint-Dié-des-Vosges')")
        page.wait_for_function("() => new URLSearchParams(location.search).get('card') === 'commune:88413'")
        before_card = None

        # Back ×3: the commune card, the choropleth, the radius.
        page.go_back()
        page.wait_for_function("() => !new URLSearchParams(location.search).get('card')")
        page.go_back()
        page.wait_for_function("() => document.querySelector('#choropleth').value === ''")
        page.go_back()
        page.wait_for_function("() => document.querySelector('#eps').value === '250'")
        before_card = query(page)
        assert before_card.get("convergent") == "1"
        page.reload()
        wait_ready(page)
        assert page.is_checked("#convergent-only")
        assert query(page).get("start") == before_card.get("start")
        assert browser.external_requests == [] and browser.console_errors == []


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_screenshots_of_the_map_and_the_table(demo_app, artifacts, size):
    width, height = size
    with serve(demo_app) as url, browser_page(width, height) as browser:
        page = browser.page
        page.goto(url + "/?choro=rate&layers=reports,hotspots,cells")
        wait_ready(page)
        page.wait_for_selector(".map-legend")
        page.screenshot(path=str(artifacts / f"map-{width}x{height}.png"))
        page.goto(url + "/signalements?start=2026-09-01&insee=88160")
        page.wait_for_selector("html[data-state='ready']")
        rows = page.locator("#reports-table tbody tr").count()
        assert rows == 50
        page.click("button[data-sort='agency']")
        page.wait_for_function("() => new URLSearchParams(location.search).get('sort') === 'agency'")
        page.wait_for_selector("html[data-state='ready']")
        page.screenshot(path=str(artifacts / f"table-{width}x{height}.png"))
        # A row flies to the report on the map.
        first = page.locator("#reports-table tbody tr").first
        report_id = first.get_attribute("data-id")
        first.click()
        page.wait_for_url(re.compile(r".*/\?.*view=17/"))
        assert query(page)["card"] == f"report:{report_id}"
        wait_ready(page)
        assert browser.external_requests == [] and browser.console_errors == []


def test_snapshot_and_briefing_pictures(demo_client, artifacts):
    """The pictures of the README: a snapshot and a briefing page."""
    png = demo_client.get(
        "/export/snapshot.png?choro=rate&layers=communes,reports,hotspots,cells&hours=18-23&size=1920x1080"
    )
    assert png.status_code == 200
    (artifacts / "snapshot-1920x1080.png").write_bytes(png.data)
    pdf = demo_client.get("/export/briefing.pdf?start=2026-09-07&end=2026-11-29")
    assert pdf.status_code == 200
    (artifacts / "briefing.pdf").write_bytes(pdf.data)
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "110",
                "-f",
                "1",
                "-l",
                "4",
                str(artifacts / "briefing.pdf"),
                str(artifacts / "briefing"),
            ],
            check=True,
        )


def test_charts_have_a_scale_a_legend_and_mark_partial_weeks(demo_app, artifacts):
    with serve(demo_app) as url, browser_page(1920, 1080) as browser:
        page = browser.page
        # Wednesday 2 September to Friday 27 November: both ends cut a week.
        page.goto(url + "/?start=2026-09-02&end=2026-11-27")
        wait_ready(page)
        page.click("#charts summary")
        page.click("#charts-enlarge")
        page.wait_for_selector("#chart-weeks-large svg")
        labels = page.locator("#chart-weeks-large svg text").evaluate_all("texts => texts.map(t => t.textContent)")
        assert "0" in labels and "02/09/2026" not in labels and "31/08/2026" in labels
        assert page.locator("#chart-weeks-large .chart-legend span").count() >= 3
        weeks = page.locator("#chart-weeks-large rect").evaluate_all(
            "bars => [...new Set(bars.map(b => b.getAttribute('x') + (b.classList.contains('partial') ? 'p' : '')))]"
        )
        partial = [w for w in weeks if w.endswith("p")]
        assert len(partial) == 2 and len(weeks) == 13
        assert page.locator("#chart-hours-large .hours-scale span").count() == 5
        page.screenshot(path=str(artifacts / "charts-1920x1080.png"))
        assert browser.console_errors == []


def test_a_viewer_sees_no_control_it_cannot_use(demo_app, saved_zone):  # noqa: F811
    from sqlalchemy import delete

    from tests.signin import add_user
    from webmap import db
    from webmap.db.models import User

    add_user(demo_app, "viewer-page", role="viewer", agency="GN")
    try:
        with serve(demo_app, user="viewer-page") as url, browser_page() as browser:
            page = browser.page
            page.goto(url + "/")
            wait_ready(page)
            assert page.locator("#export-form").count() == 0
            assert page.locator("a[href='/api/zones/export.geojson']").count() == 0
            nav = page.locator("nav.mainnav a").all_inner_texts()
            assert nav == ["Carte", "Signalements"]
            page.locator("#zones button").first.click()
            page.wait_for_selector("#card .zone-count")
            card = page.locator("#card").inner_text()
            assert "null" not in card and "undefined" not in card
            assert page.locator("#card a[href='/api/zones/export.geojson']").count() == 0
            assert page.locator("#card a:has-text('Voir dans le tableau')").count() == 1
            assert browser.console_errors == []
    finally:
        with demo_app.app_context():
            session = db.get_session()
            session.execute(delete(User).where(User.username == "viewer-page"))
            session.commit()
