"""One state, one contract: the map page's state, sent whole as its query
string to the snapshot (PNG, PDF) and briefing (PDF) endpoints, is
honoured field by field. PDFs are read with pypdf."""

import io
import re

import pypdf
import pytest
from PIL import Image

from webmap import db
from webmap.services import zones
from webmap.services.filters import parse_filter, select_reports
from webmap.services.snapshots import make_snapshot, parse_snapshot_request

AGENCY_CODES = ["GN", "PN-SP", "PJ", "PAF", "DOUANE", "GIR"]
# Épinal and around, as a zoomed page would send it.
BOUNDS = "6.35,48.12,6.56,48.22"
DRAWN = '{"type":"Polygon","coordinates":[[[6.38,48.14],[6.53,48.14],[6.53,48.21],[6.38,48.21],[6.38,48.14]]]}'
# Every field of the page's state away from its default.
STATE = {
    "start": "2026-03-01",
    "end": "2026-11-30",
    "weekdays": "4,5",
    "hours": "18-23",
    "agencies": "GN,PN-SP,DOUANE",
    "categories": "deal_point,seizure,tip,arrest",
    "substances": "cannabis_resin,cannabis_herb,cocaine,heroin",
    "min_grading": "D4",
    "eps": "300",
    "min_samples": "4",
    "layers": "communes,reports,hotspots,cells,zones,heat",
    "choro": "rate",
    "labels": "communes",
    "convergent": "1",
    "view": "13/48.17/6.45",
    "bounds": BOUNDS,
    "zone": DRAWN,
    "card": "commune:88160",
}


@pytest.fixture
def saved_zone(demo_app):
    """A saved operation zone for the test only (the demo database is
    shared by the session)."""
    with demo_app.app_context():
        session = db.get_session()
        zone = zones.save_zone(
            session,
            zones.parse_zone({"name": "Secteur gare", "shape": "circle", "center": [6.44, 48.175], "radius_m": 800}),
        )
        session.commit()
        zone_id = zone.id
    yield zone_id
    with demo_app.app_context():
        session = db.get_session()
        session.delete(session.get(zones.Zone, zone_id))
        session.commit()


def pdf_text(body):
    reader = pypdf.PdfReader(io.BytesIO(body))
    return " ".join(page.extract_text() for page in reader.pages).replace("\n", " ")


def shown_counts(app, state, extent):
    """Reports per agency the legend must count: those the filter keeps
    (weekdays and hours included) inside the map's extent."""
    with app.app_context():
        reports = select_reports(db.get_session(), parse_filter(state))
    xmin, ymin, xmax, ymax = extent
    inside = reports[reports["x_l93"].between(xmin, xmax) & reports["y_l93"].between(ymin, ymax)]
    return inside.groupby("agency").size().to_dict()


def legend_count(labels, name):
    label = next(label for label in labels if label.startswith(name))
    return int(re.search(r"\(([\d\u202f]+)\)", label).group(1).replace("\u202f", ""))


def test_snapshot_honours_every_field_of_the_page_state(demo_app, saved_zone):
    with demo_app.app_context():
        request = parse_snapshot_request(STATE, known_agencies=AGENCY_CODES)
        result = make_snapshot(db.get_session(), request, output="png", author="test")
    labels = result.legend_labels

    # Period, weekdays, hours, agencies, categories, grading: the counts.
    expected = shown_counts(demo_app, STATE, result.extent)
    names = {"GN": "Gendarmerie nationale", "PN-SP": "Police nationale", "DOUANE": "Douane"}
    assert expected and set(expected) <= set(names)
    for code, count in expected.items():
        assert legend_count(labels, names[code]) == count, code
    everything = shown_counts(
        demo_app, {k: v for k, v in STATE.items() if k not in ("weekdays", "hours")}, result.extent
    )
    assert sum(everything.values()) > sum(expected.values()), "the hours and weekdays must narrow what is drawn"
    assert not any(label.startswith(("Police judiciaire", "Police aux frontières")) for label in labels)
    # Layers and choropleth: one legend entry each, classes with values.
    assert "Signalements pour 1 000 habitants" in labels
    assert sum(label.startswith("> ") for label in labels) == 5
    assert "Zones d'opération" in labels
    assert "Zone dessinée (filtre)" in labels
    assert "Densité des signalements" in labels
    # The view: the page's bounds, not the whole département.
    width_m = result.extent[2] - result.extent[0]
    assert width_m < 30_000


def test_emerging_cells_layer_has_its_legend(demo_app):
    with demo_app.app_context():
        request = parse_snapshot_request({"layers": "cells"}, known_agencies=AGENCY_CODES)
        result = make_snapshot(db.get_session(), request, output="png", author="test")
    assert any(label.startswith("Cellule émergente : ") for label in result.legend_labels)
    assert not any(label.startswith("Gendarmerie") for label in result.legend_labels)


def test_png_and_pdf_endpoints_take_the_page_query_string_whole(demo_client, saved_zone):
    query = "&".join(f"{k}={v}" for k, v in STATE.items())
    png = demo_client.get(f"/export/snapshot.png?{query}&size=1366x768")
    assert png.status_code == 200, png.data[:300]
    assert Image.open(io.BytesIO(png.data)).size == (1366, 768)

    pdf = demo_client.get(f"/export/snapshot.pdf?{query}&paper=A4&orientation=landscape")
    assert pdf.status_code == 200, pdf.data[:300]
    text = pdf_text(pdf.data)
    # The filters in words, hours and weekdays included.
    for words in (
        "Du 01/03/2026 au 30/11/2026",
        "jours : vendredi, samedi",
        "de 18:00 à 23:59",
        "cotation D4 ou meilleure",
        "produits : ",
        "dans la zone dessinée",
        "rayon 300 m, 4 signalements minimum",
        "Gendarmerie nationale",
        "Signalements pour 1 000 habitants",
        "Zones d'opération",
        "Zone dessinée (filtre)",
    ):
        assert words in text, words

    briefing = demo_client.get(f"/export/briefing.pdf?{query}")
    assert briefing.status_code == 200, briefing.data[:300]
    text = pdf_text(briefing.data)
    for words in (
        "de 18:00 à 23:59",
        "jours : vendredi, samedi",
        "Signalements pour 1 000 habitants",
        "Zone dessinée (filtre)",
    ):
        assert words in text, words


def test_a_bad_state_field_is_named(demo_client):
    for query, name in (
        ("choro=density", "choro"),
        ("hours=7", "hours"),
        ("labels=streets", "labels"),
        ("weekdays=9", "weekdays"),
        ("zones=a", "zones"),
    ):
        response = demo_client.get(f"/export/snapshot.png?{query}")
        assert response.status_code == 400
        assert response.get_data(as_text=True).startswith(name)
