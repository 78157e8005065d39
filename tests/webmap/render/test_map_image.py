"""Map snapshots: PNG for slides and PDF for print, from the renderer, the
web and the command line. PDFs are opened with pypdf, PNGs with Pillow."""

import io
import json

import numpy as np
import pypdf
import pytest
from PIL import Image
from sqlalchemy import select

from geo.crs import to_lambert93
from webmap import db
from webmap.db.models import AuditEntry
from webmap.render.map_image import PAPERS, view_to_extent
from webmap.services.snapshots import make_snapshot, parse_snapshot_request

AGENCY_CODES = ["GN", "PN-SP", "PJ", "PAF", "DOUANE", "GIR"]
SENTENCE = "Du 01/09/2026 au 30/11/2026 · Gendarmerie nationale, Douane · rayon 250 m, 5 signalements minimum"
BACKGROUND = (0xEE, 0xF3, 0xF7)


def snapshot(app, output="png", **params):
    with app.app_context():
        request = parse_snapshot_request(params, known_agencies=AGENCY_CODES)
        return make_snapshot(db.get_session(), request, output=output, author="test")


def pdf_text(body):
    reader = pypdf.PdfReader(io.BytesIO(body))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def view_around(lon, lat, half=0.02):
    return f"{lon - half * 1.5},{lat - half},{lon + half * 1.5},{lat + half}"


def test_png_has_the_asked_size_and_is_not_blank(demo_app):
    image = Image.open(io.BytesIO(snapshot(demo_app, size="1280x720").png()))
    assert image.size == (1280, 720)
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 100
    # Mostly page and map, but not only: points, outlines and text.
    assert (pixels != 255).any(axis=1).mean() > 0.2


def test_png_is_1920_by_1080_by_default(demo_app):
    assert Image.open(io.BytesIO(snapshot(demo_app).png())).size == (1920, 1080)


def test_planted_hotspot_is_drawn_where_its_position_projects(demo_app, demo_truth):
    planted = next(h for h in demo_truth["hotspots"] if h["kind"] == "persistent")
    view = view_around(planted["lon"], planted["lat"])
    result = snapshot(demo_app, size="1600x900", view=view, layers="hotspots")
    image = np.asarray(Image.open(io.BytesIO(result.png())).convert("RGB"))

    # Where the point should fall, from the map's frame alone: the axes box
    # in pixels and the Lambert-93 extent it shows.
    box = result.map_axes.get_position()
    xmin, ymin, xmax, ymax = result.extent
    width, height = 1600, 900
    expected_col = (box.x0 + (planted["x_l93"] - xmin) / (xmax - xmin) * box.width) * width
    expected_row = (1 - box.y0 - (planted["y_l93"] - ymin) / (ymax - ymin) * box.height) * height
    col, row = result.pixel(planted["x_l93"], planted["y_l93"])
    assert col == pytest.approx(expected_col, abs=1) and row == pytest.approx(expected_row, abs=1)

    # The hotspot's outline covers the planted centre: not the map's
    # background colour there, while a corner of the map is background.
    around = image[int(row) - 2 : int(row) + 3, int(col) - 2 : int(col) + 3].reshape(-1, 3)
    assert not (np.abs(around.astype(int) - BACKGROUND) <= 2).all(axis=1).any()
    corner_col, corner_row = result.pixel(xmin + 0.03 * (xmax - xmin), ymax - 0.1 * (ymax - ymin))
    assert tuple(image[int(corner_row), int(corner_col)]) == pytest.approx(BACKGROUND, abs=2)


