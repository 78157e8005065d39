"""Basemap tiles drawn into a Lambert-93 picture, for snapshots and briefing
packs. Flask-free.

Tiles are Web Mercator (EPSG:3857) squares; a snapshot is Lambert-93
(EPSG:2154). :func:`basemap_image` gathers the tiles an extent needs into
one Mercator mosaic, then fills each output pixel with the mosaic pixel its
centre falls in (inverse mapping, so no output pixel is left empty). Vector
tiles are first drawn into the mosaic with Pillow, in colours close to the
page's renderer (the Protomaps "light" flavour), so that the paper and the
screen look alike.
"""

from __future__ import annotations

import gzip
import io
import logging
import math

import mapbox_vector_tile
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from geo.crs import to_wgs84

log = logging.getLogger(__name__)

__all__ = ["TILE_SIZE", "VECTOR_STYLE", "ArchiveBasemap", "basemap_image", "choose_zoom", "draw_vector_tile"]

TILE_SIZE = 256
#: Largest mosaic, in tiles of one zoom: beyond, a lower zoom is taken
#: (an A3 page at 200 dpi needs about 300 raster tiles).
MAX_TILES = 400
#: Largest side of a drawn vector tile, in pixels, when zooming past the
#: archive's last level.
MAX_VECTOR_TILE_PX = 1024
EARTH_RADIUS = 6378137.0
#: Output pixels between two exactly projected ones (see basemap_image).
GRID_STEP = 8

#: Colours of the Protomaps "light" flavour (protomaps-leaflet 5.1.0, the
#: page's renderer), layer by layer, in drawing order.
VECTOR_STYLE = {
    "background": "#cccccc",
    "earth": "#e2dfda",
    "landcover": "#d0ded0",
    "landuse": "#cfddd5",
    "water": "#80deea",
    "buildings": "#c4c2c0",
    "boundaries": "#adadad",
    "road_casing": "#e0e0e0",
    "roads": {
        "highway": "#ffffff",
        "major_road": "#ffffff",
        "medium_road": "#ffffff",
        "minor_road": "#ebebeb",
        "other": "#ebebeb",
        "path": "#ebebeb",
    },
    "road_widths": {
        "highway": 2.2,
        "major_road": 1.7,
        "medium_road": 1.4,
        "minor_road": 1.0,
        "other": 0.6,
        "path": 0.5,
    },
    "label": "#5c5c5c",
    "label_halo": "#ffffff",
}
LAYER_ORDER = ("earth", "landcover", "landuse", "water", "buildings", "boundaries", "roads")


def choose_zoom(extent_l93, pixels, minzoom, maxzoom, *, tile_px=TILE_SIZE):
    """The tile zoom whose pixels are about as fine as the output's, within
    the archive's levels.

    >>> choose_zoom((940000, 6780000, 970000, 6800000), (1500, 1000), 6, 14)
    13
    >>> choose_zoom((940000, 6780000, 970000, 6800000), (1500, 1000), 6, 11)
    11
    """
    xmin, ymin, xmax, ymax = extent_l93
    _, lat = to_wgs84((xmin + xmax) / 2, (ymin + ymax) / 2)
    metres_per_pixel = (xmax - xmin) / pixels[0]
    ground = 2 * math.pi * EARTH_RADIUS * math.cos(math.radians(lat)) / tile_px
    zoom = math.ceil(math.log2(ground / metres_per_pixel))
    return int(min(max(zoom, minzoom), maxzoom))


def _mercator_pixels(lon, lat, zoom, tile_px):
    scale = tile_px * 2**zoom
    x = (np.asarray(lon) + 180) / 360 * scale
    sin = np.sin(np.radians(np.clip(np.asarray(lat), -85.0511, 85.0511)))
    y = (0.5 - np.log((1 + sin) / (1 - sin)) / (4 * np.pi)) * scale
    return x, y


