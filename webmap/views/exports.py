"""Everything that leaves the application as a file: reports for Excel and
QGIS, map snapshots (PNG, PDF) and briefing packs (PDF). Thin views over
:mod:`webmap.services.exporter` and :mod:`webmap.services.snapshots`;
every export is audited."""

import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_file,
)
from flask_babel import gettext as _

from webmap import labels
from webmap.api.table import table_rows
from webmap.config import agency_codes
from webmap.db import get_session
from webmap.db.models import now
from webmap.security.actor import current_actor
from webmap.services import exporter, report_table
from webmap.services.audit import audit
from webmap.services.filters import FilterError, parse_filter
from webmap.services.snapshots import (
    FORMATS,
    installed_basemap_names,
    make_briefing,
    make_snapshot,
    parse_snapshot_request,
    record_export,
)

bp = Blueprint("exports", __name__)


def _known_agencies():
    return current_app.config["AGENCIES"]


@bp.get("/signalements/export")
def export_form():
    return render_template(
        "exports/reports.html",
        formats=exporter.FORMATS,
        agencies=_known_agencies(),
        categories=labels.CATEGORY_LABELS,
        substances=labels.SUBSTANCE_LABELS,
        args=request.args,
    )


@bp.get("/signalements/export/fichier")
def export_file():
    format_name = request.args.get("format", "csv")
    if format_name not in exporter.FORMATS:
        abort(400, _("Unknown export format."))
    try:
        report_filter = parse_filter(request.args, known_agencies=agency_codes(current_app.config))
    except FilterError as error:
        return render_template("imports/error.html", message=f"{error.parameter} : {error.message}"), 400
    session = get_session()
    try:
        selection = report_table.parse_table_request(request.args)
        # The table's selection (a commune, a hotspot, a zone, text in a
        # column) narrows the export as it narrows the table.
        reports = table_rows(report_filter, selection)
    except FilterError as error:
        return render_template("imports/error.html", message=f"{error.parameter} : {error.message}"), 400
    chosen = {name: request.args[name] for name in report_table.SELECTION if request.args.get(name)}
    audit(session, "export", format=format_name, count=len(reports), **report_filter.to_params(), **chosen)
    session.commit()
    buffer = io.BytesIO()
    exporter.export_reports(
        reports,
        format_name,
        buffer,
        marking=current_app.config["MARKING"],
        fictitious_marking=current_app.config["FICTITIOUS_MARKING"],
    )
    buffer.seek(0)
    export_format = exporter.FORMATS[format_name]
    return send_file(
        buffer,
        mimetype=export_format.mimetype,
        as_attachment=True,
        download_name=f"signalements-{now():%Y%m%d-%H%M}.{export_format.extension}",
    )


@bp.errorhandler(FilterError)
def bad_parameter(error):
    return Response(f"{error.parameter} : {error.message}", status=400, mimetype="text/plain")


@bp.get("/export/snapshot.<output>")
def snapshot(output):
    if output not in FORMATS:
        return Response(_("Unknown export format."), status=404, mimetype="text/plain")
    snapshot_request = _request()
    author = current_actor().name
    session = get_session()
    result = make_snapshot(session, snapshot_request, output=output, author=author)
    record_export(session, "snapshot", output, snapshot_request, author)
    body = result.png() if output == "png" else result.pdf()
    return _download(body, output, f"crossmap-carte-{now():%Y%m%d}.{output}")


@bp.get("/export/briefing.pdf")
def briefing_pack():
    snapshot_request = _request()
    author = current_actor().name
    session = get_session()
    body = make_briefing(session, snapshot_request, author=author)
    record_export(session, "briefing", "pdf", snapshot_request, author)
    return _download(body, "pdf", f"crossmap-dossier-{now():%Y%m%d}.pdf")


def _request():
    return parse_snapshot_request(
        request.args,
        known_agencies=agency_codes(current_app.config),
        tile_layers=current_app.config.get("TILE_LAYERS") or (),
        basemaps=installed_basemap_names(),
    )


def _download(body, output, filename):
    response = Response(body, mimetype="image/png" if output == "png" else "application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
