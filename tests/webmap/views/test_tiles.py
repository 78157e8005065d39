"""The basemap tiles crossmap serves itself: the stored bytes, cacheable
(unlike every other answer), for signed-in users only."""

import gzip

import pytest

from geo.reference import load_outline
from tests.basemap_archives import EPINAL, archive_files, install  # noqa: F401 - archive_files is a fixture
from tests.signin import add_user
from webmap.render.tiles import decode_vector_tile
from webmap.services.basemaps import BasemapRegistry, open_archive, tile_for_point


@pytest.fixture
def served(app, archive_files):  # noqa: F811
    install(app, archive_files)
    return app


def test_raster_tile_is_the_stored_one_with_caching_headers(served, archive_files):  # noqa: F811
    client = served.test_client()
    x, y = tile_for_point(*EPINAL, 14)
    response = client.get(f"/tiles/plan-test/14/{x}/{y}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    with open_archive(archive_files["raster"]) as archive:
        assert response.data == archive.tile(14, x, y)
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    etag = response.headers["ETag"]
    again = client.get(f"/tiles/plan-test/14/{x}/{y}.png", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get(f"/tiles/plan-test/14/{x + 1}/{y}.png")
    assert other.headers["ETag"] != etag


def test_vector_tile_is_sent_compressed_to_browsers_and_plain_otherwise(served):
    client = served.test_client()
    x, y = tile_for_point(*EPINAL, 13)
    compressed = client.get(f"/tiles/osm-test/13/{x}/{y}.pbf", headers={"Accept-Encoding": "gzip, br"})
    assert compressed.status_code == 200
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert compressed.mimetype == "application/vnd.mapbox-vector-tile"
    plain = client.get(f"/tiles/osm-test/13/{x}/{y}.pbf")
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(compressed.data) == plain.data
    assert "roads" in decode_vector_tile(plain.data)


@pytest.mark.parametrize(
    "path, status",
    [
        ("/tiles/plan-test/14/0/0.png", 204),  # no tile there: nothing to draw, no error
        ("/tiles/plan-test/3/9/0.png", 404),  # no such tile address
        ("/tiles/plan-test/14/8500/5800.jpg", 404),  # not the archive's format
        ("/tiles/nowhere/10/530/355.png", 404),
    ],
)
def test_missing_tiles_and_basemaps(served, path, status):
    assert served.test_client().get(path).status_code == status


def test_tiles_need_a_signed_in_user_and_any_role_will_do(served):
    x, y = tile_for_point(*EPINAL, 12)
    path = f"/tiles/plan-test/12/{x}/{y}.png"
    anonymous = served.test_client(user=None).get(path)
    assert anonymous.status_code == 401 and anonymous.mimetype != "image/png"
    add_user(served, "lecteur", role="viewer")
    assert served.test_client(user="lecteur").get(path).status_code == 200


def test_map_page_offers_each_installed_basemap(app, archive_files):  # noqa: F811
    client = app.test_client()
    before = client.get("/").get_data(as_text=True)
    assert "protomaps-leaflet" not in before and "/tiles/" not in before
    install(app, archive_files)
    BasemapRegistry(app.instance_path).add(archive_files["raster"], name="Relief", outline=load_outline(), role="under")
    page = client.get("/").get_data(as_text=True)
    # Installed after the first page: the next page shows it all the same.
    assert "/static/vendor/protomaps-leaflet-5.1.0/protomaps-leaflet.js" in page
    assert '"/tiles/plan-test/{z}/{x}/{y}.png"' in page
    assert '"url": "/tiles/osm-test/{z}/{x}/{y}.pbf"' in page
    assert '"Communes seules"' in page
    assert 'window.crossmapBasemap = "Plan test"' in page
    # The hillshade is an overlay, off at first, multiplied onto the base.
    assert '"crossmapUnder": true' in page and '"className": "crossmap-under"' in page
