"""Map snapshots (PNG, PDF) and briefing packs (PDF) for meetings.

**One state, one contract.** ``GET /export/snapshot.png``,
``/export/snapshot.pdf`` and ``/export/briefing.pdf`` take the map page's
state exactly as the page writes it in its address, so that the page can
send its query string whole: the filter of ``webmap.services.filters``
(period, weekdays, hours, agencies, categories, substances, grading, zone),
the clustering parameters, and:

=============  ==============================================================
``layers``     comma-separated among ``communes,heat,reports,hotspots,
               cells,zones``; the page always adds ``communes``, its
               basemap
``choro``      commune choropleth: ``count``, ``rate`` or ``smoothed``
``zones``      ids of the saved zones shown, comma-separated (default: all
               of them, when the ``zones`` layer is on)
``labels``     what is named: ``communes,hotspots`` (default), a part of
               it, or ``none``
``bounds``     ``west,south,east,north`` (WGS84): the map's bounds
``view``       the same bounds; the page's ``zoom/lat/lon`` form is accepted
               and stands aside for ``bounds``
``convergent`` ``1``: the page lists convergent hotspots only (the map
               itself is unchanged, so is the snapshot)
``card``       the open card: accepted, not printed
``title``      the title to print
``size``       PNG ``WIDTHxHEIGHT`` in pixels (default ``SNAPSHOT_SIZE``)
``paper``      PDF ``A4`` or ``A3``
``orientation`` ``landscape`` or ``portrait``
``basemap``    the name of one of the cell's basemaps (``crossmap basemap``)
``under``      the name of the hillshade or aerial layer shown under it
=============  ==============================================================

The same functions serve ``crossmap snapshot`` and ``crossmap briefing``
(``webmap.cli.snapshots``). Views stay thin: parse, call
:func:`make_snapshot` or :func:`make_briefing`, send the bytes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import geopandas as gpd
import numpy as np
import shapely
import xyzservices
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from geo.crs import LAMBERT93, WGS84, to_lambert93
from geo.reference import load_communes, load_outline
from webmap import labels
from webmap.db.models import PARIS
from webmap.render import briefing
from webmap.render.basemap_layers import UNDER_OPACITY
from webmap.render.map_image import (
    DEFAULT_LAYERS,
    LABELS,
    LAYERS,
    MAX_PNG_SIDE,
    MIN_PNG_SIDE,
    PAPERS,
    MapContent,
    PageText,
    render_snapshot,
    view_to_extent,
)
from webmap.render.style import STATUS_COLOURS, agency_styles
from webmap.render.tiles import ArchiveBasemap, LayeredBasemap
from webmap.security.need_to_know import viewer_agency, visible_reports
from webmap.services import audit, runs
from webmap.services import hotspots as service
from webmap.services.basemaps import BasemapRegistry
from webmap.services.filters import PARAMETERS, FilterError, ReportFilter, parse_filter
from webmap.services.store import ANALYSIS_COLUMNS, FRAME_COLUMNS
from webmap.services.zones import list_zones, zone_geometry

log = logging.getLogger(__name__)

#: The page's state, beside the filter and clustering parameters.
VIEW_PARAMETERS = (
    "view",
    "bounds",
    "layers",
    "choro",
    "zones",
    "labels",
    "convergent",
    "card",
    "title",
    "size",
    "paper",
    "orientation",
    "tiles",
    "basemap",
    "under",
)
#: Choropleth modes -> column of ``commune_figures`` and decimals shown.
CHOROPLETH = {"count": ("count", 0), "rate": ("rate_per_1000", 2), "smoothed": ("smoothed_rate_per_1000", 2)}
CHOROPLETH_TITLES = {
    "count": _l("Reports per commune"),
    "rate": _l("Reports per 1,000 inhabitants"),
    "smoothed": _l("Smoothed rate per 1,000 inhabitants"),
}
WEEKDAY_NAMES = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
FORMATS = ("png", "pdf")
ATTRIBUTION = "IGN – ADMIN EXPRESS COG 2018 ; INSEE COG 2026"
#: A briefing without dates covers the last twelve weeks up to today.
BRIEFING_WEEKS = 12

STATUS_LABELS = {
    "new": _l("new"),
    "consecutive": _l("consecutive"),
    "intensifying": _l("intensifying"),
    "persistent": _l("persistent"),
    "diminishing": _l("diminishing"),
    "sporadic": _l("sporadic"),
    "oscillating": _l("oscillating"),
    "historical": _l("historical"),
    "no_pattern": _l("no trend"),
    "dormant": _l("dormant"),
}


@dataclass(frozen=True)
class SnapshotRequest:
    """Everything a snapshot depends on, parsed and checked."""

    report_filter: ReportFilter
    params: service.ClusterParams
    view: tuple | None = None
    layers: tuple = DEFAULT_LAYERS
    title: str | None = None
    size: tuple | None = None
    paper: str = "A4"
    orientation: str = "landscape"
    tiles: str | None = None
    basemap: str | None = None
    under: str | None = None
    choro: str | None = None
    #: Ids of the saved zones shown; None: all of them.
    zones: tuple | None = None
    labels: tuple = LABELS
    convergent: bool = False

    def record(self):
        """What the audit trail keeps of the request."""
        return {
            "filters": self.report_filter.to_params(),
            "eps": self.params.eps,
            "min_samples": self.params.min_samples,
            "time_eps": self.params.time_eps,
            "view": list(self.view) if self.view else None,
            "layers": list(self.layers),
            "title": self.title,
            "tiles": self.tiles,
            "basemap": self.basemap,
            "under": self.under,
            "choro": self.choro,
            "zones": list(self.zones) if self.zones is not None else None,
            "labels": list(self.labels),
        }


def parse_snapshot_request(args, *, known_agencies, tile_layers=(), basemaps=(), default_size=None) -> SnapshotRequest:
    """Read a snapshot request from text parameters (query string or CLI
    options); a bad one raises :class:`~webmap.services.filters.FilterError`."""
    known = set(PARAMETERS) | set(service.CLUSTER_PARAMETERS) | set(VIEW_PARAMETERS)
    for name in args:
        if name not in known:
            raise FilterError(name, f"paramètre inconnu (attendus : {', '.join(sorted(known))})")
    report_filter = parse_filter(args, known_agencies=known_agencies)
    params = service.parse_cluster_params(args)

    view = None
    for name in ("bounds", "view"):
        text = _text(args, name)
        # The page's own "zoom/lat/lon" needs the screen's size to become
        # bounds: it writes "bounds" beside it.
        if text and not view and "/" not in text:
            try:
                view = parse_filter({"bbox": text}).bbox
            except FilterError as error:
                raise FilterError(name, error.message.replace("emprise", "vue")) from None
    layers = _text(args, "layers")
    if layers:
        layers = tuple(dict.fromkeys(name.strip() for name in layers.split(",") if name.strip()))
        unknown = [name for name in layers if name not in LAYERS]
        if unknown:
            raise FilterError("layers", f"couche(s) inconnue(s) : {', '.join(unknown)} (connues : {', '.join(LAYERS)})")
        layers = tuple(name for name in LAYERS if name in layers)
    else:
        layers = DEFAULT_LAYERS
    choro = _text(args, "choro")
    if choro and choro not in CHOROPLETH:
        raise FilterError("choro", f"mode inconnu « {choro} » (connus : {', '.join(CHOROPLETH)})")
    zones = _text(args, "zones")
    if zones is not None:
        try:
            zones = tuple(int(part) for part in zones.split(",") if part.strip())
        except ValueError:
            raise FilterError(
                "zones", f"zones invalides « {zones} » (attendu des numéros séparés par des virgules)"
            ) from None
    labels = _text(args, "labels")
    if labels is None:
        labels = LABELS
    elif labels == "none":
        labels = ()
    else:
        labels = tuple(name.strip() for name in labels.split(",") if name.strip())
        unknown = [name for name in labels if name not in LABELS]
        if unknown:
            raise FilterError(
                "labels", f"étiquette(s) inconnue(s) : {', '.join(unknown)} (connues : {', '.join(LABELS)} ou none)"
            )
    convergent = (_text(args, "convergent") or "0").lower()
    if convergent not in ("0", "1", "true", "false"):
        raise FilterError("convergent", f"attendu 1 ou 0, reçu « {convergent} »")
    size = _text(args, "size") or default_size
    if size:
        try:
            width, height = (int(v) for v in str(size).lower().split("x"))
        except ValueError:
            raise FilterError("size", f"taille invalide « {size} » (attendu LARGEURxHAUTEUR en pixels)") from None
        if not (MIN_PNG_SIDE <= width <= MAX_PNG_SIDE and MIN_PNG_SIDE <= height <= MAX_PNG_SIDE):
            raise FilterError(
                "size", f"taille hors limites « {size} » ({MIN_PNG_SIDE} à {MAX_PNG_SIDE} pixels de côté)"
            )
        size = (width, height)
    paper = (_text(args, "paper") or "A4").upper()
    if paper not in PAPERS:
        raise FilterError("paper", f"format de papier inconnu « {paper} » (connus : {', '.join(PAPERS)})")
    orientation = (_text(args, "orientation") or "landscape").lower()
    if orientation not in ("landscape", "portrait"):
        raise FilterError("orientation", f"orientation inconnue « {orientation} » (landscape ou portrait)")
    tiles = _text(args, "tiles")
    if tiles and tiles not in tile_layers:
        raise FilterError(
            "tiles", f"fond de carte non configuré « {tiles} » (configurés : {', '.join(tile_layers) or 'aucun'})"
        )
    basemap, under = _text(args, "basemap"), _text(args, "under")
    for name, value in (("basemap", basemap), ("under", under)):
        if value and value not in basemaps:
            raise FilterError(
                name, f"fond de carte non installé « {value} » (installés : {', '.join(basemaps) or 'aucun'})"
            )
    title = _text(args, "title")
    return SnapshotRequest(
        report_filter,
        params,
        view,
        layers,
        title[:200] if title else None,
        size,
        paper,
        orientation,
        tiles,
        basemap,
        under,
        choro,
        zones,
        labels,
        convergent in ("1", "true"),
    )


def _text(args, name):
    value = args.get(name)
    return str(value).strip() if value is not None and str(value).strip() else None


def filter_sentence(report_filter: ReportFilter, params: service.ClusterParams, agencies) -> str:
    """The filter in words, as printed under a snapshot's title, e.g. « Du
    01/09/2026 au 30/11/2026 · Gendarmerie nationale, Douane · rayon 250 m,
    5 signalements minimum »."""
    f = report_filter
    parts = []
    if f.start and f.end:
        parts.append(_("From %(start)s to %(end)s", start=_day(f.start), end=_day(f.end)))
    elif f.start:
        parts.append(_("Since %(start)s", start=_day(f.start)))
    elif f.end:
        parts.append(_("Until %(end)s", end=_day(f.end)))
    else:
        parts.append(_("All dates"))
    names = {a["code"]: a["name"] for a in agencies}
    parts.append(", ".join(names.get(code, code) for code in f.agencies) if f.agencies else _("All agencies"))
    if f.categories:
        parts.append(
            _(
                "categories: %(list)s",
                list=", ".join(str(labels.CATEGORY_LABELS.get(c, c)).lower() for c in f.categories),
            )
        )
    if f.substances:
        parts.append(
            _(
                "substances: %(list)s",
                list=", ".join(str(labels.SUBSTANCE_LABELS.get(s, s)).lower() for s in f.substances),
            )
        )
    if f.min_grading:
        parts.append(_("grading %(grading)s or better", grading=f.min_grading))
    if f.weekdays:
        parts.append(_("days: %(days)s", days=", ".join(str(WEEKDAY_NAMES[d]).lower() for d in f.weekdays)))
    if f.hours:
        parts.append(_("from %(first)s:00 to %(last)s:59", first=f"{f.hours[0]:02d}", last=f"{f.hours[1]:02d}"))
    if f.zone is not None:
        parts.append(_("inside the drawn zone"))
    elif f.bbox:
        parts.append(_("inside the given box"))
    parts.append(params.words())
    return " · ".join(parts)


def _day(value):
    return value.strftime("%d/%m/%Y")


def page_text(*, title, subtitle, author, fictitious, generated_at=None, page="", sources=ATTRIBUTION):
    """The words around a page, from the configuration and the catalogue."""
    config = current_app.config
    generated_at = (generated_at or datetime.now(PARIS)).astimezone(PARIS)
    return PageText(
        title=title,
        subtitle=subtitle,
        marking=config["MARKING"],
        fictitious=config["FICTITIOUS_MARKING"] if fictitious else None,
        generated=_(
            "Generated on %(date)s at %(time)s by %(author)s with crossmap",
            date=generated_at.strftime("%d/%m/%Y"),
            time=generated_at.strftime("%H:%M"),
            author=author,
        ),
        sources=_(
            "Sources: %(sources)s; reports of the agencies of the %(cell)s", sources=sources, cell=config["CELL_NAME"]
        ),
        page=page,
        status_labels={code: _("Hotspots: %(status)s", status=label) for code, label in STATUS_LABELS.items()},
        communes_label=_("Communes"),
        north=_("N"),
        words={
            "convergent": _("Convergent hotspot (two agencies or more)"),
            "cell_labels": {
                code: _("Emerging cell: %(status)s", status=label) for code, label in STATUS_LABELS.items()
            },
            "zones": _("Operation zones"),
            "drawn_zone": _("Drawn zone (filter)"),
            "heat": _("Density of reports"),
        },
    )


def installed_basemap(name, under=None):
    """The cell's basemap called ``name`` with the layer ``under`` it (a
    hillshade, an aerial), ready to draw; None when neither is asked."""
    registry = BasemapRegistry(current_app.instance_path)

    def layer(layer_name):
        basemap = registry.get(layer_name) if layer_name else None
        if basemap is None:
            return None
        return ArchiveBasemap(registry.archive(basemap), name=basemap.name, attribution=basemap.attribution)

    base, below = layer(name), layer(under)
    if below is None:
        return base
    return LayeredBasemap(base, below, opacity=UNDER_OPACITY)


def installed_basemap_names():
    """Names of the cell's basemaps, which a snapshot request may ask for."""
    return [b.name for b in BasemapRegistry(current_app.instance_path).list()]


