"""The briefing pack (dossier de réunion): a multi-page PDF for a period and
a filter. Flask-free: the caller hands over the data and the words
(French, from the catalogue), as for :mod:`webmap.render.map_image`.

Pages, in order: a cover map; the main hotspots as a table (code, status,
convergence, counts per agency, communes, first and last seen, a weekly
sparkline); the emerging places; reports per week by agency; one page per
saved operation zone. Tables repeat their header on every page, and all
text is real PDF text (TrueType, searchable and copyable).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.ticker import MaxNLocator

from analysis.calendar import TIMEZONE, weekly_counts
from analysis.emerging import HOT_CATEGORIES
from webmap.render.map_image import (
    PAPERS,
    PDF_RASTER_DPI,
    STATUS_COLOURS,
    MapContent,
    PageText,
    draw_page_frame,
    french_count,
    render_snapshot,
)

#: The hotspots listed, biggest first.
TOP_HOTSPOTS = 30
#: The emerging places listed, most urgent first.
TOP_EMERGING = 40
# Rows that fit under the title block of an A4 landscape page.
HOTSPOT_ROWS_PER_PAGE = 13
EMERGING_ROWS_PER_PAGE = 19
# Every page is A4 landscape: the tables need the width.
PAGE = (PAPERS["A4"][1], PAPERS["A4"][0])
ROW_HEIGHT = 0.36
EMERGING_ROW_HEIGHT = 0.24
HEADER_HEIGHT = 0.34
ZONE_MARGIN = 0.25
WEEK_TICKS = 26


@dataclass
class BriefingData:
    """What the pack shows. ``reports`` and ``hotspots`` are already
    filtered to the period; ``emerging`` is
    ``webmap.services.hotspots.emerging_cells``; ``visible`` are the reports
    the reader may see in detail (drawn as points; counts use them all); ``zones`` is a list of
    ``(name, Lambert-93 polygon)``; ``start`` and ``end`` are dates."""

    reports: pd.DataFrame
    visible: pd.DataFrame
    hotspots: list
    emerging: pd.DataFrame
    communes: gpd.GeoDataFrame
    agencies: list
    start: object
    end: object
    zones: list = field(default_factory=list)
    outline: object = None
    status_colours: dict = field(default_factory=lambda: dict(STATUS_COLOURS))
    layers: tuple = ("communes", "reports", "hotspots")
    #: Lambert-93 extent of the cover map; None for the whole département.
    extent: tuple | None = None
    #: More ``MapContent`` fields for the maps (choropleth, cells, zones,
    #: drawn zone, labels): the page's state, as the snapshot draws it.
    extra: dict = field(default_factory=dict)
    #: The cell's basemap drawn under the maps (webmap.render.tiles.ArchiveBasemap), or None.
    basemap: object = None
    #: The forecasting backtest in one sentence (webmap.labels.backtest_sentence).
    forecast: str | None = None


def render_briefing(data: BriefingData, text: PageText, words: dict, *, page_label) -> bytes:
    """Render the pack and return the PDF bytes. ``page_label(page,
    pages)`` gives the words of a page number."""
    pages = [lambda text: _cover(data, text)]
    # Ranked by what happened in the period; dormant places (none in it)
    # come last.
    spots = sorted(data.hotspots, key=lambda s: (-_period_count(s), s.code or ""))[:TOP_HOTSPOTS]
    for number, chunk in enumerate(_chunks(spots, HOTSPOT_ROWS_PER_PAGE)):
        pages.append(lambda text, chunk=chunk, first=number == 0: _hotspot_page(data, chunk, text, words, first=first))
    emerging = emerging_places(data.emerging)[:TOP_EMERGING]
    for chunk in _chunks(emerging, EMERGING_ROWS_PER_PAGE):
        pages.append(lambda text, chunk=chunk: _emerging_page(chunk, text, words))
    pages.append(lambda text: _weekly_page(data, text, words))
    for name, polygon in data.zones:
        pages.append(lambda text, name=name, polygon=polygon: _zone_page(data, name, polygon, text, words))

    buffer = io.BytesIO()
    # Type 42 embeds TrueType fonts, whose text PDF readers can search and
    # copy (the default Type 3 glyphs are drawings).
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(buffer, metadata={"Title": text.title}) as pdf:
        for number, build in enumerate(pages, start=1):
            page_text = _with(text, page=page_label(number, len(pages)))
            figure = build(page_text)
            pdf.savefig(figure, dpi=PDF_RASTER_DPI)
    return buffer.getvalue()


def emerging_places(cells: pd.DataFrame) -> list[dict]:
    """Hot emerging cells, most urgent category first, then the busiest,
    each with the commune containing it (``webmap.services.hotspots.emerging_cells``
    names it, for the page and the pack alike)."""
    if cells.empty:
        return []
    hot = cells[cells["category"].isin(HOT_CATEGORIES)].copy()
    if hot.empty:
        return []
    rank = {name: i for i, name in enumerate(HOT_CATEGORIES)}
    hot["rank"] = hot["category"].map(rank)
    hot = hot.sort_values(["rank", "count"], ascending=[True, False])
    return [
        {
            "category": row.category,
            "commune": row.commune or "–",
            "count": int(row.count),
            "recent": int(row.count_recent),
            "x": float(row.x),
            "y": float(row.y),
        }
        for row in hot.itertuples(index=False)
    ]


def _cover(data, text):
    content = MapContent(
        communes=data.communes,
        reports=data.visible,
        hotspots=data.hotspots,
        agencies=data.agencies,
        layers=data.layers,
        extent=data.extent,
        outline=data.outline,
        status_colours=data.status_colours,
        basemap=data.basemap,
        **data.extra,
    )
    return render_snapshot(content, text, output="pdf", paper="A4", orientation="landscape").figure


def _page(text, heading, note=None):
    figure = Figure(figsize=PAGE)
    left, bottom, right, top = draw_page_frame(figure, text)
    width, height = PAGE
    figure.text(left / width, (top - 0.05) / height, heading, ha="left", va="top", fontsize=13, fontweight="bold")
    top -= 0.4
    if note:
        figure.text(left / width, (top - 0.02) / height, note, ha="left", va="top", fontsize=8, color="#555555")
        top -= 0.28 + 0.14 * note.count("\n")
    return figure, (left, bottom, right, top - 0.08)


def _band(figure, left, right, bottom, band_height, colour):
    """A shaded band across the table, in inches from the page's corner."""
    width, height = PAGE
    figure.patches.append(
        Rectangle(
            (left / width, bottom / height),
            (right - left) / width,
            band_height / height,
            transform=figure.transFigure,
            facecolor=colour,
            edgecolor="none",
        )
    )


