"""What the API's answers and the exports share: the reports a filter
keeps, their history and the clustering run, kept per question, viewer
agency and data version. A snapshot exported from the map therefore draws
the very hotspots the page drew (one run, not a second one that could
differ), and costs no second clustering.

Keys are made of the parsed filter and clustering parameters, never of a
request's words: ``/api/hotspots?start=…`` and
``/export/snapshot.png?start=…&size=…`` ask the same run."""

from flask import current_app

from webmap.db import get_session
from webmap.security.need_to_know import RESTRICTED, SHARED, viewer_agency, visible_reports
from webmap.services import hotspots as service
from webmap.services.cache import data_version, latest, memo
from webmap.services.filters import ReportFilter, filter_frame, select_reports
from webmap.services.store import ANALYSIS_COLUMNS, count_reports


def _question(report_filter):
    """The database, the filter and the data version, which database
    triggers raise on any change to reports."""
    url = current_app.config["DATABASE_URL"]
    return url, tuple(sorted(report_filter.to_params().items())), data_version(get_session())


def selected_reports(report_filter, columns=None):
    """``select_reports`` for this request's database. Up to
    ``FRAME_IN_MEMORY_MAX`` reports, each process keeps all of them (per
    data version) and filters them in memory with ``filter_frame``, the
    same rows: under twenty users changing filters, reading the database
    for every question was most of the time of an answer."""
    session = get_session()
    url, version = current_app.config["DATABASE_URL"], data_version(session)
    total = latest(("count", url), version, lambda: count_reports(session))
    if total > current_app.config["FRAME_IN_MEMORY_MAX"]:
        return select_reports(session, report_filter, columns)
    whole = latest(
        ("all", tuple(columns or ()), url), version, lambda: select_reports(session, ReportFilter(), columns)
    )
    return filter_frame(whole, report_filter).reset_index(drop=True)


def filtered_frame(report_filter, columns=None):
    """The reports ``report_filter`` keeps (every agency's: need-to-know is
    applied by the caller), kept between requests."""
    return memo(
        ("frame", tuple(columns or ()), *_question(report_filter)),
        lambda: selected_reports(report_filter, columns),
    )


def history_reports(report_filter, columns=None):
    """The reports the viewer may see up to the end of the period, with the
    other criteria of the filter (``ReportFilter.history``): what trends
    and emerging cells compare the period with."""
    history = report_filter.history()
    reports = memo(
        ("history", tuple(columns or ()), *_question(history)),
        lambda: selected_reports(history, columns),
    )
    return visible_reports(reports, viewer_agency())


def history_frame(frame, report_filter, columns=None):
    """The history a hotspot's status and dates are told from (see
    :func:`history_reports`); ``frame`` itself when the filter has no
    start, the period being the whole history."""
    if report_filter.start is None:
        return frame
    return history_reports(report_filter, columns or ANALYSIS_COLUMNS)


def is_reference_run(report_filter, params):
    """Whether this is the reference question: no filter, and the default
    clustering parameters."""
    return not report_filter.to_params() and params == service.ClusterParams(**current_app.config["CLUSTERING"])


def hotspot_run(frame, params, report_filter):
    """The hotspots of ``frame`` (the reports ``report_filter`` keeps that
    the viewer may see): one run per question, viewer agency and data
    version serves the list, every hotspot's card, the table's hotspot
    selection, a zone's contents and the exports. Statuses and dates come
    from the history (:func:`history_frame`), the viewer's too.

    Lasting names are written only by the reference run: no filter, the
    default parameters, and every shared report, never a restricted one, so
    that names are the same for every agency and hold nothing only one
    agency may see. A viewer whose frame holds restricted reports (their
    own) gets that run made apart, then names matched, nothing written."""
    agency = viewer_agency()
    reference = is_reference_run(report_filter, params)
    restricted = "handling" in frame.columns and bool((frame["handling"] == RESTRICTED).any())
    question = _question(report_filter)

    def run(reports, history, remember):
        return _cluster(reports, history, params, report_filter.end, remember=remember)

    if reference and restricted:
        memo(
            ("run", SHARED, params, *question),
            lambda: run(_shared(frame), _shared(history_frame(frame, report_filter)), True),
        )
    # A viewer without an agency of restricted reports sees the shared
    # reports only (need_to_know.viewer_agency): the shared run is theirs.
    return memo(
        ("run", agency or SHARED, params, *question),
        lambda: run(frame, history_frame(frame, report_filter), reference and not restricted),
    )


def _shared(reports):
    return reports[reports["handling"] != RESTRICTED].reset_index(drop=True)


def _cluster(frame, history, params, end, *, remember):
    config = current_app.config
    return service.hotspots(
        get_session(),
        frame,
        params,
        history=history,
        end=end,
        remember=remember,
        grading_weights=config["GRADING_WEIGHTS"],
        dormant_weeks=config["HOTSPOT_DORMANT_WEEKS"],
        risk=config["HOTSPOT_RISK"],
    )