def basemap_image(archive, extent_l93, pixels):
    """The archive's tiles reprojected onto a Lambert-93 extent: an RGBA
    array of ``pixels`` (width, height), transparent where the archive has
    no tile; None when it has none at all in the extent.

    ``archive`` is a :class:`webmap.services.basemaps.Archive` (anything
    with ``tile(z, x, y)``, ``tile_format``, ``minzoom`` and ``maxzoom``).
    """
    width, height = pixels
    xmin, ymin, xmax, ymax = extent_l93
    vector = archive.tile_format == "pbf"
    ideal = choose_zoom(extent_l93, pixels, 0, 24)
    zoom = min(max(ideal, archive.minzoom), archive.maxzoom)
    # Vector tiles past the last level are drawn bigger rather than blurred.
    tile_px = min(TILE_SIZE * 2 ** max(ideal - zoom, 0), MAX_VECTOR_TILE_PX) if vector else TILE_SIZE

    # Projecting every output pixel costs seconds for a print page; the
    # mapping is smooth, so project a grid every GRID_STEP pixels and
    # interpolate linearly (well under a pixel off at any zoom a page uses).
    columns = np.arange(math.ceil((width - 1) / GRID_STEP) + 1) * GRID_STEP
    rows = np.arange(math.ceil((height - 1) / GRID_STEP) + 1) * GRID_STEP
    grid_x, grid_y = np.meshgrid(
        xmin + (columns + 0.5) * (xmax - xmin) / width, ymax - (rows + 0.5) * (ymax - ymin) / height
    )
    lon, lat = to_wgs84(grid_x.ravel(), grid_y.ravel())
    while True:
        px, py = _mercator_pixels(lon, lat, zoom, tile_px)
        tiles_x = np.arange(int(px.min() // tile_px), int(px.max() // tile_px) + 1)
        tiles_y = np.arange(int(py.min() // tile_px), int(py.max() // tile_px) + 1)
        if len(tiles_x) * len(tiles_y) <= MAX_TILES or zoom <= archive.minzoom:
            break
        zoom -= 1
    mosaic = np.zeros((len(tiles_y) * tile_px, len(tiles_x) * tile_px, 4), dtype=np.uint8)
    found = 0
    for row, ty in enumerate(tiles_y):
        for col, tx in enumerate(tiles_x):
            if not (0 <= tx < 2**zoom and 0 <= ty < 2**zoom):
                continue
            data = archive.tile(zoom, int(tx), int(ty))
            if data is None:
                continue
            try:
                image = draw_vector_tile(data, zoom, tile_px) if vector else _raster_tile(data, tile_px)
            except Exception as error:  # noqa: BLE001 - one bad tile must not cost the whole snapshot
                log.warning("tile %s/%s/%s unreadable: %s", zoom, tx, ty, error)
                continue
            mosaic[row * tile_px : (row + 1) * tile_px, col * tile_px : (col + 1) * tile_px] = image
            found += 1
    if not found:
        return None
    shape = (len(rows), len(columns))
    mosaic_x = _densify((px - tiles_x[0] * tile_px).reshape(shape), height, width)
    mosaic_y = _densify((py - tiles_y[0] * tile_px).reshape(shape), height, width)
    mosaic_columns = np.clip(mosaic_x.astype(np.int32), 0, mosaic.shape[1] - 1)
    mosaic_rows = np.clip(mosaic_y.astype(np.int32), 0, mosaic.shape[0] - 1)
    return mosaic[mosaic_rows, mosaic_columns]


def _densify(coarse, height, width):
    """Linear interpolation of values known every GRID_STEP pixels (first
    and last included) to every pixel of a ``height`` × ``width`` picture."""
    # Small numbers (pixels within the mosaic): float32 stays exact enough.
    coarse = coarse.astype(np.float32)
    rows, columns = coarse.shape
    zoom = ((GRID_STEP * (rows - 1) + 1) / rows, (GRID_STEP * (columns - 1) + 1) / columns)
    # grid_mode=False maps the first and last samples onto the first and
    # last pixels: sample k lands exactly on pixel k * GRID_STEP.
    dense = ndimage.zoom(coarse, zoom, order=1, grid_mode=False)
    return dense[:height, :width]


def _raster_tile(data, tile_px):
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGBA")
        if image.size != (tile_px, tile_px):
            image = image.resize((tile_px, tile_px), Image.Resampling.BILINEAR)
        return np.asarray(image)


def decode_vector_tile(data: bytes) -> dict:
    """The layers of a Mapbox vector tile (gzip-compressed or not), as
    ``mapbox_vector_tile`` decodes them (y up, extent 4096 by default)."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return mapbox_vector_tile.decode(data)


def draw_vector_tile(data, zoom, tile_px=TILE_SIZE, style=None):
    """One Mapbox vector tile (Protomaps basemap schema: ``earth``,
    ``water``, ``roads``…) drawn as an RGBA array of ``tile_px`` pixels."""
    style = style or VECTOR_STYLE
    layers = decode_vector_tile(data)
    image = Image.new("RGBA", (tile_px, tile_px), style["background"])
    draw = ImageDraw.Draw(image)
    # Wider lines as one zooms in, as on screen.
    scale = tile_px / TILE_SIZE * max(1.0, 1.6 ** (zoom - 12))
    for name in LAYER_ORDER:
        layer = layers.get(name)
        if not layer:
            continue
        extent = layer.get("extent", 4096)

        def to_px(points, extent=extent):
            return [(x * tile_px / extent, (1 - y / extent) * tile_px) for x, y in points]

        for feature in layer["features"]:
            geometry = feature["geometry"]
            kind = feature.get("properties", {}).get("kind", "")
            if name == "roads":
                colour = style["roads"].get(kind, style["roads"]["other"])
                width = max(1, round(style["road_widths"].get(kind, 0.6) * scale))
                for line in _lines(geometry):
                    draw.line(to_px(line), fill=style["road_casing"], width=width + 2, joint="curve")
                    draw.line(to_px(line), fill=colour, width=width, joint="curve")
            elif name == "boundaries":
                for line in _lines(geometry):
                    draw.line(to_px(line), fill=style[name], width=1)
            else:
                for polygon in _polygons(geometry):
                    draw.polygon(to_px(polygon[0]), fill=style[name])
                    for hole in polygon[1:]:
                        draw.polygon(to_px(hole), fill=style["earth"])
    _draw_places(draw, layers.get("places"), tile_px, style)
    return np.asarray(image)


def _draw_places(draw, layer, tile_px, style):
    if not layer:
        return
    extent = layer.get("extent", 4096)
    font = ImageFont.load_default(size=max(10, tile_px // 20))
    for feature in layer["features"]:
        properties = feature.get("properties", {})
        name = properties.get("name:fr") or properties.get("name")
        geometry = feature["geometry"]
        if not name or geometry["type"] != "Point" or properties.get("kind") not in ("locality", "neighbourhood"):
            continue
        x, y = geometry["coordinates"]
        draw.text(
            (x * tile_px / extent, (1 - y / extent) * tile_px),
            str(name),
            fill=style["label"],
            font=font,
            anchor="mm",
            stroke_width=2,
            stroke_fill=style["label_halo"],
        )


def _lines(geometry):
    if geometry["type"] == "LineString":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiLineString":
        return geometry["coordinates"]
    return []


def _polygons(geometry):
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    return []


class ArchiveBasemap:
    """An installed basemap as a snapshot draws it: ``image(extent,
    pixels)`` for :func:`draw_map`, and the words for the sources line."""

    def __init__(self, archive, *, name, attribution):
        self.archive = archive
        self.name = name
        self.attribution = attribution or name

    def image(self, extent_l93, pixels):
        return basemap_image(self.archive, extent_l93, pixels)


class LayeredBasemap:
    """A base layer with a hillshade or aerial layer multiplied onto it at
    ``opacity``, as the page shows them (CSS ``mix-blend-mode: multiply``);
    either may be None."""

    def __init__(self, base, under, *, opacity):
        self.base = base
        self.under = under
        self.opacity = opacity
        self.attribution = " ; ".join(layer.attribution for layer in (base, under) if layer is not None)

    def image(self, extent_l93, pixels):
        base = self.base.image(extent_l93, pixels) if self.base is not None else None
        under = self.under.image(extent_l93, pixels) if self.under is not None else None
        if under is None:
            return base
        alpha = under[..., 3:4].astype(np.float32) / 255 * self.opacity
        if base is None:
            return np.concatenate([under[..., :3], (alpha * 255).astype(np.uint8)], axis=2)
        rgb = base[..., :3].astype(np.float32)
        multiplied = rgb * under[..., :3].astype(np.float32) / 255
        blended = rgb * (1 - alpha) + multiplied * alpha
        return np.concatenate([blended.round().astype(np.uint8), base[..., 3:4]], axis=2)
