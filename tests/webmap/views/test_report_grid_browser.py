"""The map page with more reports than MAP_POINTS_MAX: squares counted by the
server at the département's scale, points again once zoomed in (a real
browser, the threshold lowered so that the demo data is "too many")."""

import pytest

from tests.apps import make_app
from tests.browser import browser_page, serve

pytestmark = pytest.mark.browser

CENSUS = """() => { const c = window.crossmap.census;
  return { grid: c.grid, squares: c.squares || null, drawn: c.drawn, total: c.total, reportsTaken: c.reportsTaken }; }"""
READY = "() => window.crossmap && window.crossmap.census.refreshes > 0 && document.documentElement.dataset.state === 'ready'"
EPINAL = (48.1737, 6.4497)


def test_many_reports_are_drawn_as_squares_then_points_when_zoomed_in(demo_instance, monkeypatch, artifacts):
    app = make_app(demo_instance, monkeypatch, MAP_POINTS_MAX=1000)
    with app.test_client() as client:
        total = client.get("/api/reports?format=compact")
        total = total.get_json()["count"]
    assert total > 1000
    with serve(app) as url, browser_page() as browser:
        page = browser.page
        page.goto(url + "/")
        page.wait_for_function(READY, timeout=30000)
        page.wait_for_function("() => window.crossmap.census.squares", timeout=10000)
        far = page.evaluate(CENSUS)
        legend = page.locator("[data-legend=squares]").inner_text()
        summary = page.locator("#summary").inner_text()
        page.screenshot(path=str(artifacts / "map-squares.png"))
        taken = far["reportsTaken"]
        page.evaluate(f"() => {{ window.crossmap.map.setView([{EPINAL[0]}, {EPINAL[1]}], 15, {{animate: false}}); }}")
        page.wait_for_function(f"() => window.crossmap.census.reportsTaken > {taken}", timeout=20000)
        page.wait_for_function("() => Object.keys(window.crossmap.census.drawn).length > 0", timeout=10000)
        near = page.evaluate(CENSUS)
        legend_near = page.locator("[data-legend=squares]").count()
        page.screenshot(path=str(artifacts / "map-squares-zoomed.png"))
        # Back out: squares again.
        page.evaluate(f"() => {{ window.crossmap.map.setView([{EPINAL[0]}, {EPINAL[1]}], 9, {{animate: false}}); }}")
        page.wait_for_function(f"() => window.crossmap.census.reportsTaken > {near['reportsTaken']}", timeout=20000)
        again = page.evaluate(CENSUS)
        assert browser.external_requests == [] and browser.failed_requests == [] and browser.console_errors == []

    # Far: squares, every report of the filter counted once, none as a point.
    assert far["grid"]["cells"] > 10 and far["squares"]["drawn"] > 10
    assert far["squares"]["reports"] == far["total"] == total
    assert far["drawn"] == {}
    size = far["grid"]["cell_m"]
    assert f"maille de {size // 1000} km" in legend and "zoomez pour voir les points" in legend
    assert summary.startswith(f"{total:,}".replace(",", "\u202f")) or summary.split()[0].replace("\u202f", "").replace(
        "\xa0", ""
    ) == str(total)
    # Near: the points of the view, no squares, no square legend.
    assert near["grid"] is None and near["squares"] is None
    assert 0 < sum(near["drawn"].values()) <= 1000
    assert legend_near == 0
    assert again["grid"] is not None and again["squares"]["drawn"] > 0