def _sources(basemap):
    return f"{ATTRIBUTION} ; {basemap.attribution}" if basemap is not None else ATTRIBUTION


def tile_provider(name):
    """The xyzservices provider of a configured tile layer (or None)."""
    if not name:
        return None
    return xyzservices.providers.query_name(name)


def map_data(report_filter, params, *, with_history=False):
    """The filtered reports the asker may see and their hotspots: the
    API's own (``webmap.services.runs``), so that a snapshot draws the run
    the page drew, statuses and dates from the history (the filter without
    its start); with ``with_history``, the history too. Need-to-know:
    nothing drawn, clustered, dated or counted here holds another agency's
    restricted report."""
    reports = visible_reports(runs.filtered_frame(report_filter), viewer_agency())
    spots = runs.hotspot_run(reports, params, report_filter)
    if not with_history:
        return reports, spots
    return reports, spots, runs.history_frame(reports, report_filter, FRAME_COLUMNS)


def make_snapshot(session, snapshot_request: SnapshotRequest, *, output, author, generated_at=None):
    """Render the snapshot a request asks for; returns the
    :class:`~webmap.render.map_image.Snapshot` (``.png()``, ``.pdf()``)."""
    config = current_app.config
    reports, spots = map_data(snapshot_request.report_filter, snapshot_request.params)
    communes = _communes_l93()
    extent = request_extent(snapshot_request)
    basemap = installed_basemap(snapshot_request.basemap, snapshot_request.under)
    content = MapContent(
        communes=communes,
        reports=reports,
        hotspots=spots,
        agencies=agency_styles(current_app.config["AGENCIES"]),
        layers=snapshot_request.layers,
        extent=extent,
        outline=_outline_l93(),
        status_colours=dict(STATUS_COLOURS),
        tiles=tile_provider(snapshot_request.tiles),
        basemap=basemap,
        **page_layers(session, snapshot_request, reports),
    )
    text = page_text(
        title=snapshot_request.title or _("%(cell)s – map of reports", cell=config["CELL_NAME"]),
        subtitle=filter_sentence(snapshot_request.report_filter, snapshot_request.params, config["AGENCIES"]),
        author=author,
        fictitious=bool(len(reports) and reports["fictitious"].any()),
        generated_at=generated_at,
        page=_("Page %(page)s of %(pages)s", page=1, pages=1),
        sources=_sources(basemap),
    )
    text.words["choropleth"] = choropleth_title(snapshot_request)
    return render_snapshot(
        content,
        text,
        output=output,
        size=snapshot_request.size or _default_size(),
        paper=snapshot_request.paper,
        orientation=snapshot_request.orientation,
    )


