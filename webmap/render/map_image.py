"""Map snapshots for meetings: one page, PNG for slides or PDF for print.
Flask-free: drawn by matplotlib in Lambert-93 (EPSG:2154) on the server, so
it needs neither a browser nor the internet.

The caller hands over what to draw (:class:`MapContent`) and every word to
print (:class:`PageText`, already in French); :func:`render_snapshot`
returns a :class:`Snapshot` holding the figure and the map's axes, whose
:meth:`Snapshot.pixel` says where a Lambert-93 point falls in the PNG.
"""

from __future__ import annotations

import io
import logging
import textwrap
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import matplotlib
import numpy as np
from matplotlib import patheffects
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib_scalebar.scalebar import ScaleBar
from PIL import Image

from geo.crs import to_lambert93, to_wgs84
from webmap.render.style import (
    CHOROPLETH_COLOURS,
    CHOROPLETH_ZERO,
    CONVERGENT_COLOUR,
    STATUS_COLOURS,
    ZONE_COLOUR,
    choropleth_breaks,
    choropleth_colour,
)

log = logging.getLogger(__name__)

__all__ = [
    "LAYERS",
    "PAPERS",
    "STATUS_COLOURS",
    "MapContent",
    "PageText",
    "Snapshot",
    "draw_map",
    "draw_page_frame",
    "fit_extent",
    "page_size",
    "render_snapshot",
    "tile_basemap",
    "view_to_extent",
]

#: Layers a snapshot can show, in drawing order: the map page's layers
#: (``cells`` are the emerging cells, ``heat`` the density), the communes
#: as basemap and the saved operation zones.
LAYERS = ("communes", "heat", "reports", "hotspots", "cells", "zones")
DEFAULT_LAYERS = ("communes", "reports", "hotspots")
#: What can be named on the map: communes and hotspot codes.
LABELS = ("communes", "hotspots")
#: Side of an emerging cell, in metres (``analysis.emerging.CELL_SIZE``).
CELL_SIDE = 500.0

#: Paper sizes in inches (portrait), ISO 216.
PAPERS = {"A4": (210 / 25.4, 297 / 25.4), "A3": (297 / 25.4, 420 / 25.4)}
#: PNG resolution: 1920×1080 at 160 dpi is a 12-inch-wide page, on which
#: 9-point text stays legible on a projected slide.
PNG_DPI = 160
DEFAULT_PNG_SIZE = (1920, 1080)
MIN_PNG_SIDE = 100
MAX_PNG_SIDE = 8000

#: matplotlib markers of the map page's agency symbols (webmap.render.style.SYMBOLS).
MARKERS = {"circle": "o", "square": "s", "triangle": "^", "diamond": "D", "cross": "P", "star": "*"}
MARKING_COLOUR = "#B00020"
FICTITIOUS_COLOUR = "#FFD60A"
# Communes named on the basemap: the towns a reader locates himself by.
NAMED_POPULATION = 5000
# A view narrower than this is widened: a snapshot of one street corner
# would have no commune to read it by.
MIN_VIEW_M = 1000.0
# Beyond this many reports, their points go into the PDF as one image
# (at PDF_RASTER_DPI) rather than one drawing each: thousands of drawings
# make a slow file that PDF readers (and text extraction) choke on. Text,
# outlines and communes stay vector.
RASTER_ABOVE = 2000
PDF_RASTER_DPI = 200
# The cell's own basemap is drawn at the PNG's resolution, or at this one
# on paper (PDF pages are 72 dpi), up to this many pixels a side.
BASEMAP_PRINT_DPI = 200
MAX_BASEMAP_SIDE = 5000
# Internet tiles (opt-in): seconds to wait for one, and most fetched for
# one map.
TILE_TIMEOUT = 2.0
MAX_TILES = 64
#: Hotspots whose code is printed, biggest first.
LABELLED_HOTSPOTS = 15

# Vertical layout, in inches: marking bands, title block, footer.
_BAND = 0.28
_TITLE = 0.75
_FOOTER = 0.45
_MARGIN = 0.25


