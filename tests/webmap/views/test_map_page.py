"""The map page as HTML: French, air-gapped, marked, light (the data comes
from the JSON API, not inside the page)."""

import json
import re

from tests.apps import make_app


def page_config(page):
    text = page.split('<script type="application/json" id="crossmap-config">', 1)[1].split("</script>", 1)[0]
    return json.loads(text)


def test_map_page_serves_only_local_assets(demo_client):
    page = demo_client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in page
    # Scripts, styles and images (links to other pages are not assets).
    sources = re.findall(r'<(?:script|link|img)\b[^>]*?(?:src|href)="([^"]+)"', page)
    assert sources, "the page loads its scripts and styles"
    local = [s for s in sources if not s.startswith("/api/")]
    assert all(s.startswith("/static/") for s in local), local
    for source in local:
        with demo_client.get(source) as response:
            assert response.status_code == 200, source
    assert "/static/js/map/main.js" in sources


def test_map_page_shows_marking_and_fictitious_band(demo_client):
    page = demo_client.get("/").get_data(as_text=True)
    assert "DIFFUSION RESTREINTE" in page
    assert "DONNÉES FICTIVES" in page
    assert "signalements" in page


def test_no_fictitious_band_without_demo_data(client):
    page = client.get("/").get_data(as_text=True)
    assert "DONNÉES FICTIVES" not in page
    assert "0 signalement" in page


def test_reports_are_not_embedded_in_the_page(demo_client):
    """12,000 reports made a 4 MB page; the script fetches them instead."""
    response = demo_client.get("/")
    page = response.get_data(as_text=True)
    reports = demo_client.get("/api/reports").get_json()["features"]
    assert len(response.data) < 1_500_000
    # Street addresses: a commune's name is in the page anyway (search box).
    places = {f["properties"]["place"] for f in reports[:500] if re.match(r"\d+ ", f["properties"]["place"])}
    assert places and not any(place in page for place in places)


def test_page_tells_the_script_agencies_symbols_and_french_labels(demo_client, demo_app):
    config = page_config(demo_client.get("/").get_data(as_text=True))
    agencies = demo_app.config["AGENCIES"]
    assert [a["code"] for a in config["agencies"]] == [a["code"] for a in agencies]
    # Colour and a distinct symbol each, for colour-blind readers.
    assert len({a["symbol"] for a in config["agencies"]}) == len(agencies)
    assert config["categories"]["deal_point"] == "Point de deal"
    assert config["categories"]["trafficking"] == "Trafic de stupéfiants"
    # Reports accepted outside the département are flagged in their popup.
    assert config["departement"] == demo_app.config["DEPARTEMENT"]
    assert config["text"]["outside"] == "Hors du département (commune)"
    assert config["text"]["weekdays"][0] == "lun"
    assert config["statuses"]["new"]["label"] == "nouveau"
    assert len(config["communes"]) == 506
    assert config["first_day"] < config["last_day"]
    assert config["ssmsi"]["years"][0] == 2016


def test_page_carries_the_csrf_token_for_the_script(client):
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', page)


def test_internet_tiles_only_when_configured(tmp_path, monkeypatch, client):
    assert "geopf.fr" not in client.get("/").get_data(as_text=True)
    app = make_app(tmp_path / "tiles", monkeypatch, TILE_LAYERS=["GeoportailFrance.plan"])
    page = app.test_client().get("/").get_data(as_text=True)
    assert "data.geopf.fr" in page
    # Off until the user switches it on.
    assert re.search(r"tile_layer_\w+ = L\.tileLayer\(", page)
    assert not re.search(r"tile_layer_\w+\.addTo\(", page)


def test_only_those_who_plan_get_the_drawing_tools(app):
    from tests.signin import add_user

    add_user(app, "analyste", role="analyst")
    assert 'data-draw="polygon"' in app.test_client().get("/").get_data(as_text=True)
    page = app.test_client(user="analyste").get("/").get_data(as_text=True)
    assert 'data-draw="polygon"' not in page
    assert 'data-measure="distance"' in page
    assert page_config(page)["can_plan"] is False


def test_every_page_shows_the_fictitious_band_while_demo_data_is_loaded(demo_app):
    signed_in = demo_app.test_client()
    anonymous = demo_app.test_client(user=None)
    for client, path in ((anonymous, "/connexion"), (signed_in, "/signalements/lots"), (signed_in, "/admin/journal")):
        page = client.get(path).get_data(as_text=True)
        assert "DONNÉES FICTIVES" in page, path
        assert "DIFFUSION RESTREINTE" in page, path


def test_clustering_defaults_come_from_the_configuration(tmp_path, monkeypatch):
    app = make_app(tmp_path / "clustering", monkeypatch, CLUSTERING={"eps": 400, "min_samples": 7})
    page = app.test_client().get("/").get_data(as_text=True)
    assert page_config(page)["clustering"] == {"eps": 400, "min_samples": 7}
    assert re.search(r'id="eps"[^>]* value="400"', page)
    assert re.search(r'id="min-samples"[^>]* value="7"', page)
