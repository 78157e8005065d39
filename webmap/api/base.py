"""What every JSON route shares: the blueprint, parameter errors as 400s,
JSON responses (gzipped when large) and answers cached per question,
viewer agency and data version."""

import gzip
from pathlib import Path

import orjson
from flask import Blueprint, Response, abort, current_app, request

from webmap.config import agency_codes
from webmap.db import get_session
from webmap.security.need_to_know import (
    RESTRICTED,
    WITHHELD_COLUMNS,
    coarse_filter,
    viewer_agency,
    visible_reports,
    withheld_counts,
)
from webmap.services import hotspots as service
from webmap.services.cache import data_version, latest, memo, shared_memo
from webmap.services.filters import (
    PARAMETERS,
    FilterError,
    ReportFilter,
    filter_frame,
    parse_filter,
    select_reports,
)
from webmap.services.store import ANALYSIS_COLUMNS, count_reports

bp = Blueprint("api", __name__, url_prefix="/api")

CLUSTER_PARAMETERS = service.CLUSTER_PARAMETERS


class BadParameter(Exception):
    def __init__(self, parameter, message):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@bp.errorhandler(BadParameter)
@bp.errorhandler(FilterError)
def bad_parameter(error):
    return json_response({"error": f"{error.parameter} : {error.message}", "parameter": error.parameter}, status=400)


@bp.errorhandler(404)
def not_found(error):
    return json_response({"error": "introuvable avec ces filtres"}, status=404)


def check_known(args, own=()):
    known = set(PARAMETERS) | set(CLUSTER_PARAMETERS) | set(own)
    for name in args:
        if name not in known:
            raise BadParameter(name, f"paramètre inconnu (attendus : {', '.join(sorted(known))})")


def _question(ignored=()):
    """What identifies an answer: the database, the parameters (but the
    ``ignored`` ones) and the data version, which database triggers raise on
    any change to reports."""
    version = data_version(get_session())
    args = tuple(sorted((k, v) for k, v in request.args.items(multi=True) if k not in ignored))
    return current_app.config["DATABASE_URL"], args, version


def _question_of(names):
    """The question narrowed to the parameters an intermediate result
    depends on: a clustering run depends on the filter and the clustering
    parameters only. Answers of different endpoints (the hotspots, the
    table and its pages) then share it."""
    version = data_version(get_session())
    args = tuple(sorted((k, v) for k, v in request.args.items(multi=True) if k in names))
    return current_app.config["DATABASE_URL"], args, version


def filtered_frame(report_filter, columns=None):
    """The reports ``report_filter`` keeps (every agency's: need-to-know is
    applied by the caller), kept between requests. Keyed by the filter
    itself, not the request's words, so that a narrower question can start
    from a broader one's answer."""
    question = tuple(sorted(report_filter.to_params().items()))
    return memo(
        ("frame", tuple(columns or ()), current_app.config["DATABASE_URL"], question, data_version(get_session())),
        lambda: selected_reports(report_filter, columns),
    )


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


def cluster_params():
    """The clustering parameters of the request, from the configured defaults."""
    return service.parse_cluster_params(request.args, current_app.config["CLUSTERING"])


def cached_answer(name, build, own=(), columns=None, withheld=False, ignored=()):
    """Answer from the cache when the same question was asked of the same
    data by a user of the same agency. ``own`` names the parameters only
    this endpoint takes; ``columns`` narrows the reports read (see
    ``select_reports``).

    Need-to-know: ``build(frame, params)`` receives only the reports the
    viewer may see; with ``withheld``, it is called as ``build(frame, params,
    withheld)`` where ``withheld`` is :func:`~webmap.security.need_to_know.withheld_counts`
    (other agencies' restricted reports, per commune, in groups of k).
    ``ignored`` names parameters the answer does not depend on: questions
    differing only by them share one answer."""
    check_known(request.args, own)
    report_filter = parse_filter(request.args, known_agencies=agency_codes(current_app.config))
    params = cluster_params()
    agency = viewer_agency()

    def compute():
        frame = visible_reports(filtered_frame(report_filter, columns), agency)
        if not withheld:
            result = build(frame, params)
        else:
            result = build(frame, params, _withheld(report_filter, agency))
        return None if result is None else orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS)

    key = answer_key(name, ignored)
    body = shared_memo(key, compute, answers_folder())
    if body is None:
        abort(404)
    if _accepts_gzip(body):
        # Compressing 2 MB costs more than answering from the cache: keep
        # the compressed answer beside the plain one.
        return _gzipped(memo(("gzip", *key), lambda: gzip.compress(body, compresslevel=5)))
    return json_body(body)