def _table(figure, body, columns, rows, row_height=ROW_HEIGHT):
    """Draw a table: ``columns`` are ``(title, width share, align)``;
    ``rows`` lists of text (None leaves a cell for a drawing). Returns the
    cells' boxes in inches, row by row, for sparklines."""
    left, bottom, right, top = body
    width, height = PAGE
    total = sum(share for _, share, _ in columns)
    edges = np.concatenate([[0], np.cumsum([share for _, share, _ in columns])]) / total * (right - left) + left
    _band(figure, left, right, top - HEADER_HEIGHT, HEADER_HEIGHT, "#DDE3EA")
    for (title, _, align), x0, x1 in zip(columns, edges[:-1], edges[1:]):
        figure.text(
            _x(x0, x1, align) / width,
            (top - HEADER_HEIGHT / 2) / height,
            title,
            ha=align,
            va="center",
            fontsize=8,
            fontweight="bold",
        )
    boxes = []
    y = top - HEADER_HEIGHT
    for number, row in enumerate(rows):
        if number % 2:
            _band(figure, left, right, y - row_height, row_height, "#F3F5F8")
        cells = []
        for value, (_, _, align), x0, x1 in zip(row, columns, edges[:-1], edges[1:]):
            cells.append((x0, y - row_height, x1, y))
            if value is not None:
                figure.text(
                    _x(x0, x1, align) / width,
                    (y - row_height / 2) / height,
                    value,
                    ha=align,
                    va="center",
                    fontsize=7.5,
                    wrap=False,
                )
        boxes.append(cells)
        y -= row_height
    return boxes


def _x(x0, x1, align):
    pad = 0.06
    return {"left": x0 + pad, "right": x1 - pad, "center": (x0 + x1) / 2}[align]


def _period_count(spot):
    return spot.extra.get("period_count", spot.count)