def page_layers(session, snapshot_request: SnapshotRequest, reports, cells=None) -> dict:
    """What the page draws beyond reports and hotspots, as ``MapContent``
    fields: the choropleth (from every filtered report, as
    ``/api/communes``), the emerging cells, the saved zones shown, the
    drawn zone and the labels."""
    extra = {"labels": snapshot_request.labels}
    if snapshot_request.choro:
        column, digits = CHOROPLETH[snapshot_request.choro]
        figures = service.commune_figures(reports, load_communes())
        extra["choropleth"] = {"values": figures[column].astype(float).to_dict(), "digits": digits}
    if "cells" in snapshot_request.layers:
        if cells is None:
            # As /api/emerging: judged on the history up to the period's end
            # that the viewer may see.
            f = snapshot_request.report_filter
            cells = service.emerging_cells(runs.history_reports(f, ANALYSIS_COLUMNS), period=reports, end=f.end)
        extra["cells"] = cells
    if "zones" in snapshot_request.layers:
        wanted = snapshot_request.zones
        extra["zones"] = [
            (name, polygon) for zone_id, name, polygon in _zones(session) if wanted is None or zone_id in wanted
        ]
    if snapshot_request.report_filter.zone is not None:
        extra["drawn_zone"] = _project(snapshot_request.report_filter.zone)
    return extra


