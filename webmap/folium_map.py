"""The map page's Leaflet map, built with folium. Flask-free: the caller
passes the data and a function giving the URL of a vendored asset."""

import html

import folium
from branca.element import MacroElement, Template

LEAFLET = "vendor/leaflet-1.9.4"

# Thin grey outlines: the communes are the basemap, the reports are the news.
COMMUNE_STYLE = {"color": "#666666", "weight": 0.6, "fillColor": "#f4f1ea", "fillOpacity": 0.6}
COMMUNE_HIGHLIGHT = {"weight": 2, "color": "#222222"}


def build_map(*, communes, reports, agencies, labels, asset_url):
    """Return the folium Map: communes as the basemap and one toggleable
    layer of reports per agency, with a legend.

    Parameters
    ----------
    communes : GeoDataFrame
        WGS84 polygons with ``insee``, ``name`` and ``population``.
    reports : DataFrame
        Rows of ``webmap.store.reports_frame``.
    agencies : list of dict
        ``code``, ``name`` and ``colour`` of each agency, in legend order.
    labels : dict
        French texts: ``attribution`` (of the basemap), ``communes``, ``commune``, ``population`` and the popup
        field names (``agency``, ``observed_at``, ``category``, ``grading``,
        ``place``, ``precision``), plus ``category_labels`` and
        ``precision_labels`` mappings.
    asset_url : callable
        ``asset_url(path)`` gives the URL of a file under ``static/``.
    """
    west, south, east, north = communes.total_bounds
    fmap = folium.Map(tiles=None, prefer_canvas=True, control_scale=False, zoom_snap=0.25)
    # folium points at CDNs by default; the page must work air-gapped.
    fmap.default_js = [("leaflet", asset_url(f"{LEAFLET}/leaflet.js"))]
    fmap.default_css = [("leaflet_css", asset_url(f"{LEAFLET}/leaflet.css"))]
    fmap.fit_bounds([[south, west], [north, east]])

    folium.GeoJson(
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

    for agency in agencies:
        rows = reports[reports["agency"] == agency["code"]]
        layer = folium.FeatureGroup(name=_legend_entry(agency, len(rows)), show=True)
        layer.add_to(fmap)
        if len(rows):
            folium.GeoJson(
                _points(rows, agency, labels),
                marker=folium.CircleMarker(radius=4, weight=1, fill=True, fill_opacity=0.85),
                style_function=_fixed_style(agency["colour"]),
                popup=folium.GeoJsonPopup(
                    fields=["agency", "observed_at", "category", "grading", "place", "precision"],
                    aliases=[labels[key] for key in ("agency", "observed_at", "category", "grading", "place", "precision")],
                ),
            ).add_to(layer)

    folium.LayerControl(collapsed=False).add_to(fmap)
    _MapExtras(attribution=labels["attribution"]).add_to(fmap)
    return fmap


class _MapExtras(MacroElement):
    """A metric-only scale bar and the basemap's attribution."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.attribution|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, attribution):
        super().__init__()
        self._name = "MapExtras"
        self.attribution = html.escape(attribution)


def _fixed_style(colour):
    return lambda feature: {"color": "#1a1a1a", "fillColor": colour}


def _legend_entry(agency, count):
    # Leaflet shows layer names as HTML: escape what comes from configuration.
    swatch = f'<span class="swatch" style="background:{html.escape(agency["colour"])}"></span>'
    count = f"{count:,}".replace(",", "\u202f")
    return f'{swatch}{html.escape(agency["name"])} <span class="count">({count})</span>'


def _points(rows, agency, labels):
    category_labels = labels["category_labels"]
    precision_labels = labels["precision_labels"]
    features = []
    for row in rows.itertuples(index=False):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(row.lon, 5), round(row.lat, 5)]},
                "properties": {
                    "agency": html.escape(agency["name"]),
                    "observed_at": row.observed_at.strftime("%d/%m/%Y %H:%M"),
                    "category": str(category_labels.get(row.category, row.category)),
                    "grading": f"{row.reliability}{row.credibility}",
                    # The popup writes values as HTML; free text must not run.
                    "place": html.escape(row.place_text),
                    "precision": str(precision_labels.get(row.precision, row.precision)),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