def _hotspot_page(data, spots, text, words, first=True):
    note = words["hotspots_note"]
    if first and data.forecast:
        note = f"{note}\n{data.forecast}"
    figure, body = _page(text, words["hotspots"], note)
    agencies = [a for a in data.agencies if any(a["code"] in s.by_agency for s in data.hotspots)] or data.agencies
    names = data.communes.set_index("insee")["name"]
    columns = [
        (words["code"], 0.8, "left"),
        (words.get("period_count", words["count"]), 0.9, "right"),
        (words["status"], 1.3, "left"),
        (words["convergence"], 0.9, "center"),
    ]
    columns += [(a["code"], 0.75, "right") for a in agencies]
    columns += [
        (words["communes"], 2.4, "left"),
        (words["first_seen"], 1.0, "center"),
        (words["last_seen"], 1.0, "center"),
        (words["weekly_short"], 1.6, "left"),
    ]
    # The communes' column holds what fits at 7.5 points (about 0.58 em a
    # character), not a fixed count that overflows into the dates.
    total = sum(share for _, share, _ in columns)
    fits = int(2.4 / total * (body[2] - body[0]) * 72 / (7.5 * 0.58)) - 1
    rows = []
    for spot in spots:
        status = str(spot.extra.get("status") or "no_pattern").removesuffix("_cold")
        convergence = f"{spot.n_agencies}" + (f" · {words['convergent']}" if spot.convergent else "")
        communes = ", ".join(str(names.get(code, code)) for code in spot.communes)
        rows.append(
            [
                spot.code or "–",
                str(_period_count(spot)),
                words["status_labels"].get(status, status),
                convergence,
                *[str(spot.by_agency.get(a["code"], 0) or "·") for a in agencies],
                _shorten(communes, fits),
                _day(spot.first_seen),
                _day(spot.last_seen),
                None,
            ]
        )
    boxes = _table(figure, body, columns, rows)
    if not spots:
        _nothing(figure, body, words)
    members = data.reports.set_index("id")["observed_at"]
    for spot, cells in zip(spots, boxes):
        x0, y0, x1, y1 = cells[-1]
        # A dormant place has no member in the period: an empty line.
        counts = weekly_counts(
            members.reindex(spot.report_ids).dropna(), start=pd.Timestamp(data.start), end=pd.Timestamp(data.end)
        )
        colour = data.status_colours.get(str(spot.extra.get("status") or "").removesuffix("_cold"), "#404040")
        _sparkline(figure, (x0 + 0.06, y0 + 0.05, x1 - 0.06, y1 - 0.05), counts.to_numpy(), colour)
    return figure


def _sparkline(figure, box, values, colour):
    width, height = PAGE
    x0, y0, x1, y1 = box
    axes = figure.add_axes([x0 / width, y0 / height, (x1 - x0) / width, (y1 - y0) / height])
    # Above the shading of every other row (figure patches are drawn over
    # axes of the default order).
    axes.set_zorder(2)
    axes.fill_between(np.arange(len(values)), values, color=colour, alpha=0.25, linewidth=0)
    axes.plot(np.arange(len(values)), values, color=colour, linewidth=0.9)
    axes.set_xlim(0, max(len(values) - 1, 1))
    axes.set_ylim(0, max(values.max() if len(values) else 1, 1) * 1.1)
    axes.set_axis_off()


def _emerging_page(places, text, words):
    figure, body = _page(text, words["emerging"], words["emerging_note"])
    columns = [
        (words["category"], 1.6, "left"),
        (words["commune"], 2.6, "left"),
        (words["count"], 1.2, "right"),
        (words["recent"], 1.6, "right"),
        ("Lambert-93 X", 1.2, "right"),
        ("Lambert-93 Y", 1.2, "right"),
    ]
    rows = [
        [
            words["emerging_labels"].get(p["category"], p["category"]),
            p["commune"],
            str(p["count"]),
            str(p["recent"]),
            f"{p['x']:.0f}",
            f"{p['y']:.0f}",
        ]
        for p in places
    ]
    _table(figure, body, columns, rows, row_height=EMERGING_ROW_HEIGHT)
    if not places:
        _nothing(figure, body, words)
    return figure


def _nothing(figure, body, words):
    left, bottom, right, top = body
    figure.text(
        left / PAGE[0],
        (top - HEADER_HEIGHT - 0.3) / PAGE[1],
        words["none"],
        ha="left",
        va="top",
        fontsize=9,
        style="italic",
    )


