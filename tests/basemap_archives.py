"""Small basemap archives built by the tests themselves (no map data may be
fetched): the Vosges at low zoom, and a few synthetic streets around the
centre of Épinal at street zooms.

Raster tiles are drawn with Pillow on one flat colour (:data:`RASTER_GROUND`)
with the streets in :data:`RASTER_STREET`, so that a test can find them in
a screenshot or a snapshot; vector tiles are encoded with
``mapbox_vector_tile`` in the Protomaps basemap schema (``earth``,
``roads``, ``buildings``, ``places``), the one the page's renderer styles.
"""

import gzip
import io
import math
import sqlite3
from pathlib import Path

import mapbox_vector_tile
import pytest
import shapely
from PIL import Image, ImageDraw
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from geo.reference import load_outline

EPINAL = (6.4497, 48.1734)
RASTER_GROUND = (214, 160, 236)  # a lilac no other layer of the page uses
RASTER_STREET = (40, 30, 120)
RELIEF_GROUND = (128, 128, 128)  # a flat hillshade
LOW_ZOOMS = range(6, 11)
STREET_ZOOMS = range(11, 15)
# Synthetic streets: a cross through Épinal and a ring road, in WGS84.
STREETS = [
    [(6.41, 48.1734), (6.49, 48.1734)],
    [(6.4497, 48.15), (6.4497, 48.20)],
    [(6.43, 48.16), (6.47, 48.16), (6.47, 48.19), (6.43, 48.19), (6.43, 48.16)],
]
BUILDINGS = [shapely.box(6.445, 48.175, 6.448, 48.177), shapely.box(6.452, 48.170, 6.455, 48.172)]
STREET_BOX = (6.40, 48.14, 6.50, 48.21)
# Somewhere in Brittany: an archive of "another region".
RENNES_BOX = (-1.8, 47.95, -1.5, 48.2)


def vosges_box():
    west, south, east, north = load_outline().bounds
    return west - 0.02, south - 0.02, east + 0.02, north + 0.02


def tile_range(box, zoom):
    west, south, east, north = box
    x0, y0 = lonlat_to_tile(west, north, zoom)
    x1, y1 = lonlat_to_tile(east, south, zoom)
    return [(x, y) for x in range(int(x0), int(x1) + 1) for y in range(int(y0), int(y1) + 1)]


def lonlat_to_tile(lon, lat, zoom):
    """Fractional XYZ tile coordinates of a WGS84 point."""
    n = 2**zoom
    lat_r = math.radians(lat)
    return (lon + 180) / 360 * n, (1 - math.asinh(math.tan(lat_r)) / math.pi) / 2 * n


def tiles_to_draw(box=None):
    box = box or vosges_box()
    for zoom in LOW_ZOOMS:
        for x, y in tile_range(box, zoom):
            yield zoom, x, y
    if box != RENNES_BOX:
        for zoom in STREET_ZOOMS:
            for x, y in tile_range(STREET_BOX, zoom):
                yield zoom, x, y


PILLOW_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}


def raster_tile(zoom, x, y, ground=RASTER_GROUND, tile_format="png"):
    image = Image.new("RGB", (256, 256), ground)
    draw = ImageDraw.Draw(image)
    width = max(2, zoom - 8)
    for street in STREETS:
        points = [
            ((tx - x) * 256, (ty - y) * 256) for tx, ty in (lonlat_to_tile(lon, lat, zoom) for lon, lat in street)
        ]
        draw.line(points, fill=RASTER_STREET, width=width)
    buffer = io.BytesIO()
    image.save(buffer, format=PILLOW_FORMATS[tile_format])
    return buffer.getvalue()


def write_mbtiles(
    path,
    *,
    box=None,
    name="Plan test",
    attribution="Tuiles de test crossmap",
    drop_metadata=(),
    extra_tiles=(),
    ground=RASTER_GROUND,
    tile_format="png",
):
    """An MBTiles of ``tile_format`` tiles (png, jpg, webp, or pbf vector
    tiles) covering ``box`` (the Vosges by default), and ``extra_tiles``
    (``(z, x, y)``) besides, on a ``ground`` colour."""
    box = box or vosges_box()
    tiles = sorted(set(tiles_to_draw(box)) | set(extra_tiles))
    path = Path(path)

    def draw(z, x, y):
        return vector_tile(z, x, y) if tile_format == "pbf" else raster_tile(z, x, y, ground, tile_format)

    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        connection.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)"
        )
        connection.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        zooms = [z for z, _, _ in tiles]
        metadata = {
            "name": name,
            "format": tile_format,
            "bounds": ",".join(f"{v:.6f}" for v in box),
            "minzoom": str(min(zooms)),
            "maxzoom": str(max(zooms)),
            "attribution": attribution,
            "type": "baselayer",
        }
        for key in drop_metadata:
            metadata.pop(key)
        connection.executemany("INSERT INTO metadata VALUES (?, ?)", metadata.items())
        connection.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [(z, x, (2**z - 1) - y, draw(z, x, y)) for z, x, y in tiles],
        )
    connection.close()
    return path