def choropleth_title(snapshot_request: SnapshotRequest) -> str:
    return str(CHOROPLETH_TITLES[snapshot_request.choro]) if snapshot_request.choro else ""


def request_extent(snapshot_request: SnapshotRequest):
    """The Lambert-93 extent to show: the page's view, else the filter's
    zone or box, else None (the whole département)."""
    report_filter = snapshot_request.report_filter
    if snapshot_request.view:
        return view_to_extent(*snapshot_request.view)
    if report_filter.zone is not None:
        return view_to_extent(*report_filter.zone.bounds)
    if report_filter.bbox:
        return view_to_extent(*report_filter.bbox)
    return None


def briefing_filter(report_filter: ReportFilter, today=None) -> ReportFilter:
    """The briefing's period: the filter's dates, or the last
    :data:`BRIEFING_WEEKS` weeks up to today."""
    today = today or datetime.now(PARIS).date()
    end = report_filter.end or today
    # Whole weeks, Monday to the end day, so that the first bar of the
    # weekly chart is not a stub.
    start = report_filter.start or end - timedelta(days=end.weekday(), weeks=BRIEFING_WEEKS - 1)
    return replace(report_filter, start=start, end=end, zone=report_filter.zone)


def make_briefing(session, snapshot_request: SnapshotRequest, *, author, generated_at=None) -> bytes:
    """The briefing pack as PDF bytes."""
    config = current_app.config
    report_filter = briefing_filter(snapshot_request.report_filter)
    reports, spots, history = map_data(report_filter, snapshot_request.params, with_history=True)
    # Emerging cells are judged against the whole history up to the end of
    # the period, then shown if the period holds reports in them.
    emerging = service.emerging_cells(history, period=reports, end=report_filter.end)
    forecast = service.backtest_summary(history, params=snapshot_request.params, end=report_filter.end)
    basemap = installed_basemap(snapshot_request.basemap, snapshot_request.under)
    text = page_text(
        title=snapshot_request.title or _("%(cell)s – briefing pack", cell=config["CELL_NAME"]),
        subtitle=filter_sentence(report_filter, snapshot_request.params, config["AGENCIES"]),
        author=author,
        fictitious=bool(len(reports) and reports["fictitious"].any()),
        generated_at=generated_at,
        sources=_sources(basemap),
    )
    pack = briefing.BriefingData(
        reports=reports,
        visible=reports,
        hotspots=spots,
        emerging=emerging,
        communes=_communes_l93(),
        outline=_outline_l93(),
        agencies=agency_styles(current_app.config["AGENCIES"]),
        status_colours=dict(STATUS_COLOURS),
        start=report_filter.start,
        end=report_filter.end,
        zones=[(name, polygon) for _id, name, polygon in _zones(session)],
        layers=snapshot_request.layers,
        extent=request_extent(snapshot_request),
        basemap=basemap,
        extra=page_layers(session, replace(snapshot_request, report_filter=report_filter), reports, emerging),
        forecast=labels.backtest_sentence(forecast) if forecast else None,
    )
    text.words["choropleth"] = choropleth_title(snapshot_request)
    return briefing.render_briefing(
        pack,
        text,
        briefing_words(),
        page_label=lambda page, pages: _("Page %(page)s of %(pages)s", page=page, pages=pages),
    )


