"""The map page's Leaflet map, built with folium. Flask-free: the caller
passes the reference layers and a function giving the URL of a vendored
asset.

folium draws what does not change while the page is open: the communes
basemap, the administrative limits, the optional tile layers, the layer
control and the scale. Reports, hotspots and figures change with every
filter, so the page's own script (``static/js/map/``) fetches them from
the JSON API and draws them on canvas.
"""

import html

import folium
import xyzservices
from branca.element import MacroElement, Template

from webmap.render.basemap_layers import add_basemap_layers

LEAFLET = "vendor/leaflet-1.9.4"

# Thin grey outlines: the communes are the basemap, the reports are the news.
COMMUNE_STYLE = {"color": "#666666", "weight": 0.6, "fillColor": "#f4f1ea", "fillOpacity": 0.6}
COMMUNE_HIGHLIGHT = {"weight": 2, "color": "#222222"}
CANTON_STYLE = {"color": "#5a3d8a", "weight": 1.6, "fill": False, "dashArray": "6 4"}
ARRONDISSEMENT_STYLE = {"color": "#1a1a1a", "weight": 2.6, "fill": False}


def build_map(*, communes, cantons, arrondissements, labels, asset_url, tile_layers=(), basemaps=()):
    """Return the folium Map: communes as the basemap, the cantons and
    arrondissements (hidden at first), the configured tile layers (hidden at
    first), a layer control and a metric scale.

    Parameters
    ----------
    communes : GeoDataFrame
        WGS84 polygons with ``insee``, ``name`` and ``population``.
    cantons, arrondissements : GeoDataFrame
        WGS84 polygons with ``code`` and ``name``.
    labels : dict
        French texts: ``attribution`` (of the basemap), ``communes``,
        ``commune``, ``population``, ``cantons``, ``arrondissements``.
    asset_url : callable
        ``asset_url(path)`` gives the URL of a file under ``static/``.
    tile_layers : sequence of str
        xyzservices names (``"GeoportailFrance.plan"``); each becomes a
        base layer the user may switch on. Empty keeps the map air-gapped.
    basemaps : sequence of webmap.render.basemap_layers.PageBasemap
        The cell's own basemaps (``crossmap basemap add``), served by
        crossmap: base layers beside ``labels["no_basemap"]``, the communes
        alone.
    """
    west, south, east, north = communes.total_bounds
    fmap = folium.Map(tiles=None, prefer_canvas=True, control_scale=False, zoom_snap=0.25, zoom_delta=0.5)
    # folium points at CDNs by default; the page must work air-gapped.
    fmap.default_js = [("leaflet", asset_url(f"{LEAFLET}/leaflet.js"))]
    fmap.default_css = [("leaflet_css", asset_url(f"{LEAFLET}/leaflet.css"))]
    fmap.fit_bounds([[south, west], [north, east]])

    for name in tile_layers:
        provider = xyzservices.providers.query_name(name)
        folium.TileLayer(
            tiles=provider.build_url(),
            attr=provider.html_attribution,
            name=provider.name,
            max_zoom=provider.get("max_zoom", 18),
            overlay=True,
            show=False,
        ).add_to(fmap)

    add_basemap_layers(fmap, basemaps, fallback_name=labels.get("no_basemap", "Communes"), asset_url=asset_url)

    layer = folium.GeoJson(
        communes[["insee", "name", "population", "geometry"]],
        name=labels["communes"],
        style_function=lambda feature: COMMUNE_STYLE,
        highlight_function=lambda feature: COMMUNE_HIGHLIGHT,
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "insee", "population"],
            aliases=[labels["commune"], "INSEE", labels["population"]],
            localize=True,
        ),
        control=True,
    ).add_to(fmap)
    cantons_layer = folium.GeoJson(
        cantons[["code", "name", "geometry"]],
        name=labels["cantons"],
        show=False,
        style_function=lambda feature: CANTON_STYLE,
        interactive=False,
    ).add_to(fmap)
    arrondissements_layer = folium.GeoJson(
        arrondissements[["code", "name", "geometry"]],
        name=labels["arrondissements"],
        show=False,
        style_function=lambda feature: ARRONDISSEMENT_STYLE,
        interactive=False,
    ).add_to(fmap)

    # Collapsed: the side panel holds the same switches with counts.
    control = folium.LayerControl(collapsed=True)
    control.add_to(fmap)
    _PageHandles(
        attribution=labels["attribution"],
        communes=layer,
        control=control,
        limits=[cantons_layer, arrondissements_layer],
    ).add_to(fmap)
    return fmap


class _PageHandles(MacroElement):
    """A metric-only scale bar, the basemap's attribution, and the objects the
    page script needs, published as ``window.crossmapHandles``."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.attribution|tojson }});
        window.crossmapHandles = {
            map: {{ this._parent.get_name() }},
            layerControl: {{ this.control.get_name() }},
            communes: {{ this.communes.get_name() }},
            limits: [{% for layer in this.limits %}{{ layer.get_name() }}{{ "," if not loop.last }}{% endfor %}]
        };
        {% endmacro %}"""
    )

    def __init__(self, attribution, communes, control, limits):
        super().__init__()
        self._name = "PageHandles"
        self.attribution = html.escape(attribution)
        self.communes = communes
        self.control = control
        self.limits = limits