def test_view_and_layers_are_those_of_the_page(demo_app):
    view = (6.40, 48.13, 6.52, 48.21)
    result = snapshot(demo_app, view=",".join(map(str, view)), layers="reports")
    xmin, ymin, xmax, ymax = view_to_extent(*view)
    shown = result.extent
    # The whole asked view is shown, widened in one direction only to fit
    # the page's shape.
    assert shown[0] <= xmin and shown[1] <= ymin and shown[2] >= xmax and shown[3] >= ymax
    assert (shown[0] == pytest.approx(xmin) and shown[2] == pytest.approx(xmax)) or (
        shown[1] == pytest.approx(ymin) and shown[3] == pytest.approx(ymax)
    )
    assert any(label.startswith("Gendarmerie nationale") for label in result.legend_labels)
    assert not any(label.startswith(("Points chauds", "Communes")) for label in result.legend_labels)

    hotspots_only = snapshot(demo_app, view=",".join(map(str, view)), layers="communes,hotspots")
    assert "Communes" in hotspots_only.legend_labels
    assert not any(label.startswith("Gendarmerie") for label in hotspots_only.legend_labels)
    assert any(label.startswith("Points chauds") for label in hotspots_only.legend_labels)


@pytest.mark.parametrize(("paper", "orientation"), [("A4", "landscape"), ("A4", "portrait"), ("A3", "landscape")])
def test_pdf_page_size_and_searchable_text(demo_app, paper, orientation):
    result = snapshot(
        demo_app,
        output="pdf",
        title="Réunion du CROSS – secteur Épinal",
        start="2026-09-01",
        end="2026-11-30",
        agencies="GN,DOUANE",
        paper=paper,
        orientation=orientation,
    )
    reader, text = pdf_text(result.pdf())
    assert len(reader.pages) == 1
    short, long = (v * 72 for v in PAPERS[paper])
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(
        (long, short) if orientation == "landscape" else (short, long), abs=1
    )
    assert "Réunion du CROSS – secteur Épinal" in text
    assert SENTENCE in text
    assert text.count("DIFFUSION RESTREINTE") == 2
    assert "DONNÉES FICTIVES" in text
    assert "IGN – ADMIN EXPRESS COG 2018" in text
    assert "Page 1 / 1" in text
    # Long labels wrap on two lines.
    words = " ".join(text.split())
    assert result.legend_labels and all(label in words for label in result.legend_labels)
    assert any(label.startswith("Douane (") for label in result.legend_labels)
    assert not any(label.startswith("GIR") for label in result.legend_labels)


def test_marking_wording_is_configurable(tmp_path, monkeypatch):
    from tests.apps import make_app

    app = make_app(tmp_path / "instance", monkeypatch, MARKING="CONFIDENTIEL CROSS")
    _, text = pdf_text(snapshot(app, output="pdf").pdf())
    assert text.count("CONFIDENTIEL CROSS") == 2
    # No report at all: nothing fictitious to warn about.
    assert "DONNÉES FICTIVES" not in text


def test_web_snapshot_follows_the_page_state_and_is_audited(demo_app):
    client = demo_app.test_client()
    response = client.get(
        "/export/snapshot.png?size=800x450&view=6.40,48.13,6.52,48.21&layers=communes,reports&agencies=GN&title=Essai"
    )
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert Image.open(io.BytesIO(response.data)).size == (800, 450)
    with demo_app.app_context():
        entry = (
            db.get_session()
            .scalars(select(AuditEntry).where(AuditEntry.action == "snapshot").order_by(AuditEntry.id.desc()))
            .first()
        )
    details = json.loads(entry.details)
    assert entry.username == "test-admin"
    assert details["format"] == "png" and details["filters"] == {"agencies": "GN"}
    assert details["layers"] == ["communes", "reports"] and details["title"] == "Essai"


def test_web_pdf_snapshot(demo_client):
    response = demo_client.get("/export/snapshot.pdf?paper=A3&orientation=portrait&min_grading=B2&eps=300")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader, text = pdf_text(response.data)
    assert float(reader.pages[0].mediabox.height) == pytest.approx(420 / 25.4 * 72, abs=1)
    assert "cotation B2 ou meilleure" in text and "rayon 300 m" in text


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("size=big", "size"),
        ("size=20000x10", "size"),
        ("paper=A5", "paper"),
        ("orientation=diagonal", "orientation"),
        ("layers=reports,streets", "layers"),
        ("view=6,48", "view"),
        ("eps=-3", "eps"),
        ("min_grading=Z9", "min_grading"),
        ("colour=red", "colour"),
    ],
)
def test_bad_parameters_are_refused_by_name(client, query, parameter):
    response = client.get(f"/export/snapshot.png?{query}")
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith(f"{parameter} :")