@dataclass
class MapContent:
    """What the map shows. Coordinates are Lambert-93 metres.

    ``reports`` has at least ``x_l93``, ``y_l93`` and ``agency``;
    ``hotspots`` are :class:`analysis.hotspots.Hotspot` with a ``status`` in
    ``extra``; ``agencies`` are the configured ``{"code", "name",
    "colour"}`` and an optional ``symbol`` (a key of :data:`MARKERS`);
    ``extent`` is ``(xmin, ymin, xmax, ymax)``, or None for
    the whole of ``communes``.
    """

    communes: object
    reports: object
    hotspots: list
    agencies: list
    layers: tuple = DEFAULT_LAYERS
    extent: tuple | None = None
    outline: object = None
    status_colours: dict = field(default_factory=lambda: dict(STATUS_COLOURS))
    #: An xyzservices ``TileProvider`` drawn under the communes, or None.
    tiles: object = None
    #: One of the cell's own basemaps (``webmap.render.tiles.ArchiveBasemap``),
    #: drawn under everything, or None.
    basemap: object = None
    #: Commune choropleth: ``{"values": {insee: value}, "digits": int}``
    #: (its title is ``PageText.words["choropleth"]``), or None.
    choropleth: dict | None = None
    #: Emerging cells (``x``, ``y`` centres, ``category``), for ``cells``.
    cells: object = None
    #: Saved operation zones shown, as ``(name, polygon)``, for ``zones``.
    zones: list = field(default_factory=list)
    #: The zone the filter keeps reports inside (a polygon), or None.
    drawn_zone: object = None
    #: What is named: a subset of :data:`LABELS`.
    labels: tuple = LABELS


@dataclass
class PageText:
    """Every word printed around the map, already translated."""

    title: str
    subtitle: str
    marking: str
    generated: str
    sources: str
    page: str = ""
    fictitious: str | None = None
    status_labels: dict = field(default_factory=dict)
    communes_label: str = "Communes"
    north: str = "N"
    #: Legend words: ``convergent``, ``cell_labels`` (status -> words),
    #: ``zones``, ``drawn_zone``, ``heat``, ``choropleth`` (its title).
    words: dict = field(default_factory=dict)


@dataclass
class Snapshot:
    """A rendered snapshot: the figure, its map axes and its resolution."""

    figure: Figure
    map_axes: object
    dpi: float
    legend_labels: list

    def pixel(self, x_l93, y_l93):
        """Column and row, in PNG pixels from the top left, where a
        Lambert-93 point is drawn."""
        x, y = self.map_axes.transData.transform((x_l93, y_l93))
        height = self.figure.get_figheight() * self.dpi
        return float(x), float(height - y)

    @property
    def extent(self):
        """The Lambert-93 extent the map shows (``xmin, ymin, xmax, ymax``)."""
        (xmin, xmax), (ymin, ymax) = self.map_axes.get_xlim(), self.map_axes.get_ylim()
        return xmin, ymin, xmax, ymax

    def png(self) -> bytes:
        buffer = io.BytesIO()
        # zlib's quickest level: a fifth of the encoding time for a file
        # about a third larger, sent once over a local network.
        self.figure.savefig(buffer, format="png", dpi=self.dpi, pil_kwargs={"compress_level": 1})
        return buffer.getvalue()

    def pdf(self) -> bytes:
        buffer = io.BytesIO()
        # Type 42 embeds TrueType fonts, whose text PDF readers can search
        # and copy (the default Type 3 glyphs are drawings).
        with matplotlib.rc_context({"pdf.fonttype": 42}):
            self.figure.savefig(
                buffer, format="pdf", dpi=PDF_RASTER_DPI, metadata={"Title": self.figure.get_label() or None}
            )
        return buffer.getvalue()


def page_size(*, output, size=None, paper="A4", orientation="landscape"):
    """Figure size in inches and resolution for an output.

    ``size`` is the PNG's ``(width, height)`` in pixels; ``paper`` and
    ``orientation`` choose the PDF page.

    >>> page_size(output="png")
    ((12.0, 6.75), 160)
    >>> [round(v, 2) for v in page_size(output="pdf", paper="A4")[0]]
    [11.69, 8.27]
    """
    if output == "png":
        width, height = size or DEFAULT_PNG_SIZE
        if not (MIN_PNG_SIDE <= width <= MAX_PNG_SIDE and MIN_PNG_SIDE <= height <= MAX_PNG_SIDE):
            raise ValueError(
                f"taille d'image hors limites : {width}×{height} ({MIN_PNG_SIDE} à {MAX_PNG_SIDE} pixels de côté)"
            )
        # Bigger than a full-HD slide, the page keeps its size in inches
        # and gains resolution: text then scales with the image instead of
        # shrinking to specks on a 5000-pixel poster.
        dpi = PNG_DPI * max(1, min(width / DEFAULT_PNG_SIZE[0], height / DEFAULT_PNG_SIZE[1]))
        return (width / dpi, height / dpi), dpi
    if paper not in PAPERS:
        raise ValueError(f"format de papier inconnu « {paper} » (connus : {', '.join(PAPERS)})")
    if orientation not in ("landscape", "portrait"):
        raise ValueError(f"orientation inconnue « {orientation} » (landscape ou portrait)")
    short, long = PAPERS[paper]
    return ((long, short) if orientation == "landscape" else (short, long)), 72


