"""Snapshots and briefing packs draw the basemap the page shows, in
Lambert-93, with its attribution among the sources."""

import io

import numpy as np
import pypdf
import pytest
from PIL import Image

from geo.crs import to_lambert93
from tests.basemap_archives import (  # noqa: F401 - archive_files is a fixture
    EPINAL,
    RASTER_GROUND,
    RASTER_NAME,
    RASTER_STREET,
    VECTOR_NAME,
    archive_files,
    install,
)
from webmap.db import get_session
from webmap.render.tiles import VECTOR_STYLE
from webmap.services.snapshots import make_snapshot, parse_snapshot_request

VIEW = f"{EPINAL[0] - 0.05},{EPINAL[1] - 0.03},{EPINAL[0] + 0.05},{EPINAL[1] + 0.03}"


@pytest.fixture
def tiled_app(app, archive_files):  # noqa: F811
    install(app, archive_files)
    return app


def pixels(body):
    return np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))


def share_of(image, colour):
    return float((image.reshape(-1, 3) == np.array(colour)).all(axis=1).mean())


def snapshot_with(app, basemap, size="1200x800", **more):
    with app.test_request_context():
        request = parse_snapshot_request(
            {"view": VIEW, "basemap": basemap, "size": size, **more},
            known_agencies=["GN"],
            basemaps=[RASTER_NAME, VECTOR_NAME, "Relief"],
        )
        return make_snapshot(get_session(), request, output="png", author="test")


def test_png_snapshot_shows_the_raster_basemap_where_its_streets_are(tiled_app):
    result = snapshot_with(tiled_app, RASTER_NAME)
    image = pixels(result.png())
    assert share_of(image, RASTER_GROUND) > 0.25
    # The east-west street through Épinal's centre, where Lambert-93 puts it.
    found = 0
    for lon in (6.43, 6.44, 6.46, 6.47):
        col, row = result.pixel(*to_lambert93(lon, EPINAL[1]))
        window = image[int(row) - 3 : int(row) + 4, int(col) - 3 : int(col) + 4].reshape(-1, 3)
        found += bool((window == np.array(RASTER_STREET)).all(axis=1).any())
    assert found >= 3
    assert any("Tuiles de test crossmap" in text.get_text() for text in result.figure.texts)


def test_png_snapshot_shows_the_vector_basemap(tiled_app):
    image = pixels(snapshot_with(tiled_app, VECTOR_NAME).png())
    earth = tuple(int(VECTOR_STYLE["earth"][i : i + 2], 16) for i in (1, 3, 5))
    assert share_of(image, earth) > 0.25
    assert share_of(image, RASTER_GROUND) == 0


def test_web_snapshot_and_briefing_name_the_basemap_in_their_sources(tiled_app):
    client = tiled_app.test_client()
    png = client.get(f"/export/snapshot.png?view={VIEW}&basemap={RASTER_NAME}&size=800x600")
    assert png.status_code == 200 and share_of(pixels(png.data), RASTER_GROUND) > 0.2
    pdf = client.get(f"/export/snapshot.pdf?view={VIEW}&basemap={VECTOR_NAME}&paper=A3")
    assert pdf.status_code == 200
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert "© OpenStreetMap (test)" in text
    briefing = client.get(f"/export/briefing.pdf?view={VIEW}&basemap={RASTER_NAME}")
    assert briefing.status_code == 200
    first = pypdf.PdfReader(io.BytesIO(briefing.data)).pages[0].extract_text()
    assert "Tuiles de test crossmap" in first


def test_an_unknown_basemap_is_refused_by_name(tiled_app):
    response = tiled_app.test_client().get("/export/snapshot.png?basemap=Google")
    assert response.status_code == 400 and "basemap" in response.get_data(as_text=True)


def test_a_hillshade_under_the_basemap_is_multiplied_into_it(tiled_app, tmp_path):
    from geo.reference import load_outline
    from tests.basemap_archives import RELIEF_GROUND, write_mbtiles
    from webmap.render.basemap_layers import UNDER_OPACITY
    from webmap.services.basemaps import BasemapRegistry

    relief = write_mbtiles(tmp_path / "relief.mbtiles", ground=RELIEF_GROUND, attribution="IGN – RGE ALTI")
    BasemapRegistry(tiled_app.instance_path).add(relief, name="Relief", outline=load_outline(), role="under")
    result = snapshot_with(tiled_app, VECTOR_NAME, under="Relief")
    image = pixels(result.png())
    earth = np.array([int(VECTOR_STYLE["earth"][i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    # Multiply blending, as the page's CSS does: earth × grey, half strength.
    expected = earth * (1 - UNDER_OPACITY) + earth * np.array(RELIEF_GROUND) / 255 * UNDER_OPACITY
    close = (np.abs(image.reshape(-1, 3) - expected.round()) <= 1).all(axis=1).mean()
    assert close > 0.25
    assert any("© OpenStreetMap (test) ; IGN – RGE ALTI" in text.get_text() for text in result.figure.texts)
