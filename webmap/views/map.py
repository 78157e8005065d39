"""The map page: folium draws the basemap, the page script
(``static/js/map/main.js``) fetches everything that filters change from the JSON
API."""

import functools

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from analysis.vocabulary import CATEGORIES, SUBSTANCES
from geo.reference import load_arrondissements, load_cantons, load_communes, load_ssmsi
from webmap import labels
from webmap.db import get_session
from webmap.render.basemap_layers import PageBasemap
from webmap.render.page_map import build_map
from webmap.render.style import STATUS_COLOURS, agency_styles
from webmap.security.access import allowed
from webmap.security.need_to_know import viewer_agency
from webmap.services.basemaps import BasemapRegistry
from webmap.services.store import visible_span

bp = Blueprint("map", __name__)

# The Vosges trend given for context on every commune card.
SSMSI_INDICATOR = "Trafic de stupéfiants"


@bp.get("/")
def index():
    session = get_session()
    # The time slider's ends and the count in the title bar.
    first, last, count = visible_span(session, viewer_agency())
    header, body, script = basemap()
    return render_template(
        "map/index.html",
        map_header=header,
        map_html=body,
        map_script=script,
        report_count=count,
        page_config=_page_config(first, last),
    )


def basemap():
    """The folium basemap for the current request's settings. ``crossmap
    serve`` calls it once before taking requests, so that the first visitor
    after a start does not wait for it."""
    return _basemap(
        url_for("static", filename=""),
        tuple(current_app.config.get("TILE_LAYERS") or ()),
        str(get_locale()),
        installed_basemaps(),
    )


def installed_basemaps():
    """The cell's basemaps as the page shows them; part of the folium map's
    cache key, so that ``crossmap basemap add`` shows on the next page."""

    def tile_url(b):
        return url_for("tiles.tile", slug=b.slug, z=0, x=0, y=0, ext=b.format).replace(
            f"/0/0/0.{b.format}", f"/{{z}}/{{x}}/{{y}}.{b.format}"
        )

    return tuple(
        PageBasemap(
            name=b.name,
            url=tile_url(b),
            kind=b.kind,
            minzoom=b.minzoom,
            maxzoom=b.maxzoom,
            bounds=tuple(b.bounds),
            attribution=b.attribution,
            default=b.default,
            role=b.role,
        )
        for b in BasemapRegistry(current_app.instance_path).list()
    )


@functools.lru_cache(maxsize=8)
def _basemap(static_root, tile_layers, locale, basemaps=()):
    """The folium map's header, body and script. It depends on nothing a
    user changes, and rendering 500 communes costs half a second: once per
    process (and per locale) is enough."""
    fmap = build_map(
        communes=load_communes(),
        cantons=load_cantons(),
        arrondissements=load_arrondissements(),
        labels=_map_labels(),
        asset_url=lambda path: static_root + path,
        tile_layers=tile_layers,
        basemaps=basemaps,
    )
    root = fmap.get_root()
    root.render()
    return root.header.render(), root.html.render(), root.script.render()


def _page_config(first, last):
    """What the page script needs to know that is not data: agencies,
    vocabularies, French labels, the data's time span, SSMSI context."""
    ssmsi = load_ssmsi()
    ssmsi = ssmsi[(ssmsi["departement"] == current_app.config["DEPARTEMENT"]) & (ssmsi["indicator"] == SSMSI_INDICATOR)]
    agencies = agency_styles(current_app.config["AGENCIES"])
    return {
        "agencies": agencies,
        "clustering": {key: current_app.config["CLUSTERING"][key] for key in ("eps", "min_samples")},
        "categories": {code: str(labels.CATEGORY_LABELS.get(code, code)) for code in CATEGORIES},
        "substances": {code: str(labels.SUBSTANCE_LABELS.get(code, code)) for code in SUBSTANCES},
        "precisions": {code: str(label) for code, label in labels.PRECISION_LABELS.items()},
        "statuses": {
            code: {"label": label, "colour": STATUS_COLOURS[code]} for code, label in _status_labels().items()
        },
        "communes": _commune_index(),
        # Drawing zones is for commanders (webmap.security.access); everyone may measure.
        # Reports placed outside it were accepted on request at import: the
        # popup says so.
        "departement": current_app.config["DEPARTEMENT"],
        "can_plan": bool(current_user.is_authenticated and allowed(current_user.role, "zones")),
        "can_export": bool(current_user.is_authenticated and allowed(current_user.role, "export")),
        "first_day": first.date().isoformat() if first else None,
        "last_day": last.date().isoformat() if last else None,
        "ssmsi": {
            "indicator": SSMSI_INDICATOR,
            "years": [int(y) for y in ssmsi["year"]],
            "counts": [int(n) for n in ssmsi["count"]],
        },
        "text": _script_texts(),
    }


@functools.lru_cache(maxsize=1)
def _commune_index():
    """Name, population and bounds of each commune, for the search box."""
    return [
        {
            "insee": row.insee,
            "name": row.name,
            "population": int(row.population),
            "postal_codes": list(row.postal_codes),
            "bounds": [round(v, 5) for v in row.geometry.bounds],
        }
        for row in load_communes().itertuples(index=False)
    ]