def view_to_extent(west, south, east, north):
    """Lambert-93 extent covering a WGS84 view (a Leaflet map's bounds):
    the four corners and the edge midpoints, projected."""
    lon = np.array([west, east, west, east, (west + east) / 2, (west + east) / 2, west, east])
    lat = np.array([south, south, north, north, south, north, (south + north) / 2, (south + north) / 2])
    x, y = to_lambert93(lon, lat)
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


def fit_extent(extent, box_width, box_height):
    """Widen ``extent`` in one direction so that its shape matches a box of
    ``box_width`` × ``box_height``: one metre is then the same length across
    and down, and the whole asked view stays visible.

    >>> fit_extent((0, 0, 4000, 4000), 2, 1)
    (-2000.0, 0.0, 6000.0, 4000.0)
    """
    xmin, ymin, xmax, ymax = (float(v) for v in extent)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    width, height = max(xmax - xmin, MIN_VIEW_M), max(ymax - ymin, MIN_VIEW_M)
    ratio = box_width / box_height
    if width / height < ratio:
        width = height * ratio
    else:
        height = width / ratio
    return cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2


def render_snapshot(
    content: MapContent, text: PageText, *, output="png", size=None, paper="A4", orientation="landscape"
) -> Snapshot:
    """Draw one page: marking, title, filter sentence, map with its legend,
    scale bar and north arrow, sources, author and page number."""
    (width, height), dpi = page_size(output=output, size=size, paper=paper, orientation=orientation)
    figure = Figure(figsize=(width, height), dpi=dpi)
    figure.set_label(text.title)
    body = draw_page_frame(figure, text)
    left, bottom, right, top = body
    legend_side = width >= height
    if legend_side:
        legend_width = min(3.2, 0.26 * width)
        map_box = (left, bottom, right - legend_width - _MARGIN, top)
        legend_anchor = (right - legend_width, top)
    else:
        legend_height = min(2.4, 0.24 * height)
        map_box = (left, bottom + legend_height + _MARGIN, right, top)
        legend_anchor = (left, bottom + legend_height)
    axes = figure.add_axes(_fraction(figure, map_box))
    handles = draw_map(axes, content, text, box_inches=(map_box[2] - map_box[0], map_box[3] - map_box[1]))
    # Labels wrap within the legend's column (8.5-point text is about
    # 0.06 inch a character), after the symbol's width.
    column = (legend_width if legend_side else (right - left) / 2) - 0.45
    labels = [handle.get_label() for handle in handles]
    for handle in handles:
        handle.set_label("\n".join(textwrap.wrap(handle.get_label(), max(16, int(column / 0.065)))))
    # A legend with many entries gets smaller text rather than running off
    # the page (a row is about 1.9 times the font size).
    rows = sum(handle.get_label().count("\n") + 1 for handle in handles)
    room = (top - bottom) if legend_side else (legend_height * 2)
    fontsize = float(np.clip(room * 72 / (1.9 * max(rows, 1)), 6.0, 8.5))
    legend = figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=_fraction_point(figure, legend_anchor),
        frameon=False,
        fontsize=fontsize,
        handlelength=1.6,
        borderaxespad=0,
        ncols=1 if legend_side else 2,
        title_fontproperties={"weight": "bold", "size": 9},
        alignment="left",
    )
    legend.set_in_layout(False)
    if axes.images and content.tiles is not None:
        attribution = content.tiles.get("attribution") or content.tiles.name
        for item in figure.texts:
            if item.get_text() == text.sources:
                item.set_text(f"{text.sources} ; {attribution}")
    return Snapshot(figure, axes, dpi, labels)


