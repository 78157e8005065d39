"""``/api/reports/table``: one page of the table of reports (the filter's
reports the viewer may see, narrowed by a selection, sorted), for the
*Signalements* page. Paged on the server: a page is 50 rows whatever the
number of reports, counted, sorted and cut by the database unless a
hotspot is selected (its reports come from the clustering run)."""

from dataclasses import replace

from flask import current_app, request

from webmap.api.base import bp, check_known, cluster_params, filtered_frame, hotspot_run, json_response
from webmap.config import agency_codes
from webmap.db import get_session
from webmap.db.models import Zone
from webmap.security.need_to_know import viewer_agency, visible_reports
from webmap.services import report_table
from webmap.services.filters import FilterError, ReportFilter, filter_frame, parse_filter
from webmap.services.hotspots import communes_l93
from webmap.services.zones import zone_geometry


@bp.get("/reports/table")
def reports_table():
    check_known(request.args, report_table.TABLE_PARAMETERS)
    report_filter = parse_filter(request.args, known_agencies=agency_codes(current_app.config))
    table_request = report_table.parse_table_request(request.args)
    names = dict(zip(communes_l93()["insee"], communes_l93()["name"]))
    agencies = {a["code"]: a["name"] for a in current_app.config["AGENCIES"]}
    if table_request.hotspot is None:
        # The database counts, sorts and cuts the page: the first page of
        # 100,000 reports without reading them all.
        page = report_table.page_from_database(
            get_session(),
            report_filter,
            table_request,
            agency=viewer_agency(),
            zone=saved_zone(table_request),
            commune_names=names,
            agency_names=agencies,
        )
    else:
        rows = table_rows(report_filter, table_request)
        page = report_table.table_page(rows, table_request, commune_names=names, agency_names=agencies)
    return json_response(page)


def saved_zone(table_request):
    """The WGS84 polygon of the selection's saved zone, or None."""
    if table_request.zone_id is None:
        return None
    saved = get_session().get(Zone, table_request.zone_id)
    if saved is None:
        raise FilterError("zone_id", f"zone introuvable « {table_request.zone_id} »")
    return zone_geometry(saved)


def table_rows(report_filter, table_request):
    """The table's rows before paging: the filtered reports the viewer may
    see (need-to-know), narrowed by the selection. A hotspot's selection and
    the export read them all; the pages of any other selection are the
    database's (``report_table.page_from_database``)."""
    # The map page asks its reports for every agency, day and hour and
    # narrows them itself: start from that answer (in the cache when the
    # table is reached from the map), and narrow it here the same way.
    broad = replace(report_filter, agencies=(), weekdays=(), hours=None)
    frame = filtered_frame(broad)
    if broad != report_filter:
        frame = filter_frame(
            frame,
            ReportFilter(agencies=report_filter.agencies, weekdays=report_filter.weekdays, hours=report_filter.hours),
        )
    # Need-to-know first: the table, its selection and the clustering run
    # see only what the viewer may see (as every answer of the API).
    visible = visible_reports(frame, viewer_agency())
    member_ids = None
    if table_request.hotspot is not None:
        # The same clustering run as the map's hotspots (cached).
        spot = next((s for s in hotspot_run(visible, cluster_params()) if s.code == table_request.hotspot), None)
        if spot is None:
            raise FilterError("hotspot", f"point chaud introuvable avec ces filtres « {table_request.hotspot} »")
        member_ids = list(spot.report_ids)
    zone = saved_zone(table_request)
    return report_table.select_rows(visible, table_request, member_ids=member_ids, zone=zone)
