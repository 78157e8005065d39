"""Basemap tiles reprojected into Lambert-93 pictures: the streets drawn in
the archive fall where their coordinates say."""

import pytest

from geo.crs import to_lambert93
from tests import basemap_archives as archives
from webmap.render import tiles
from webmap.render.tiles import VECTOR_STYLE, basemap_image
from webmap.services.basemaps import open_archive


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("archives")
    return {
        "raster": archives.write_mbtiles(folder / "plan.mbtiles"),
        "vector": archives.write_pmtiles(folder / "osm.pmtiles"),
    }


def _pixel(extent, size, lon, lat):
    xmin, ymin, xmax, ymax = extent
    x, y = to_lambert93(lon, lat)
    return int((ymax - y) / (ymax - ymin) * size[1]), int((x - xmin) / (xmax - xmin) * size[0])


def _rgb(colour):
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


@pytest.mark.parametrize("kind", ["raster", "vector"])
def test_streets_land_on_their_coordinates(files, kind):
    x, y = to_lambert93(*archives.EPINAL)
    extent, size = (x - 4000, y - 3000, x + 4000, y + 3000), (800, 600)
    with open_archive(files[kind]) as archive:
        image = basemap_image(archive, extent, size)
    assert image.shape == (600, 800, 4)
    street = archives.RASTER_STREET if kind == "raster" else (255, 255, 255)
    ground = archives.RASTER_GROUND if kind == "raster" else _rgb(VECTOR_STYLE["earth"])

    # Along the east-west street through the centre, a few pixels either
    # way of where its latitude falls: the street colour.
    def near(lon, lat, colour, radius=2):
        row, col = _pixel(extent, size, lon, lat)
        window = image[row - radius : row + radius + 1, col - radius : col + radius + 1, :3].reshape(-1, 3)
        return any(tuple(int(v) for v in pixel) == colour for pixel in window)

    for lon in (6.425, 6.44, 6.46, 6.48):
        assert near(lon, 48.1734, street), lon
    # Between the streets, the ground.
    assert near(6.438, 48.166, ground, radius=0)
    assert not near(6.438, 48.166, street, radius=3)


def test_no_tiles_in_the_extent_gives_none(files):
    x, y = to_lambert93(-1.68, 48.11)  # Rennes: nothing installed there
    with open_archive(files["raster"]) as archive:
        assert basemap_image(archive, (x - 2000, y - 2000, x + 2000, y + 2000), (200, 200)) is None


def test_a_wide_view_stays_within_the_tile_budget(files, monkeypatch):
    monkeypatch.setattr(tiles, "MAX_TILES", 30)
    calls = []
    with open_archive(files["raster"]) as archive:
        original = archive.tile
        archive.tile = lambda z, x, y: calls.append(z) or original(z, x, y)
        # About 180 m a pixel would take zoom 10, 36 tiles here.
        image = basemap_image(archive, (880000, 6700000, 1060000, 6900000), (1000, 1100))
    assert image is not None and len(calls) <= 30
    assert max(calls) == min(calls) < 10