def draw_page_frame(figure, text: PageText, *, title=True):
    """Marking bands at top and bottom, the title block and the footer;
    returns the free body ``(left, bottom, right, top)`` in inches."""
    width, height = figure.get_figwidth(), figure.get_figheight()
    for y, va in ((height - 0.06, "top"), (0.06, "bottom")):
        figure.text(
            0.5, y / height, text.marking, ha="center", va=va, fontsize=11, fontweight="bold", color=MARKING_COLOUR
        )
    top = height - _BAND
    if text.fictitious:
        figure.text(
            0.5,
            (top - 0.02) / height,
            f"  {text.fictitious}  ",
            ha="center",
            va="top",
            fontsize=9.5,
            fontweight="bold",
            bbox={"facecolor": FICTITIOUS_COLOUR, "edgecolor": "none", "pad": 2},
        )
        top -= 0.26
    if title:
        figure.text(
            _MARGIN / width, (top - 0.05) / height, text.title, ha="left", va="top", fontsize=16, fontweight="bold"
        )
        # A long filter sentence wraps rather than running off the page.
        chars = max(40, int((width - 2 * _MARGIN) * 72 / (9.5 * 0.55)))
        lines = textwrap.wrap(text.subtitle, chars)[:4] or [""]
        figure.text(
            _MARGIN / width,
            (top - 0.43) / height,
            "\n".join(lines),
            ha="left",
            va="top",
            fontsize=9.5,
            color="#333333",
            linespacing=1.25,
        )
        top -= _TITLE + 0.17 * (len(lines) - 1)
    bottom = _BAND + _FOOTER
    footer_y = (_BAND + 0.08) / height
    figure.text(
        _MARGIN / width, footer_y + 0.17 / height, text.sources, ha="left", va="bottom", fontsize=7, color="#444444"
    )
    figure.text(_MARGIN / width, footer_y, text.generated, ha="left", va="bottom", fontsize=7, color="#444444")
    if text.page:
        figure.text(1 - _MARGIN / width, footer_y, text.page, ha="right", va="bottom", fontsize=8)
    return _MARGIN, bottom, width - _MARGIN, top - 0.05