def _weekly_page(data, text, words):
    figure, (left, bottom, right, top) = _page(text, words["weekly"])
    width, height = PAGE
    # Room below for dates written upright and the axis title.
    axes = figure.add_axes(
        [(left + 0.5) / width, (bottom + 0.95) / height, (right - left - 0.7) / width, (top - bottom - 1.15) / height]
    )
    reports = data.reports
    start, end = pd.Timestamp(data.start), pd.Timestamp(data.end)
    if len(reports):
        # A period asked "since 2000" starts, on the chart, with the data.
        first = pd.Timestamp(reports["observed_at"].min()).tz_convert(TIMEZONE).tz_localize(None).normalize()
        start = max(start, first)
    weeks = weekly_counts(pd.Series(pd.DatetimeIndex([start]).tz_localize(TIMEZONE)), start=start, end=end).index
    base = np.zeros(len(weeks))
    for agency in data.agencies:
        rows = reports[reports["agency"] == agency["code"]]
        if rows.empty:
            continue
        counts = weekly_counts(rows["observed_at"], start=start, end=end).reindex(weeks, fill_value=0).to_numpy()
        axes.bar(
            np.arange(len(weeks)),
            counts,
            bottom=base,
            color=agency["colour"],
            width=0.8 if len(weeks) < 60 else 1.0,
            linewidth=0,
            label=f"{agency['name']} ({french_count(int(counts.sum()))})",
        )
        base += counts
    # A week the period cuts (it starts after its Monday or ends before its
    # Sunday) is not a collapse: it is hatched and named so.
    mondays = [w.tz_localize(None) if w.tzinfo else w for w in weeks]
    first_day, last_day = start.normalize(), end.normalize()
    cut = [i for i, w in enumerate(mondays) if w < first_day or w + pd.Timedelta(days=6) > last_day]
    if cut and base.sum():
        axes.bar(
            cut,
            base[cut],
            width=0.8 if len(weeks) < 60 else 1.0,
            color="white",
            alpha=0.55,
            hatch="////",
            edgecolor="#666666",
            linewidth=0,
            label=words["partial_week"],
        )
    # At most about 26 dated ticks, whatever the period.
    step = max(1, int(np.ceil(len(weeks) / WEEK_TICKS)))
    ticks = np.arange(0, len(weeks), step)
    label = "%d/%m/%y" if len(weeks) > 52 else "%d/%m"
    axes.set_xticks(ticks, [weeks[i].strftime(label) for i in ticks], fontsize=7, rotation=90 if step > 1 else 0)
    axes.set_xlabel(words["week"], fontsize=8)
    axes.set_ylabel(words["count"], fontsize=8)
    axes.tick_params(axis="y", labelsize=7)
    # Reports are counted whole: no 0.25 on the scale of a quiet period.
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    if base.sum():
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1.01), ncols=3, fontsize=7.5, frameon=False, borderaxespad=0)
    else:
        axes.text(0.5, 0.5, words["none"], transform=axes.transAxes, ha="center", va="center")
    return figure


def _zone_page(data, name, polygon, text, words):
    xmin, ymin, xmax, ymax = polygon.bounds
    pad = ZONE_MARGIN * max(xmax - xmin, ymax - ymin, 500)
    inside_reports = data.reports
    if len(inside_reports):
        keep = shapely.intersects_xy(
            polygon, inside_reports["x_l93"].to_numpy(float), inside_reports["y_l93"].to_numpy(float)
        )
        inside_reports = inside_reports.loc[keep]
    spots = [s for s in data.hotspots if s.hull_l93.intersects(polygon)]
    # The points drawn are the zone's, so that the legend's counts are the
    # zone's too (not those of the margin around it).
    shown = data.visible
    if len(shown):
        shown = shown.loc[
            shapely.intersects_xy(polygon, shown["x_l93"].to_numpy(float), shown["y_l93"].to_numpy(float))
        ]
    content = MapContent(
        communes=data.communes,
        reports=shown,
        hotspots=data.hotspots,
        agencies=data.agencies,
        layers=data.layers,
        basemap=data.basemap,
        extent=(xmin - pad, ymin - pad, xmax + pad, ymax + pad),
        outline=data.outline,
        status_colours=data.status_colours,
        **data.extra,
    )
    summary = words["zone_summary"] % {
        "count": len(inside_reports),
        "hotspots": len(spots),
        "area": f"{polygon.area / 1e6:.2f}".replace(".", ","),
    }
    zone_text = _with(text, title=words["zone"] % {"name": name}, subtitle=f"{summary} · {text.subtitle}")
    snapshot = render_snapshot(content, zone_text, output="pdf", paper="A4", orientation="landscape")
    for ring in getattr(polygon, "geoms", [polygon]):
        snapshot.map_axes.add_artist(
            PathPatch(
                Path(np.asarray(ring.exterior.coords), closed=True),
                facecolor="none",
                edgecolor="#000000",
                linewidth=2,
                linestyle="--",
                zorder=8,
            )
        )
    return snapshot.figure


def _with(text: PageText, **changes) -> PageText:
    return replace(text, **changes)


def _chunks(items, size):
    items = list(items)
    if not items:
        return [[]]
    return [items[i : i + size] for i in range(0, len(items), size)]


def _day(value):
    return (
        pd.Timestamp(value).tz_convert(TIMEZONE).strftime("%d/%m/%Y")
        if pd.Timestamp(value).tzinfo
        else pd.Timestamp(value).strftime("%d/%m/%Y")
    )


def _shorten(value, limit):
    return value if len(value) <= limit else value[: limit - 1] + "…"