def _status_labels():
    return {
        "new": _("new"),
        "consecutive": _("consecutive"),
        "intensifying": _("intensifying"),
        "persistent": _("persistent"),
        "diminishing": _("diminishing"),
        "sporadic": _("sporadic"),
        "oscillating": _("oscillating"),
        "historical": _("historical"),
        "no_pattern": _("no trend"),
        "dormant": _("dormant"),
    }


def _script_texts():
    """Every sentence the page script writes, in French."""
    return {
        "agency": _("Agency"),
        "date": _("Date"),
        "category": _("Category"),
        "grading": _("Grading"),
        "place": _("Place as given"),
        "precision": _("Precision"),
        "outside": _("Outside the département (commune)"),
        "hotspot": _("Hotspot"),
        "status": _("Status"),
        "convergence": _("Convergence"),
        "agencies_count": _("agencies"),
        "agency_one": _("agency"),
        "no_result": _("no result"),
        "in_table": _("See in the table"),
        "weekly_chart": _("Reports per week, by agency"),
        "partial_week": _("partial week"),
        "partial_note": _("Pale bars: weeks cut by the period (partial)."),
        "scale": _("Reports per cell:"),
        "convergent_outline": _("convergent (two agencies or more)"),
        "cells": _("Emerging cells"),
        "zones_legend": _("Operation zones"),
        "cell_recent": _("Reports in the last 4 weeks"),
        "cell_note": _("500 m cell whose weekly counts show a trend (Getis-Ord Gi*, Mann-Kendall)."),
        # leaflet-draw's tooltips and buttons (L.drawLocal), in French.
        "draw": {
            "cancel_title": _("Cancel drawing"),
            "cancel": _("Cancel"),
            "finish_title": _("Finish drawing"),
            "finish": _("Finish"),
            "undo_title": _("Delete last point drawn"),
            "undo": _("Delete last point"),
            "circle_start": _("Click and drag to draw a circle."),
            "radius": _("Radius"),
            "polygon_start": _("Click to start drawing the shape."),
            "polygon_cont": _("Click to continue drawing the shape."),
            "polygon_end": _("Click the first point to close the shape."),
            "line_start": _("Click to start the line."),
            "line_cont": _("Click to continue the line."),
            "line_end": _("Click the last point to finish the line."),
            "line_error": _("The edges of a shape cannot cross."),
            "rectangle_start": _("Click and drag to draw a rectangle."),
            "release": _("Release the mouse to finish drawing."),
            "edit_text": _("Drag the handles to change the shape."),
            "edit_subtext": _("Cancel undoes the changes."),
        },
        "reports": _("Reports"),
        # {size} is the side of the squares, "2 km" or "500 m".
        "squares_legend": _("reports aggregated per {size} square — zoom in to see the points"),
        "first_seen": _("First seen"),
        "last_seen": _("Last seen"),
        "communes": _("Communes"),
        "commune": _("Commune"),
        "weekly": _("Reports per week"),
        "zoom": _("Zoom"),
        "link": _("Link to this view"),
        "close": _("Close"),
        "population": _("Population"),
        "rate": _("Rate per 1,000 inhabitants"),
        "smoothed_rate": _("Smoothed rate per 1,000"),
        "count": _("Reports"),
        "trend": _("Trend (13 weeks against the 13 before)"),
        "vosges_trend": _("Vosges, recorded drug trafficking (SSMSI, persons implicated)"),
        "by_agency": _("By agency"),
        "by_category": _("By category"),
        "zone": _("Operation zone"),
        "zone_name": _("Zone name"),
        "save": _("Save"),
        "edit_shape": _("Edit the shape"),
        "finish_edit": _("Save the shape"),
        "delete": _("Delete"),
        "confirm_delete": _("Delete this zone?"),
        "area": _("Area"),
        "radius": _("Radius"),
        "hotspots": _("Hotspots"),
        "no_zone": _("No zone saved."),
        "distance": _("Distance"),
        "cell": _("Emerging cell"),
        "convergent": _("convergent"),
        "none": _("none"),
        "loading": _("Loading…"),
        "error": _("The server did not answer"),
        "week": _("Week"),
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        "no_emerging": _("Nothing new or intensifying under these filters."),
        "choropleth_count": _("Reports per commune"),
        "choropleth_rate": _("Reports per 1,000 inhabitants"),
        "choropleth_smoothed": _("Smoothed rate per 1,000 inhabitants"),
        "shown": _("shown"),
        "play": _("Play"),
        "pause": _("Pause"),
        "active_since": _("active since"),
        "reports_in_period": _("reports in the period"),
        "last_report": _("last report on"),
        "beyond_expected": _("beyond what its communes predict"),
        "not_beyond_expected": _("not beyond what its communes predict"),
        "expected": _("expected"),
    }


def _map_labels():
    return {
        "attribution": "IGN – ADMIN EXPRESS COG 2018 ; INSEE COG 2026",
        "communes": _("Communes"),
        "commune": _("Commune"),
        "population": _("Population"),
        "cantons": _("Cantons"),
        "arrondissements": _("Arrondissements"),
        "no_basemap": _("Communes only"),
    }