def draw_map(axes, content: MapContent, text: PageText, *, box_inches, names=True):
    """Draw the layers of ``content`` on ``axes``, with scale bar and north
    arrow; return the legend handles, one per thing drawn."""
    extent = content.extent or tuple(content.communes.total_bounds)
    xmin, ymin, xmax, ymax = fit_extent(extent, *box_inches)
    axes.set_xlim(xmin, xmax)
    axes.set_ylim(ymin, ymax)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_xlabel("")
    axes.set_ylabel("")
    axes.set_facecolor("#EEF3F7")
    for spine in axes.spines.values():
        spine.set_edgecolor("#888888")
    handles = []

    basemap = None
    if content.basemap is not None:
        figure = axes.get_figure()
        dpi = figure.dpi if figure.dpi >= PNG_DPI else BASEMAP_PRINT_DPI
        pixels = tuple(max(1, min(round(v * dpi), MAX_BASEMAP_SIDE)) for v in box_inches)
        basemap = content.basemap.image((xmin, ymin, xmax, ymax), pixels)
        if basemap is not None:
            # "none": the tiles' pixels as they are, no resampling blur.
            axes.imshow(basemap, extent=(xmin, xmax, ymin, ymax), origin="upper", zorder=0.4, interpolation="none")
    if content.tiles is not None:
        figure = axes.get_figure()
        pixels = (min(int(box_inches[0] * figure.dpi), 2000), min(int(box_inches[1] * figure.dpi), 2000))
        if max(pixels) < 800:  # PDF pages are 72 dpi: fetch for print.
            pixels = tuple(int(v * 800 / max(pixels)) for v in pixels)
        tiles = tile_basemap(content.tiles, (xmin, ymin, xmax, ymax), pixels)
        if tiles is not None:
            basemap = tiles
            axes.imshow(tiles, extent=(xmin, xmax, ymin, ymax), origin="upper", zorder=0.5, interpolation="bilinear")

    if "communes" in content.layers:
        communes = content.communes.cx[xmin:xmax, ymin:ymax]
        if content.choropleth:
            handles += _choropleth(axes, communes, content.choropleth, text)
        else:
            # Over tiles, only the boundaries: the tiles are the ground.
            _fill_polygons(
                axes,
                communes.geometry,
                facecolors="none" if basemap is not None else "#F7F6F2",
                edgecolors="#B5B5B5",
                linewidth=0.35,
                zorder=1,
            )
            handles.append(Patch(facecolor="#F7F6F2", edgecolor="#B5B5B5", label=text.communes_label))
        if content.outline is not None:
            axes.add_artist(_outline_patch(content.outline))
        if names and "communes" in content.labels:
            _name_communes(axes, communes, xmin, ymin, xmax, ymax)

    if "heat" in content.layers and len(content.reports):
        if _heat(axes, content.reports, (xmin, ymin, xmax, ymax)):
            handles.append(Patch(facecolor="#f03b20", alpha=0.5, label=text.words.get("heat", "heat")))

    if "reports" in content.layers and len(content.reports):
        reports = content.reports
        inside = reports["x_l93"].between(xmin, xmax) & reports["y_l93"].between(ymin, ymax)
        # Fewer points in view means each one matters more: draw them bigger.
        marker = float(np.clip(900 / max(int(inside.sum()), 1) ** 0.5, 4, 22))
        for agency in content.agencies:
            rows = reports[reports["agency"] == agency["code"]]
            if rows.empty:
                continue
            symbol = MARKERS.get(agency.get("symbol"), "o")
            axes.scatter(
                rows["x_l93"],
                rows["y_l93"],
                s=marker,
                c=agency["colour"],
                marker=symbol,
                alpha=0.85,
                linewidths=0.3,
                edgecolors="#1A1A1A",
                zorder=3,
                rasterized=len(inside) > RASTER_ABOVE,
            )
            shown = int(inside[rows.index].sum())
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker=symbol,
                    markersize=7,
                    markerfacecolor=agency["colour"],
                    markeredgecolor="#1A1A1A",
                    markeredgewidth=0.5,
                    label=f"{agency['name']} ({french_count(shown)})",
                )
            )

    if "hotspots" in content.layers and content.hotspots:
        statuses = []
        in_view = [
            s for s in content.hotspots if xmin <= s.centroid_l93[0] <= xmax and ymin <= s.centroid_l93[1] <= ymax
        ]
        # Across the département, codes of every hotspot would cover each
        # other: only the biggest are named there.
        named = (
            _spaced_labels(axes, sorted(in_view, key=lambda s: -s.count)[:LABELLED_HOTSPOTS])
            if "hotspots" in content.labels
            else set()
        )
        convergent_shown = False
        for spot in content.hotspots:
            status = _status(spot, content.status_colours)
            colour = content.status_colours[status]
            convergent = bool(getattr(spot, "convergent", False))
            # As on the page: a convergent hotspot (two agencies or more)
            # has a solid dark outline, the others a dashed one in the
            # colour of their trend.
            _draw_polygon(
                axes,
                spot.hull_l93,
                facecolor=colour,
                edgecolor=CONVERGENT_COLOUR if convergent else colour,
                linestyle="-" if convergent else (0, (4, 2)),
                linewidth=2.4 if convergent else 1.6,
            )
            cx, cy = spot.centroid_l93
            if xmin <= cx <= xmax and ymin <= cy <= ymax:
                statuses.append(status)
                convergent_shown |= convergent
                if spot.code and id(spot) in named:
                    axes.annotate(
                        spot.code,
                        (cx, cy),
                        xytext=(0, 7),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=7,
                        fontweight="bold",
                        color="#222222",
                        zorder=6,
                        annotation_clip=True,
                        clip_on=True,
                        path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")],
                    )
        for status, colour in content.status_colours.items():
            if status in statuses:
                handles.append(
                    Patch(
                        facecolor=colour + "59",
                        edgecolor=_darker(colour),
                        linestyle=(0, (4, 2)),
                        label=text.status_labels.get(status, status),
                    )
                )
        if convergent_shown:
            handles.append(
                Patch(
                    facecolor="none",
                    edgecolor=CONVERGENT_COLOUR,
                    linewidth=2.4,
                    label=text.words.get("convergent", "convergent"),
                )
            )

    if "cells" in content.layers and content.cells is not None and len(content.cells):
        handles += _cells(axes, content.cells, content.status_colours, text, (xmin, ymin, xmax, ymax))

    if "zones" in content.layers and content.zones:
        shown = False
        for name, polygon in content.zones:
            if polygon.intersects(_box(xmin, ymin, xmax, ymax)):
                shown = True
                _outline(axes, polygon, ZONE_COLOUR, "-", 2.2, fill=ZONE_COLOUR + "14")
                point = polygon.representative_point()
                if xmin <= point.x <= xmax and ymin <= point.y <= ymax:
                    axes.text(
                        point.x,
                        point.y,
                        name,
                        fontsize=7.5,
                        fontweight="bold",
                        color=ZONE_COLOUR,
                        ha="center",
                        va="center",
                        zorder=9,
                        clip_on=True,
                        path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")],
                    )
        if shown:
            handles.append(
                Patch(
                    facecolor=ZONE_COLOUR + "14",
                    edgecolor=ZONE_COLOUR,
                    linewidth=2.2,
                    label=text.words.get("zones", "zones"),
                )
            )
    if content.drawn_zone is not None:
        _outline(axes, content.drawn_zone, "#B00020", "--", 2.0)
        handles.append(
            Patch(
                facecolor="none",
                edgecolor="#B00020",
                linestyle="--",
                linewidth=2.0,
                label=text.words.get("drawn_zone", "zone"),
            )
        )

    # geopandas names the axes after the CRS; a map for a meeting needs no
    # "Easting [metre]".
    axes.set_xlabel("")
    axes.set_ylabel("")
    # The limits already have the box's shape (fit_extent): declaring the
    # aspect equal changes nothing drawn, and tells the scale bar a metre
    # is as long across as down.
    axes.set_aspect("equal", adjustable="box")
    axes.set_xlim(xmin, xmax)
    axes.set_ylim(ymin, ymax)
    scalebar = ScaleBar(
        1,
        "m",
        location="lower left",
        frameon=True,
        box_alpha=0.8,
        font_properties={"size": 8},
        length_fraction=0.2,
        border_pad=0.6,
    )
    axes.add_artist(scalebar)
    _north_arrow(axes, text.north, (xmin + xmax) / 2, (ymin + ymax) / 2)
    return handles