def briefing_words():
    """Headings and column names of the briefing pack."""
    return {
        "cover": _("Map of the period"),
        "hotspots": _("Main hotspots"),
        "hotspots_note": _(
            "Ranked by reports in the period; status and dates from the whole history up to the "
            "period's end; convergent: reported by two agencies or more."
        ),
        "emerging": _("Emerging places"),
        "emerging_note": _(
            "500 m cells whose recent weeks depart from their own history (exact permutation test, Mann-Kendall)."
        ),
        "weekly": _("Reports per week by agency"),
        "zone": _("Operation zone: %(name)s"),
        "code": _("Code"),
        "status": _("Status"),
        "convergence": _("Agencies"),
        "convergent": _("convergent"),
        "communes": _("Communes"),
        "first_seen": _("Active since"),
        "last_seen": _("Last report"),
        "period_count": _("In the period"),
        "weekly_short": _("Per week"),
        "category": _("Trend"),
        "commune": _("Commune"),
        "count": _("Reports"),
        "recent": _("Last 4 weeks"),
        "none": _("None in this period."),
        "zone_summary": _("%(count)s reports, %(hotspots)s hotspots, area %(area)s km²"),
        "week": _("Week starting"),
        "partial_week": _("Partial week (cut by the period)"),
        "status_labels": {code: str(label) for code, label in STATUS_LABELS.items()},
        "emerging_labels": {code: str(label) for code, label in STATUS_LABELS.items()},
    }


def record_export(session, kind, output, snapshot_request: SnapshotRequest, author):
    """Write the export to the audit trail (and the application log)."""
    details = {"kind": kind, "format": output, **snapshot_request.record()}
    log.info("export %s by %s: %s", kind, author, json.dumps(details, ensure_ascii=False))
    audit.audit(session, "snapshot", **details)
    session.commit()


def _default_size():
    width, height = (int(v) for v in str(current_app.config["SNAPSHOT_SIZE"]).lower().split("x"))
    return width, height


def _communes_l93():
    return service.communes_l93()


def _outline_l93():
    def build():
        return gpd.GeoSeries([load_outline()], crs=WGS84).to_crs(LAMBERT93).iloc[0]

    return _cached("outline", build)


_memo = {}


def _cached(name, build):
    # Reference data never changes while the application runs.
    if name not in _memo:
        _memo[name] = build()
    return _memo[name]


def _project(geometry):
    def project(xy):
        return np.column_stack(to_lambert93(xy[:, 0], xy[:, 1]))

    return shapely.transform(geometry, project)


def _zones(session):
    """Saved operation zones as (id, name, Lambert-93 polygon)."""
    return [(zone.id, zone.name, _project(zone_geometry(zone))) for zone in list_zones(session)]