def answer_key(name, ignored=()):
    """What identifies ``name``'s answer to this request: the viewer's
    agency, the database, the parameters but the ``ignored`` ones, and the
    data version."""
    return (name, viewer_agency(), *_question(ignored))


def answers_folder():
    """Where answers are kept for every worker process of the server."""
    return Path(current_app.instance_path) / "answers"


def shared_answer(name, compute):
    """``compute()`` (JSON bytes) kept for this request's question, in this
    process and for the server's other worker processes."""
    return shared_memo(answer_key(name), compute, answers_folder())


def _withheld(report_filter, agency):
    coarse = coarse_filter(report_filter)
    if coarse is None:
        return {}
    reports = selected_reports(coarse, WITHHELD_COLUMNS)
    return withheld_counts(reports, agency, current_app.config["NEED_TO_KNOW_K"])


def history_reports(columns=None):
    """Every report up to the end of the period asked, with the other
    criteria of the filter (``ReportFilter.history``): what trends and
    emerging cells compare the period with. Cached like the period's."""
    report_filter = parse_filter(request.args, known_agencies=[a["code"] for a in current_app.config["AGENCIES"]])
    reports = memo(
        ("history", tuple(columns or ()), *_question()),
        lambda: selected_reports(report_filter.history(), columns),
    )
    # Need-to-know, as the period's frame (cached_answer).
    return visible_reports(reports, viewer_agency())


def period_end():
    """The last day of the period asked, or None for "up to the latest report"."""
    return parse_filter(request.args, known_agencies=[a["code"] for a in current_app.config["AGENCIES"]]).end


#: What a clustering run depends on (not a table's page or sort).
RUN_PARAMETERS = frozenset(PARAMETERS) | frozenset(CLUSTER_PARAMETERS)


def hotspot_run(frame, params):
    """Clustering is the costly part: one run per question, viewer agency
    and data version serves the list and every hotspot's card. ``frame``
    holds only what the viewer may see (see ``cached_answer``); statuses
    and dates come from the history (:func:`history_frame`), the viewer's
    too.

    Lasting names are written only by the reference run: no filter, the
    default parameters, and every shared report, never a restricted one, so
    that names are the same for every agency and hold nothing only one
    agency may see. A viewer whose frame holds restricted reports (their
    own) gets that run made apart, then names matched, nothing written."""
    agency = viewer_agency()
    reference = is_reference_run(params)
    restricted = "handling" in frame.columns and bool((frame["handling"] == RESTRICTED).any())
    if reference and restricted:
        memo(
            ("run", "shared", *_question_of(RUN_PARAMETERS)),
            lambda: _cluster(_shared(frame), _shared(history_frame(frame)), params, remember=True),
        )
    return memo(
        ("run", agency, *_question_of(RUN_PARAMETERS)),
        lambda: _cluster(frame, history_frame(frame), params, remember=reference and not restricted),
    )


def _shared(reports):
    return reports[reports["handling"] != RESTRICTED].reset_index(drop=True)


def _cluster(frame, history, params, *, remember):
    config = current_app.config
    return service.hotspots(
        get_session(),
        frame,
        params,
        history=history,
        end=period_end(),
        remember=remember,
        grading_weights=config["GRADING_WEIGHTS"],
        dormant_weeks=config["HOTSPOT_DORMANT_WEEKS"],
        risk=config["HOTSPOT_RISK"],
    )


def history_frame(frame, columns=None):
    """The reports of the question's filter without its start date (the
    history a hotspot's status and dates are told from, see
    :func:`history_reports`); ``frame`` itself when the filter has no start."""
    if not request.args.get("start"):
        return frame
    return history_reports(columns or ANALYSIS_COLUMNS)


def is_reference_run(params):
    """Whether this request asks the reference question: no filter, and
    clustering parameters, if given, equal to the defaults."""
    if request.args.keys() - set(CLUSTER_PARAMETERS):
        return False
    return params == service.ClusterParams(**current_app.config["CLUSTERING"])


def json_response(data, status=200):
    return json_body(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), status)


def _accepts_gzip(body):
    return len(body) > 1024 and "gzip" in request.headers.get("Accept-Encoding", "")


def json_body(body, status=200):
    """A response of JSON bytes already made, gzipped when it pays."""
    if _accepts_gzip(body):
        return _gzipped(gzip.compress(body, compresslevel=5), status)
    response = Response(body, status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _gzipped(compressed, status=200):
    response = Response(compressed, status=status, mimetype="application/json")
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "no-store"
    return response
