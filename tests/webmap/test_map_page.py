"""The map page as HTML: French, air-gapped, marked."""

import re


def test_map_page_serves_only_local_assets(demo_client):
    page = demo_client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in page
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources, "the page loads its scripts and styles"
    assert all(s.startswith("/static/") for s in sources), sources
    for source in sources:
        with demo_client.get(source) as response:
            assert response.status_code == 200, source


def test_map_page_shows_marking_and_fictitious_band(demo_client, demo_app):
    page = demo_client.get("/").get_data(as_text=True)
    assert "DIFFUSION RESTREINTE" in page
    assert "DONNÉES FICTIVES" in page
    assert "signalements" in page


def test_no_fictitious_band_without_demo_data(client):
    page = client.get("/").get_data(as_text=True)
    assert "DONNÉES FICTIVES" not in page
    assert "0 signalement" in page


def test_free_text_is_escaped_in_popups(app, runner):

    from analysis.demo import generate_reports
    from geo.reference import load_communes
    from webmap.db import get_session
    from webmap.store import add_demo_batch

    reports, _ = generate_reports(load_communes(), seed=1, years=1)
    reports = reports.head(3).copy()
    reports["place_text"] = '<img src=x onerror="alert(1)">'
    with app.app_context():
        session = get_session()
        add_demo_batch(session, reports)
        session.commit()
    page = app.test_client().get("/").get_data(as_text=True)
    assert "<img src=x" not in page
    # The popup writes its values as HTML: they reach it escaped (the JSON
    # embedding may itself escape the ampersand).
    assert "&lt;img src=x" in page.replace("\\u0026", "&")
