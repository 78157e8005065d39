"""The installed basemaps as Leaflet layers of the map page (folium).
Flask-free: the caller passes each basemap's tile address.

Raster archives become ``L.tileLayer``; vector ones are drawn in the browser
by protomaps-leaflet (vendored, pinned) in its "light" flavour, with the
browser's own fonts: no glyph, sprite or style is fetched from anywhere.
Every basemap is a base layer, beside a "communes only" one, the fallback;
archives installed with the role ``under`` (hillshade, aerial) are overlays,
multiplied onto whichever base layer is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
from branca.element import MacroElement, Template
from folium.map import Layer

PROTOMAPS = "vendor/protomaps-leaflet-5.1.0/protomaps-leaflet.js"
#: The protomaps-leaflet flavour the page draws vector tiles with; the
#: snapshot's colours (webmap.render.tiles.VECTOR_STYLE) copy it.
FLAVOUR = "light"
#: Leaflet zooms past an archive's last level enlarge its last tiles.
MAX_ZOOM = 19
UNDER_OPACITY = 0.5


@dataclass(frozen=True)
class PageBasemap:
    """What the page needs of an installed basemap."""

    name: str
    url: str  # tile address with {z}, {x}, {y}
    kind: str  # "raster" or "vector"
    minzoom: int
    maxzoom: int
    bounds: tuple  # west, south, east, north
    attribution: str
    default: bool = False
    role: str = "base"


class VectorTileLayer(Layer):
    """A protomaps-leaflet layer reading ``{z}/{x}/{y}`` vector tiles."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = protomapsL.leafletLayer({{ this.options|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, basemap: PageBasemap, *, show):
        super().__init__(name=basemap.name, overlay=False, control=True, show=show)
        self._name = "VectorTileLayer"
        west, south, east, north = basemap.bounds
        self.options = {
            "url": basemap.url,
            "flavor": FLAVOUR,
            "lang": "fr",
            "maxDataZoom": basemap.maxzoom,
            "maxZoom": MAX_ZOOM,
            "bounds": [[south, west], [north, east]],
            "attribution": basemap.attribution or basemap.name,
            "crossmapBasemap": True,
        }


class _BasemapHandles(MacroElement):
    """Publishes which base layer is shown (``window.crossmapBasemap``) and
    which layer lies under it (``window.crossmapUnder``), for the export
    form, and keeps them up to date."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            window.crossmapBasemap = {{ this.initial|tojson }};
            window.crossmapUnder = null;
            map.on("baselayerchange", function (e) {
                window.crossmapBasemap = e.layer.options.crossmapBasemap ? e.name : null;
            });
            map.on("overlayadd", function (e) {
                if (e.layer.options.crossmapUnder) window.crossmapUnder = e.name;
            });
            map.on("overlayremove", function (e) {
                if (e.layer.options.crossmapUnder && window.crossmapUnder === e.name) window.crossmapUnder = null;
            });
        })();
        {% endmacro %}"""
    )

    def __init__(self, initial):
        super().__init__()
        self._name = "BasemapHandles"
        self.initial = initial


def add_basemap_layers(fmap, basemaps, *, fallback_name, asset_url):
    """Add the basemaps to ``fmap`` (before its layer control); return the
    name of the base layer shown at first, or None when only the communes
    are (no basemap installed)."""
    bases = [b for b in basemaps if b.role == "base"]
    if not basemaps:
        return None
    if any(b.kind == "vector" for b in bases):
        fmap.default_js.append(("protomaps", asset_url(PROTOMAPS)))
    shown = next((b for b in bases if b.default), bases[0] if bases else None)
    for basemap in bases:
        if basemap.kind == "vector":
            VectorTileLayer(basemap, show=basemap is shown).add_to(fmap)
        else:
            _raster_layer(basemap, overlay=False, show=basemap is shown).add_to(fmap)
    # An empty base layer: the communes alone, as before any basemap.
    folium.FeatureGroup(name=fallback_name, overlay=False, show=shown is None).add_to(fmap)
    for basemap in basemaps:
        if basemap.role == "under":
            _raster_layer(
                basemap,
                overlay=True,
                show=False,
                opacity=UNDER_OPACITY,
                class_name="crossmap-under",
                crossmap_under=True,
            ).add_to(fmap)
    _BasemapHandles(shown.name if shown else None).add_to(fmap)
    return shown.name if shown else None


def _raster_layer(basemap, *, overlay, show, **options):
    west, south, east, north = basemap.bounds
    return folium.TileLayer(
        tiles=basemap.url,
        attr=basemap.attribution or basemap.name,
        name=basemap.name,
        overlay=overlay,
        show=show,
        min_zoom=0,
        max_zoom=MAX_ZOOM,
        max_native_zoom=basemap.maxzoom,
        min_native_zoom=basemap.minzoom,
        bounds=[[south, west], [north, east]],
        crossmap_basemap=not overlay,
        **options,
    )