def test_snapshot_needs_the_export_permission(app):
    assert app.test_client(user=None).get("/export/snapshot.png").status_code in (302, 401)


def test_cli_snapshot(demo_app, tmp_path, demo_truth):
    out = tmp_path / "carte.pdf"
    result = demo_app.test_cli_runner().invoke(
        args=[
            "snapshot",
            "--out",
            str(out),
            "--start",
            "2026-09-01",
            "--end",
            "2026-11-30",
            "--agencies",
            "GN,DOUANE",
            "--title",
            "Point hebdomadaire",
        ]
    )
    assert result.exit_code == 0, result.output
    _, text = pdf_text(out.read_bytes())
    assert "Point hebdomadaire" in text and SENTENCE in text

    png = tmp_path / "carte.png"
    result = demo_app.test_cli_runner().invoke(args=["snapshot", "--out", str(png), "--size", "640x360"])
    assert result.exit_code == 0, result.output
    with Image.open(png) as image:
        assert image.size == (640, 360)


def test_cli_refuses_a_bad_filter_by_option_name(demo_app, tmp_path):
    result = demo_app.test_cli_runner().invoke(
        args=["snapshot", "--out", str(tmp_path / "x.png"), "--min-grading", "Z9"]
    )
    assert result.exit_code != 0 and "--min-grading" in result.output
    assert not (tmp_path / "x.png").exists()


def test_view_to_extent_covers_the_projected_corners():
    west, south, east, north = 6.0, 48.0, 7.0, 48.5
    xmin, ymin, xmax, ymax = view_to_extent(west, south, east, north)
    for lon, lat in ((west, south), (east, north), (west, north), (east, south)):
        x, y = to_lambert93(lon, lat)
        assert xmin <= x <= xmax and ymin <= y <= ymax


@pytest.mark.browser
def test_exporter_control_sends_the_page_state(demo_app, artifacts):
    from urllib.parse import parse_qs, urlsplit

    from tests.browser import browser_page, serve, wait_ready

    with serve(demo_app) as url, browser_page() as browser:
        page = browser.page
        page.goto(url + "/?start=2026-09-01&end=2026-11-30&agencies=GN,DOUANE&eps=300")
        wait_ready(page)
        # Record what the control opens instead of opening a tab.
        page.evaluate("() => { window.opened = []; window.open = (u) => { window.opened.push(u); return null; }; }")
        page.fill("#export-form input[name=title]", "Réunion du lundi")
        page.select_option("#export-form select[name=format]", "pdf:A4:portrait")
        assert page.locator("#export-form .export-size").is_hidden()
        page.locator("#export-form").screenshot(path=str(artifacts / "export-control.png"))
        page.click("#export-form button[type=submit]")
        opened = page.evaluate("() => window.opened")
        bounds = page.evaluate("() => window.crossmapHandles.map.getBounds().toBBoxString()")

        assert len(opened) == 1
        address = urlsplit(opened[0])
        params = {k: v[0] for k, v in parse_qs(address.query).items()}
        assert address.path == "/export/snapshot.pdf"
        assert params["start"] == "2026-09-01" and params["end"] == "2026-11-30"
        assert params["agencies"] == "GN,DOUANE" and params["eps"] == "300"
        # The communes (the basemap) and the saved zones are always drawn.
        assert params["layers"] == "communes,reports,hotspots,zones"
        assert params["paper"] == "A4" and params["orientation"] == "portrait"
        assert [float(v) for v in params["bounds"].split(",")] == pytest.approx(
            [float(v) for v in bounds.split(",")], abs=1e-4
        )

        response = page.request.get(url + opened[0])
        assert response.status == 200 and response.headers["content-type"] == "application/pdf"
        _, text = pdf_text(response.body())
        assert "Réunion du lundi" in text
        assert "Du 01/09/2026 au 30/11/2026 · Gendarmerie nationale, Douane · rayon 300 m" in text
        assert browser.external_requests == [] and browser.console_errors == []


TILE_COLOUR = (200, 40, 40)