def tile_basemap(provider, extent, pixels, *, timeout=TILE_TIMEOUT):
    """An internet tile layer reprojected onto a Lambert-93 extent, as an
    RGB(A) array of ``pixels`` (width, height), or None when the tiles
    cannot be had: crossmap must work on a closed network, so an
    unreachable server only costs one short timeout.

    Tiles are Web Mercator (EPSG:3857); each output pixel takes the colour
    of the tile pixel its centre falls in.
    """
    xmin, ymin, xmax, ymax = extent
    width, height = pixels
    xs = xmin + (np.arange(width) + 0.5) * (xmax - xmin) / width
    ys = ymax - (np.arange(height) + 0.5) * (ymax - ymin) / height
    grid_x, grid_y = np.meshgrid(xs, ys)
    lon, lat = to_wgs84(grid_x.ravel(), grid_y.ravel())
    # Zoom whose tile pixels are about as fine as the output's.
    metres_per_pixel = (xmax - xmin) / width
    latitude = np.radians(float(np.mean(lat)))
    zoom = int(
        np.clip(np.ceil(np.log2(156543.03 * np.cos(latitude) / metres_per_pixel)), 0, provider.get("max_zoom", 18))
    )
    while True:
        px, py = _mercator_pixels(lon, lat, zoom)
        tiles_x = np.arange(int(px.min() // 256), int(px.max() // 256) + 1)
        tiles_y = np.arange(int(py.min() // 256), int(py.max() // 256) + 1)
        if len(tiles_x) * len(tiles_y) <= MAX_TILES or zoom == 0:
            break
        zoom -= 1
    url = provider.build_url(z="{z}", x="{x}", y="{y}")
    # One tile first: if the server cannot be reached, give up at once.
    first = _fetch_tile(url, zoom, tiles_x[0], tiles_y[0], timeout)
    if first is None:
        return None
    mosaic = np.zeros((len(tiles_y) * 256, len(tiles_x) * 256, 4), dtype=np.uint8)
    jobs = [(tx, ty) for ty in tiles_y for tx in tiles_x]
    with ThreadPoolExecutor(max_workers=8) as pool:
        images = list(
            pool.map(
                lambda job: first if job == (tiles_x[0], tiles_y[0]) else _fetch_tile(url, zoom, *job, timeout), jobs
            )
        )
    if any(image is None for image in images):
        return None
    for (tx, ty), image in zip(jobs, images):
        row, col = (ty - tiles_y[0]) * 256, (tx - tiles_x[0]) * 256
        mosaic[row : row + 256, col : col + 256] = image
    columns = np.clip((px - tiles_x[0] * 256).astype(int), 0, mosaic.shape[1] - 1)
    rows = np.clip((py - tiles_y[0] * 256).astype(int), 0, mosaic.shape[0] - 1)
    return mosaic[rows, columns].reshape(height, width, 4)


def _mercator_pixels(lon, lat, zoom):
    scale = 256 * 2**zoom
    x = (np.asarray(lon) + 180) / 360 * scale
    sin = np.sin(np.radians(np.asarray(lat)))
    y = (0.5 - np.log((1 + sin) / (1 - sin)) / (4 * np.pi)) * scale
    return x, y


def _fetch_tile(url, zoom, x, y, timeout):
    address = url.replace("{z}", str(zoom)).replace("{x}", str(int(x))).replace("{y}", str(int(y)))
    request = urllib.request.Request(address, headers={"User-Agent": "crossmap snapshot"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            with Image.open(io.BytesIO(response.read())) as image:
                image = image.convert("RGBA")
                if image.size != (256, 256):
                    image = image.resize((256, 256))
                return np.asarray(image)
    except (OSError, ValueError) as error:  # URLError, timeouts and bad images are OSError or ValueError
        log.warning("tile %s unavailable: %s", address, error)
        return None


def _spaced_labels(axes, spots):
    """The hotspots whose code can be printed without covering the code of
    a bigger one (``spots`` come biggest first)."""
    figure = axes.get_figure()
    points_per_unit = 72 / figure.dpi
    placed, named = [], set()
    for spot in spots:
        x, y = axes.transData.transform(spot.centroid_l93) * points_per_unit
        if all(abs(x - px) > 42 or abs(y - py) > 11 for px, py in placed):
            placed.append((x, y))
            named.add(id(spot))
    return named


def _status(spot, colours):
    status = str(spot.extra.get("status") or "no_pattern")
    # A cluster of reports is not a cold spot: its outline keeps the colour
    # of the trend, without the "_cold" suffix the cube analysis adds.
    status = status.removesuffix("_cold")
    return status if status in colours else "no_pattern"


def _darker(colour, factor=0.7):
    """The outline of a light fill: yellow or pale grey edges vanish on the
    basemap otherwise."""
    return to_hex([channel * factor for channel in to_rgb(colour)])


# Shapes are added with ``add_artist``, not ``add_patch``: the map's limits
# are set before anything is drawn, and widening them to each hotspot's
# curves cost a sixth of a PNG export.


def _draw_polygon(axes, geometry, *, facecolor, edgecolor, linestyle="-", linewidth=1.6):
    polygons = getattr(geometry, "geoms", [geometry])
    for polygon in polygons:
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        rings = [np.asarray(polygon.exterior.coords)] + [np.asarray(r.coords) for r in polygon.interiors]
        path = Path.make_compound_path(*[Path(ring, closed=True) for ring in rings])
        axes.add_artist(
            PathPatch(
                path,
                facecolor=facecolor + "4D",
                edgecolor=_darker(edgecolor),
                linewidth=linewidth,
                linestyle=linestyle,
                zorder=4,
            )
        )


#: Paths of the polygons drawn, kept with their geometry: the communes are
#: the same objects at every snapshot, and making a patch per commune cost
#: a third of a PNG export.
_PATHS = {}


def _polygon_path(geometry):
    """One compound path of a (multi)polygon's rings, holes included."""
    held = _PATHS.get(id(geometry))
    if held is not None and held[0] is geometry:
        return held[1]
    rings = [
        Path(np.asarray(ring.coords)[:, :2], closed=True)
        for polygon in getattr(geometry, "geoms", [geometry])
        if polygon.geom_type == "Polygon" and not polygon.is_empty
        for ring in (polygon.exterior, *polygon.interiors)
    ]
    path = Path.make_compound_path(*rings) if rings else Path(np.zeros((0, 2)))
    if len(_PATHS) > 20_000:
        _PATHS.clear()
    _PATHS[id(geometry)] = (geometry, path)
    return path


def _fill_polygons(axes, geometries, *, facecolors, edgecolors, linewidth, zorder, alpha=None):
    """Polygons drawn as one collection (as geopandas' ``plot`` draws them,
    in a tenth of the time), the axes kept at one metre across = one down."""
    axes.set_aspect("equal")
    axes.add_collection(
        PathCollection(
            [_polygon_path(g) for g in geometries],
            facecolors=facecolors,
            edgecolors=edgecolors,
            linewidths=linewidth,
            zorder=zorder,
            alpha=alpha,
        ),
        autolim=False,
    )


def _box(xmin, ymin, xmax, ymax):
    import shapely

    return shapely.box(xmin, ymin, xmax, ymax)


def _outline(axes, geometry, colour, linestyle, linewidth, fill="none"):
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        axes.add_artist(
            PathPatch(
                Path(np.asarray(polygon.exterior.coords), closed=True),
                facecolor=fill,
                edgecolor=colour,
                linewidth=linewidth,
                linestyle=linestyle,
                zorder=8,
            )
        )


def _choropleth(axes, communes, choropleth, text):
    """Fill the communes by class of their mapped value; one legend entry
    per class, with its bounds, as the page's legend."""
    values = choropleth["values"]
    digits = choropleth.get("digits", 0)
    breaks = choropleth_breaks(values.values())
    fills = [choropleth_colour(values.get(code, 0), breaks) for code in communes["insee"]]
    _fill_polygons(axes, communes.geometry, facecolors=fills, edgecolors="#8a8a8a", linewidth=0.35, zorder=1, alpha=0.9)
    bounds = [0, *breaks]
    handles = [
        Patch(facecolor="none", edgecolor="none", label=text.words.get("choropleth", "")),
        Patch(facecolor=CHOROPLETH_ZERO, edgecolor="#8a8a8a", label="0"),
    ]
    for i, colour in enumerate(CHOROPLETH_COLOURS):
        label = f"> {french_number(bounds[i], digits)}"
        if i < 4:
            label += f" – {french_number(bounds[i + 1], digits)}"
        handles.append(Patch(facecolor=colour, edgecolor="#8a8a8a", label=label))
    return handles


def _heat(axes, reports, extent):
    """Report density, smoothed over about a kilometre at the
    département's scale, drawn under the points. False if none in view."""
    from scipy.ndimage import gaussian_filter

    xmin, ymin, xmax, ymax = extent
    x, y = reports["x_l93"].to_numpy(float), reports["y_l93"].to_numpy(float)
    inside = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    if not inside.any():
        return False
    bins = 240
    grid, _, _ = np.histogram2d(
        y[inside],
        x[inside],
        bins=(int(bins * (ymax - ymin) / (xmax - xmin)) or 1, bins),
        range=((ymin, ymax), (xmin, xmax)),
    )
    grid = gaussian_filter(grid, sigma=2.5)
    if grid.max() <= 0:
        return False
    grid = np.ma.masked_less(grid / grid.max(), 0.04)
    axes.imshow(
        grid,
        extent=(xmin, xmax, ymin, ymax),
        origin="lower",
        cmap="YlOrRd",
        alpha=0.65,
        zorder=2.5,
        interpolation="bilinear",
        vmin=0,
        vmax=1,
    )
    return True


def _cells(axes, cells, colours, text, extent):
    """Emerging cells as squares outlined in their trend's colour (cold
    ones are not drawn, as on the page); one legend entry per category."""
    xmin, ymin, xmax, ymax = extent
    half = CELL_SIDE / 2
    shown = []
    for row in cells.itertuples(index=False):
        category = str(row.category)
        if category.endswith("_cold") or category not in colours:
            continue
        if not (xmin - half <= row.x <= xmax + half and ymin - half <= row.y <= ymax + half):
            continue
        axes.add_artist(
            Rectangle(
                (row.x - half, row.y - half),
                CELL_SIDE,
                CELL_SIDE,
                facecolor="none",
                edgecolor=colours[category],
                linewidth=1.8,
                zorder=5,
            )
        )
        shown.append(category)
    names = text.words.get("cell_labels", {})
    return [
        Patch(facecolor="none", edgecolor=colour, linewidth=1.8, label=names.get(status, status))
        for status, colour in colours.items()
        if status in shown
    ]


def _outline_patch(outline):
    paths = []
    for polygon in getattr(outline, "geoms", [outline]):
        paths.append(Path(np.asarray(polygon.exterior.coords), closed=True))
    return PathPatch(Path.make_compound_path(*paths), facecolor="none", edgecolor="#555555", linewidth=1.2, zorder=2)


def _name_communes(axes, communes, xmin, ymin, xmax, ymax):
    if "population" not in communes:
        return
    # In a close view every commune is named; across the département only
    # the towns.
    close = (xmax - xmin) < 40_000
    towns = communes if close else communes[communes["population"] >= NAMED_POPULATION]
    points = towns.geometry.representative_point()
    for name, point in zip(towns["name"], points):
        if xmin <= point.x <= xmax and ymin <= point.y <= ymax:
            axes.text(
                point.x,
                point.y,
                name,
                fontsize=6.5 if close else 7,
                color="#333333",
                ha="center",
                va="center",
                zorder=5,
                clip_on=True,
                path_effects=[patheffects.withStroke(linewidth=1.8, foreground="white")],
            )


def _north_arrow(axes, label, x, y):
    """An arrow to true north: Lambert-93's grid north is off by the
    meridian convergence (about 2.5° in the Vosges)."""
    lon, lat = to_wgs84(x, y)
    x2, y2 = to_lambert93(lon, lat + 0.05)
    angle = np.arctan2(x2 - x, y2 - y)
    length = 0.07
    base = (0.95 - length * np.sin(angle) / 2, 0.78)
    tip = (base[0] + length * np.sin(angle), base[1] + length * np.cos(angle) * _aspect(axes))
    axes.annotate(
        "",
        xy=tip,
        xytext=base,
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>", "color": "#222222", "linewidth": 1.6, "mutation_scale": 16},
        zorder=7,
    )
    axes.text(
        tip[0],
        tip[1] + 0.01,
        label,
        transform=axes.transAxes,
        ha="center",
        va="bottom",
        fontsize=11,
        fontweight="bold",
        zorder=7,
        path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
    )


def _aspect(axes):
    position = axes.get_position()
    figure = axes.get_figure()
    width = position.width * figure.get_figwidth()
    height = position.height * figure.get_figheight()
    return width / height


def _fraction(figure, box):
    left, bottom, right, top = box
    width, height = figure.get_figwidth(), figure.get_figheight()
    return [left / width, bottom / height, (right - left) / width, (top - bottom) / height]


def _fraction_point(figure, point):
    return point[0] / figure.get_figwidth(), point[1] / figure.get_figheight()


def french_number(value, digits=0):
    """A French decimal number, thousands apart.

    >>> french_number(5.2649, 2), french_number(1234)
    ('5,26', '1\u202f234')
    """
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def french_count(value):
    """French thousands: a narrow no-break space.

    >>> french_count(12863)
    '12\u202f863'
    """
    return f"{value:,}".replace(",", "\u202f")