def _mercator(lon, lat):
    x = math.radians(lon) * 6378137.0
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * 6378137.0
    return x, y


def _tile_bounds(zoom, x, y):
    n = 2**zoom
    half = math.pi * 6378137.0
    size = 2 * half / n
    return -half + x * size, half - (y + 1) * size, -half + (x + 1) * size, half - y * size


def vector_tile(zoom, x, y):
    bounds = _tile_bounds(zoom, x, y)
    minx, miny, maxx, maxy = bounds

    def _to_mercator(geometry):
        # Straight to tile units (extent 4096, y up): the library's own
        # quantize_bounds goes through a deprecated shapely function.
        return shapely.transform(
            geometry,
            lambda xy: [
                ((mx - minx) / (maxx - minx) * 4096, (my - miny) / (maxy - miny) * 4096)
                for mx, my in (_mercator(lon, lat) for lon, lat in xy)
            ],
        )

    earth = shapely.box(-16, -16, 4112, 4112)
    layers = [{"name": "earth", "features": [{"geometry": earth, "properties": {"kind": "earth"}}]}]
    if zoom >= 9:
        roads = [
            {
                "geometry": _to_mercator(shapely.LineString(street)),
                "properties": {"kind": "major_road", "name": f"Rue {i + 1}", "min_zoom": 9},
            }
            for i, street in enumerate(STREETS)
        ]
        layers.append({"name": "roads", "features": roads})
    if zoom >= 13:
        layers.append(
            {
                "name": "buildings",
                "features": [{"geometry": _to_mercator(b), "properties": {"kind": "building"}} for b in BUILDINGS],
            }
        )
    layers.append(
        {
            "name": "places",
            "features": [
                {
                    "geometry": _to_mercator(shapely.Point(EPINAL)),
                    "properties": {"kind": "locality", "name": "Épinal", "min_zoom": 6, "population_rank": 10},
                }
            ],
        }
    )
    data = mapbox_vector_tile.encode(layers, default_options={"extents": 4096})
    return gzip.compress(data)


def write_pmtiles(path, *, box=None, name="OSM test", attribution="© OpenStreetMap (test)", extra_tiles=()):
    """A PMTiles of gzip-compressed vector tiles covering ``box``."""
    box = box or vosges_box()
    wanted = set(tiles_to_draw(box)) | set(extra_tiles)
    tiles = sorted((zxy_to_tileid(z, x, y), vector_tile(z, x, y)) for z, x, y in wanted)
    zooms = [z for z, _, _ in wanted]
    path = Path(path)
    with open(path, "wb") as handle:
        writer = Writer(handle)
        for tile_id, data in tiles:
            writer.write_tile(tile_id, data)
        west, south, east, north = box
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP,
                "min_zoom": min(zooms),
                "max_zoom": max(zooms),
                "min_lon_e7": int(west * 1e7),
                "min_lat_e7": int(south * 1e7),
                "max_lon_e7": int(east * 1e7),
                "max_lat_e7": int(north * 1e7),
                "center_zoom": 10,
                "center_lon_e7": int(EPINAL[0] * 1e7),
                "center_lat_e7": int(EPINAL[1] * 1e7),
            },
            {
                "name": name,
                "attribution": attribution,
                "vector_layers": [{"id": layer} for layer in ("earth", "roads", "buildings", "places")],
            },
        )
    return path


def write_broken(path, source):
    """The first half of a good archive: a transfer cut short."""
    data = Path(source).read_bytes()
    Path(path).write_bytes(data[: len(data) // 2])
    return Path(path)


def write_empty(path):
    Path(path).write_bytes(b"")
    return Path(path)


RASTER_NAME = "Plan test"
VECTOR_NAME = "OSM test"


@pytest.fixture(scope="session")
def archive_files(tmp_path_factory):
    """The good archives, built once for the whole session."""
    folder = tmp_path_factory.mktemp("basemap-archives")
    return {"raster": write_mbtiles(folder / "plan.mbtiles"), "vector": write_pmtiles(folder / "osm.pmtiles")}


def install(app, files, *, default=RASTER_NAME):
    """Install both test archives in ``app``'s instance folder."""
    from webmap.services.basemaps import BasemapRegistry

    registry = BasemapRegistry(app.instance_path)
    registry.add(files["raster"], name=RASTER_NAME, outline=load_outline(), default=default == RASTER_NAME)
    registry.add(files["vector"], name=VECTOR_NAME, outline=load_outline(), default=default == VECTOR_NAME)
    return registry