@pytest.fixture
def tile_server():
    """A tile server on 127.0.0.1 answering every tile in one colour."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), TILE_COLOUR).save(buffer, format="PNG")
    tile = buffer.getvalue()
    asked = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


def local_tiles(monkeypatch, base_url):
    import xyzservices

    provider = xyzservices.TileProvider(name="Local", url=base_url + "/{z}/{x}/{y}.png", attribution="Tuiles de test")
    monkeypatch.setattr("webmap.services.snapshots.tile_provider", lambda name: provider if name else None)


def tiled_snapshot(app, output="png", **params):
    with app.app_context():
        request = parse_snapshot_request(
            {"tiles": "Local", "layers": "hotspots", **params}, known_agencies=AGENCY_CODES, tile_layers=("Local",)
        )
        return make_snapshot(db.get_session(), request, output=output, author="test")


def test_reachable_tiles_are_drawn_under_the_map(demo_app, tile_server, monkeypatch):
    base_url, asked = tile_server
    local_tiles(monkeypatch, base_url)
    result = tiled_snapshot(demo_app, size="800x450", view="6.40,48.13,6.52,48.21")
    image = np.asarray(Image.open(io.BytesIO(result.png())).convert("RGB"))
    xmin, ymin, xmax, ymax = result.extent
    col, row = result.pixel(xmin + 0.02 * (xmax - xmin), ymax - 0.3 * (ymax - ymin))
    assert tuple(image[int(row), int(col)]) == pytest.approx(TILE_COLOUR, abs=3)
    assert asked and all(path.endswith(".png") for path in asked)
    _, text = pdf_text(tiled_snapshot(demo_app, output="pdf", view="6.40,48.13,6.52,48.21").pdf())
    assert "Tuiles de test" in text


def test_unreachable_tiles_are_left_out(demo_app, monkeypatch):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    local_tiles(monkeypatch, f"http://127.0.0.1:{port}")
    result = tiled_snapshot(demo_app, size="800x450", view="6.40,48.13,6.52,48.21")
    image = np.asarray(Image.open(io.BytesIO(result.png())).convert("RGB"))
    xmin, ymin, xmax, ymax = result.extent
    col, row = result.pixel(xmin + 0.02 * (xmax - xmin), ymax - 0.3 * (ymax - ymin))
    assert tuple(image[int(row), int(col)]) == pytest.approx(BACKGROUND, abs=2)
    assert not result.map_axes.images


def test_tiles_must_be_configured(client):
    response = client.get("/export/snapshot.png?tiles=OpenStreetMap.Mapnik")
    assert response.status_code == 400 and response.get_data(as_text=True).startswith("tiles :")


def test_restricted_reports_of_another_agency_are_not_drawn(tmp_path, monkeypatch):
    """Need-to-know, as on the map: a report customs restricted to itself is
    neither drawn nor clustered for the gendarmerie (issue #16)."""
    from tests.apps import make_app
    from tests.signin import add_user

    app = make_app(tmp_path / "instance", monkeypatch)
    lines = ["Référence;Service;Date des faits;Nature;Cotation;Latitude;Longitude;Diffusion"]
    lines += [f"GN-{i};GN;0{i}/03/2026 10:00;Point de deal;B2;48,179{i};6,4533;Partagé" for i in range(1, 5)]
    lines += ["DOU-1;DOUANE;05/03/2026 10:00;Point de deal;B2;48,1790;6,4534;Restreint"]
    path = tmp_path / "cell.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert app.test_cli_runner().invoke(args=["import", str(path)]).exit_code == 0
    add_user(app, "analyst-douane", role="analyst", agency="DOUANE")

    def legend(user):
        response = app.test_client(user=user).get("/export/snapshot.pdf?view=6.44,48.17,6.47,48.19")
        assert response.status_code == 200
        return pdf_text(response.data)[1]

    seen_by_gn = legend("test-admin")
    assert "Gendarmerie nationale (4)" in seen_by_gn and "Douane (" not in seen_by_gn
    # Four reports it may see: no hotspot; customs' five make one.
    assert "Points chauds" not in seen_by_gn
    seen_by_douane = legend("analyst-douane")
    assert "Douane (1)" in seen_by_douane and "Points chauds" in seen_by_douane
